"""manage.py import_medquad ROOT [--approve-as USERNAME] — load the MedQuAD corpus."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from knowledge.corpus import EXTRA_ANSWERS_FILE
from knowledge.importers import ImportReport, import_medquad

from ._common import curator_named, progress_bar, sync_index


class Command(BaseCommand):
    help = (
        "Import the MedQuAD corpus (the XML subsets and extra_answers.jsonl). Idempotent: "
        "unchanged sections are left alone, changed text becomes a new version. Without "
        "--approve-as the imported content waits in review."
    )

    def add_arguments(self, parser):
        parser.add_argument("root", type=Path, help="The medquad folder")
        parser.add_argument(
            "--approve-as", metavar="USERNAME", help="Approve as this content admin"
        )
        parser.add_argument("--no-index", action="store_true", help="Leave the index alone")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, root: Path, approve_as, no_index, no_progress, **options):
        if not root.is_dir():
            raise CommandError(f"{root} is not a folder.")
        reviewer = curator_named(approve_as)
        total = sum(1 for p in root.glob("*/*.xml") if p.is_file())
        total += int((root / EXTRA_ANSWERS_FILE).is_file())
        with progress_bar(total=total, desc="Importing", enabled=not no_progress) as bar:
            report = import_medquad(root, approve_as=reviewer, on_file=lambda _r: bar.update())
        report_to(self, report)
        if not no_index:
            sync_index(self, report.index_ids, progress=not no_progress)


def report_to(command: BaseCommand, report: ImportReport) -> None:
    for error in report.errors:
        command.stderr.write(f"  skipped {error.file}: {error.reason}")
    style = command.style.WARNING if report.errors else command.style.SUCCESS
    command.stdout.write(style(report.summary()))

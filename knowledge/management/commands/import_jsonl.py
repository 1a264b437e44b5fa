"""manage.py import_jsonl FILE [--approve-as USERNAME] — load sections from a JSONL file."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from knowledge.importers import import_jsonl

from ._common import curator_named, sync_index
from .import_medquad import report_to


class Command(BaseCommand):
    help = (
        "Import sections from a JSONL file, one object a line with id, title, question (or "
        "heading), text, url, source. Same rules as import_medquad."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--approve-as", metavar="USERNAME", help="Approve as this content admin"
        )
        parser.add_argument("--no-index", action="store_true", help="Leave the index alone")

    def handle(self, *args, file: Path, approve_as, no_index, **options):
        if not file.is_file():
            raise CommandError(f"{file} is not a file.")
        report = import_jsonl(file, approve_as=curator_named(approve_as))
        report_to(self, report)
        if not no_index:
            sync_index(self, report.index_ids)

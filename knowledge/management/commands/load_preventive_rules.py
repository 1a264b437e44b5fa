"""manage.py load_preventive_rules [FILE] [--approve-as USERNAME] — store the rule set."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from knowledge.importers import load_rules
from knowledge.preventive import DEFAULT_RULES_PATH
from knowledge.services import CurationError

from ._common import curator_named


class Command(BaseCommand):
    help = (
        "Load preventive-care rules (default: the shipped knowledge/preventive_rules.json) as "
        "curated, versioned content. Idempotent: a changed definition becomes a new version. "
        "Without --approve-as the rules wait in review and change no patient's results."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", type=Path, help="A rule-set JSON file")
        parser.add_argument(
            "--approve-as", metavar="USERNAME", help="Approve as this content admin"
        )

    def handle(self, *args, file: Path | None, approve_as, **options):

        path = file or DEFAULT_RULES_PATH
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"{path}: {exc}") from exc
        items = document.get("rules") if isinstance(document, dict) else document
        if not isinstance(items, list):
            raise CommandError(f"{path}: expected a list of rules or an object with 'rules'.")
        try:
            report = load_rules(items, approve_as=curator_named(approve_as))
        except (CurationError, ValueError) as exc:
            raise CommandError(f"{path}: {exc}; nothing was stored.") from exc
        self.stdout.write(self.style.SUCCESS(f"Rules: {report.summary()}."))

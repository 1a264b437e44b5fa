"""manage.py reindex — rebuild the retrieval index from the database (the source of truth)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from knowledge import selectors, services

from ._common import progress_bar


class Command(BaseCommand):
    help = (
        "Rebuild the retrieval index from the current approved version of every section. "
        "--changed-only updates just what differs from the database."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--changed-only",
            action="store_true",
            help="Only add, replace or remove what differs (faster when little changed)",
        )

    def handle(self, *args, changed_only: bool, **options):
        started = time.perf_counter()
        step = services.index_reconcile if changed_only else services.index_rebuild
        total = len(selectors.approved_version_set())
        try:
            with progress_bar(
                total=None if changed_only else total, desc="Indexing", unit="section"
            ) as bar:
                outcome = step(progress=bar.update)
        except Exception as exc:
            raise CommandError(f"Reindex failed: {exc}") from exc
        figures = ", ".join(f"{v} {k}" for k, v in outcome.items())
        self.stdout.write(
            self.style.SUCCESS(f"Index: {figures} in {time.perf_counter() - started:.1f} s.")
        )

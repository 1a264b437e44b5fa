"""manage.py import_fhir PATH…: import FHIR R4 patient bundles (files, or folders of *.json)."""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from portal.fhir import BundleError
from portal.services import patient_import_bundle


def bundle_paths(paths: list[str | Path]) -> list[Path]:
    """Expand folders to their *.json files (sorted); keep files as given; drop repeats."""
    found: dict[Path, None] = {}
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(path.glob("*.json")):
                found.setdefault(child, None)
        else:
            found.setdefault(path, None)
    return list(found)


class Command(BaseCommand):
    help = (
        "Import patients from FHIR R4 transaction bundles (Synthea). Each file is imported in "
        "its own transaction: a broken file is reported and skipped, the others go in."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="bundle files, or folders of *.json bundles")
        parser.add_argument(
            "--no-progress", action="store_true", help="no progress bar (e.g. in logs)"
        )

    def handle(self, *args, paths, no_progress=False, verbosity=1, **options):
        files = bundle_paths(paths)
        if not files:
            raise CommandError("No bundle files found in: " + ", ".join(map(str, paths)))
        totals: Counter[str] = Counter()
        changes: Counter[str] = Counter()
        failures: list[tuple[Path, str]] = []
        started = time.perf_counter()
        bar = tqdm(
            files,
            desc="Importing bundles",
            unit="file",
            file=sys.stderr,
            disable=no_progress or verbosity == 0,
        )
        for path in bar:
            bar.set_postfix_str(path.name, refresh=False)
            try:
                result = patient_import_bundle(path=path)
            except BundleError as exc:
                failures.append((path, str(exc)))
                self._say_error(bar, f"{path}: {exc}")
                continue
            except Exception as exc:  # a database error must not stop the other files
                failures.append((path, f"{type(exc).__name__}: {exc}"))
                self._say_error(bar, f"{path}: {type(exc).__name__}: {exc}")
                continue
            totals.update(result.counts)
            changes.update(
                created=result.created,
                updated=result.updated,
                removed=result.removed,
                new_patients=int(result.patient_created),
            )
        elapsed = time.perf_counter() - started

        imported = len(files) - len(failures)
        if verbosity:
            self.stdout.write(
                f"Imported {imported} of {len(files)} bundle(s) in {elapsed:.1f} s "
                f"({changes['new_patients']} new patient(s); rows created {changes['created']}, "
                f"updated {changes['updated']}, removed {changes['removed']})."
            )
            for kind, count in totals.items():
                self.stdout.write(f"  {kind:<22} {count:>7}")
        if failures:
            self.stderr.write(f"{len(failures)} file(s) failed and were left out entirely:")
            for path, reason in failures:
                self.stderr.write(f"  {path.name}: {reason}")
            raise CommandError(f"{len(failures)} of {len(files)} bundle file(s) failed to import")

    def _say_error(self, bar, text: str) -> None:
        # Said at once only beside a progress bar (tqdm.write keeps it from tearing the bar);
        # the summary at the end lists every failure anyway.
        if not bar.disable:
            tqdm.write(self.style.ERROR(text), file=sys.stderr)

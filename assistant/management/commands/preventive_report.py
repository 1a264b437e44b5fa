"""manage.py preventive_report (--bundle FILE | --mrn MRN) [--on YYYY-MM-DD] [--json]

The preventive-care engine's results for one patient: what My health, the chat and the admin's
"try a patient" page show. With --mrn, the patient in the database under the rules in force (the
approved version of each rule); with --bundle, a FHIR bundle read from disk under the shipped
rule set (knowledge/preventive_rules.json), without touching the database.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from assistant.preventive.services import bundle_facts, preventive_results
from knowledge.preventive import RuleResult, Status, evaluate, load_default_rules
from portal.fhir import BundleError, bundle_load
from portal.models import Patient

LABELS = {
    Status.OVERDUE: "OVERDUE",
    Status.DUE: "DUE",
    Status.UP_TO_DATE: "UP TO DATE",
    Status.NOT_APPLICABLE: "NOT APPLICABLE",
}


class Command(BaseCommand):
    help = (
        "Print the preventive-care results for one patient (from the database by MRN, or from "
        "a FHIR bundle without a database), as text or as JSON (a list of results)."
    )

    def add_arguments(self, parser):
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--bundle", type=Path, help="A FHIR R4 bundle (JSON) of one patient")
        who.add_argument("--mrn", help="The medical record number of a patient in the database")
        parser.add_argument("--on", help="The day to evaluate, YYYY-MM-DD (default: today)")
        parser.add_argument(
            "--json", action="store_true", help="Print a JSON list of the results' to_dict()"
        )

    def handle(self, *args, bundle: Path | None, mrn: str | None, on: str | None, **options):
        day = _day(on)
        if bundle is not None:
            results, who = _from_bundle(Path(bundle), day)
        else:
            results, who = _from_database(mrn or "", day)
        if options["json"]:
            self.stdout.write(json.dumps([r.to_dict() for r in results or []], indent=2))
            return
        self.stdout.write(f"Preventive care for {who}, as of {day.isoformat()}")
        if results is None:
            self.stdout.write("No results: the patient has died or the record is closed.")
            return
        for result in results:
            self.stdout.write(_text(result))
        counts = {status: sum(r.status == status for r in results) for status in LABELS}
        self.stdout.write(
            ", ".join(f"{n} {LABELS[s].lower()}" for s, n in counts.items())
            + f" ({len(results)} rules)."
        )


def _day(raw: str | None) -> date:
    if raw is None:
        return timezone.localdate()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise CommandError(f"--on must be a date as YYYY-MM-DD, not {raw!r}.") from None


def _from_bundle(path: Path, on: date) -> tuple[list[RuleResult] | None, str]:

    try:
        bundle = bundle_load(path)
    except BundleError as exc:
        raise CommandError(f"{path}: {exc}") from exc
    patient = bundle.patient
    if patient.birth_date is None or on < patient.birth_date:
        raise CommandError(f"{path}: the record has no birth date before {on.isoformat()}.")
    facts = bundle_facts(bundle, on=on)
    results = evaluate(facts=facts, rules=load_default_rules(), on=on)
    who = f"{path.name} (born {patient.birth_date.isoformat()}, {patient.gender or 'sex unknown'})"
    if facts.deceased or not facts.active:
        return None, who
    return results, f"{who}, shipped rule set"


def _from_database(mrn: str, on: date) -> tuple[list[RuleResult] | None, str]:

    matches = list(Patient.objects.filter(mrn=mrn)[:2])
    if not matches:
        raise CommandError(f"No patient has the MRN {mrn!r}.")
    if len(matches) > 1:
        raise CommandError(f"More than one patient has the MRN {mrn!r}.")
    patient = matches[0]
    if patient.birth_date is None or on < patient.birth_date:
        raise CommandError(f"MRN {mrn}: the record has no birth date before {on.isoformat()}.")
    return preventive_results(patient, on=on), f"MRN {mrn}, rules in force"


def _text(result: RuleResult) -> str:
    rule = result.rule
    lines = [f"\n[{LABELS[result.status]}] {rule.title} ({rule.key})", f"  {result.reason}"]
    if result.due_since:
        lines.append(f"  Due since: {result.due_since.isoformat()}")
    if result.up_to_date_until:
        lines.append(f"  Up to date until: {result.up_to_date_until.isoformat()}")
    if result.needs:
        lines.append(f"  Needs: {'; '.join(result.needs)}")
    source = rule.source
    lines.append(f"  Source: {source.name} ({source.year}, {source.grade}) {source.url}")
    return "\n".join(lines)

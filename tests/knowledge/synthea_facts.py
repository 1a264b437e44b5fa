"""Turn a raw Synthea FHIR R4 bundle into the preventive engine's PatientFacts.

Test-only: production code builds PatientFacts from the database. Plain json is enough here
(no fhir.resources validation) because the bundles are trusted fixtures and this stays fast.
"""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path
from typing import Any

from knowledge.preventive import PatientFacts, RecordEntry

# Same default and override as settings.PORTAL_DATA_DIR, without needing Django here.
_DATA_DIR = Path(
    os.environ.get("PORTAL_DATA_DIR")
    or Path(__file__).resolve().parents[2].parent / "shared" / "data"
)
SYNTHEA_DIR = _DATA_DIR / "synthea"

# Only records that actually happened count towards prevention.
_DONE_STATUSES = {
    "Immunization": {"completed"},
    "Procedure": {"completed"},
    "Observation": {"final", "amended", "corrected"},
}
_KIND = {"Immunization": "immunization", "Procedure": "procedure", "Observation": "observation"}
_INACTIVE_CONDITION = {"resolved", "inactive", "remission"}


def _day(value: str | None) -> date | None:
    # FHIR dateTimes carry the local date first ("2016-07-29T12:36:15+02:00"): that is the
    # calendar day the patient experienced, which is what intervals are counted in.
    return date.fromisoformat(value[:10]) if value else None


def _when(resource: dict[str, Any]) -> date | None:
    for key in ("occurrenceDateTime", "performedDateTime", "effectiveDateTime"):
        if key in resource:
            return _day(resource[key])
    for key in ("performedPeriod", "effectivePeriod"):
        if key in resource:
            return _day(resource[key].get("start"))
    return None


def _value(resource: dict[str, Any]) -> tuple[str | None, str | None]:
    if "valueCodeableConcept" in resource:
        concept = resource["valueCodeableConcept"]
        coding = (concept.get("coding") or [{}])[0]
        return coding.get("code"), coding.get("display") or concept.get("text")
    if "valueQuantity" in resource:
        quantity = resource["valueQuantity"]
        text = f"{quantity.get('value')} {quantity.get('unit', '')}".strip()
        return text, text
    if "valueString" in resource:
        return resource["valueString"], resource["valueString"]
    return None, None


def _code_status(resource: dict[str, Any], field: str) -> str | None:
    concept = resource.get(field) or {}
    coding = (concept.get("coding") or [{}])[0]
    return coding.get("code")


def facts_from_bundle(bundle_json: dict[str, Any], *, on: date) -> PatientFacts:
    """Build PatientFacts as of ``on`` from a Synthea transaction bundle (already json-loaded)."""
    resources = [entry["resource"] for entry in bundle_json.get("entry", [])]
    patient = next(r for r in resources if r["resourceType"] == "Patient")
    deceased_at = _day(patient.get("deceasedDateTime"))
    deceased = bool(patient.get("deceasedBoolean")) or (
        deceased_at is not None and deceased_at <= on
    )

    conditions: list[tuple[str, str, str, date | None]] = []
    entries: list[RecordEntry] = []
    for resource in resources:
        kind = resource["resourceType"]
        if kind == "Condition":
            onset = _day(resource.get("onsetDateTime") or resource.get("recordedDate"))
            abated = _day(resource.get("abatementDateTime"))
            status = _code_status(resource, "clinicalStatus")
            if _code_status(resource, "verificationStatus") in {"refuted", "entered-in-error"}:
                continue
            if onset is not None and onset > on:
                continue
            if abated is not None and abated <= on:
                continue
            if abated is None and status in _INACTIVE_CONDITION:
                continue
            for coding in resource.get("code", {}).get("coding", []):
                conditions.append(
                    (coding["system"], coding["code"], coding.get("display", ""), onset)
                )
        elif kind == "MedicationRequest":
            # A preventive medicine (a statin) counts while its prescription is active.
            when = _day(resource.get("authoredOn"))
            if resource.get("status") != "active" or when is None or when > on:
                continue
            concept = resource.get("medicationCodeableConcept") or {}
            for coding in concept.get("coding", []):
                entries.append(
                    RecordEntry(
                        kind="medication",
                        system=coding["system"],
                        code=coding["code"],
                        display=coding.get("display") or concept.get("text") or "",
                        date=when,
                    )
                )
        elif kind in _DONE_STATUSES:
            if resource.get("status") not in _DONE_STATUSES[kind]:
                continue
            when = _when(resource)
            if when is None or when > on:
                continue
            concept = resource["vaccineCode"] if kind == "Immunization" else resource["code"]
            value, value_display = _value(resource)
            for coding in concept.get("coding", []):
                entries.append(
                    RecordEntry(
                        kind=_KIND[kind],
                        system=coding["system"],
                        code=coding["code"],
                        display=coding.get("display") or concept.get("text") or "",
                        date=when,
                        value=value,
                        value_display=value_display,
                    )
                )
    return PatientFacts(
        birth_date=date.fromisoformat(patient["birthDate"]),
        sex=patient.get("gender"),
        deceased=deceased,
        active=patient.get("active", True),
        conditions=conditions,
        entries=entries,
    )


def load_bundle(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


def bundle_paths() -> list[Path]:
    return sorted(SYNTHEA_DIR.glob("*-bundle.json"))

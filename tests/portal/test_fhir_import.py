"""Importing the 30 real Synthea bundles: every record arrives once, and a re-import is a no-op.

The expected numbers are counted here from the raw JSON with the json module, not with the
importer's own parser, so a parser that drops or invents entries fails these tests.
"""

from __future__ import annotations

import copy
import json
import re
import time
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command

from portal.models import (
    CarePlan,
    CarePlanActivity,
    Condition,
    Encounter,
    Immunization,
    Medication,
    Observation,
    Patient,
    Procedure,
)
from portal.services import patient_import_bundle
from tests.portal.portal_fixtures import (
    SYNTHEA_DIR,
    bundle_files,
    patient_resource,
    raw_bundle,
    resources,
)

MODELS_BY_KIND = {
    "Condition": Condition,
    "MedicationRequest": Medication,
    "CarePlan": CarePlan,
    "Immunization": Immunization,
    "Encounter": Encounter,
    "Procedure": Procedure,
    "Observation": Observation,
}


def expected_counts() -> Counter:
    counts: Counter = Counter()
    for path in bundle_files():
        for entry in raw_bundle(path)["entry"]:
            resource = entry["resource"]
            counts[resource["resourceType"]] += 1
            if resource["resourceType"] == "CarePlan":
                counts["CarePlanActivity"] += len(resource.get("activity", []))
    return counts


def db_snapshot() -> dict[str, set]:
    """Every imported row as (pk, fhir id): a re-import must keep the very same rows."""
    snap = {
        name: set(model.objects.values_list("pk", "fhir_id"))
        for name, model in MODELS_BY_KIND.items()
    }
    snap["Patient"] = set(Patient.objects.values_list("pk", "fhir_id"))
    snap["CarePlanActivity"] = set(
        CarePlanActivity.objects.values_list("pk", "care_plan_id", "position", "display")
    )
    return snap


@pytest.fixture(scope="module")
def imported_all(django_db_setup, django_db_blocker):
    """All 30 bundles imported once for this module (committed), removed again at the end."""
    out = StringIO()
    with django_db_blocker.unblock():
        started = time.perf_counter()
        call_command("import_fhir", str(SYNTHEA_DIR), no_progress=True, stdout=out)
        elapsed = time.perf_counter() - started
        print(f"\nimported 30 bundles in {elapsed:.2f} s")  # shown with -s: the measured figure
        yield out.getvalue()
        Patient.objects.all().delete()


def test_every_patient_and_record_of_the_bundles_is_imported(db, imported_all):
    expected = expected_counts()
    assert Patient.objects.count() == expected["Patient"] == len(bundle_files())
    for kind, model in MODELS_BY_KIND.items():
        assert model.objects.count() == expected[kind], kind
    assert CarePlanActivity.objects.count() == expected["CarePlanActivity"]
    # The command's own summary reports the same numbers a person would check.
    assert re.search(rf"\bconditions\s+{expected['Condition']}\n", imported_all)
    assert re.search(rf"\bpatients\s+{expected['Patient']}\n", imported_all)


def test_each_patient_gets_exactly_their_own_entries(db, imported_all):
    for path in bundle_files():
        patient = Patient.objects.get(fhir_id=patient_resource(path)["id"])
        assert set(patient.conditions.values_list("fhir_id", flat=True)) == {
            r["id"] for r in resources(path, "Condition")
        }
        assert patient.medications.count() == len(resources(path, "MedicationRequest"))


def test_deceased_patients_and_names_come_through(db, imported_all):
    deceased = {
        patient_resource(p)["id"]
        for p in bundle_files()
        if "deceasedDateTime" in patient_resource(p)
    }
    assert (
        set(Patient.objects.filter(deceased_at__isnull=False).values_list("fhir_id", flat=True))
        == deceased
    )
    # Synthea's name digits are gone: "Dewitt635 Haag279" reads "Dewitt Haag".
    for given, family in Patient.objects.values_list("given_name", "family_name"):
        assert not any(ch.isdigit() for ch in given + family)


def test_active_medication_keeps_its_dosage_and_blood_pressure_reads_as_one_value(db, imported_all):
    with_text = [
        (r["id"], r["dosageInstruction"][0]["text"].strip())
        for p in bundle_files()
        for r in resources(p, "MedicationRequest")
        if r.get("dosageInstruction") and r["dosageInstruction"][0].get("text")
    ]
    assert with_text
    for fhir_id, text in with_text:
        assert Medication.objects.get(fhir_id=fhir_id).dosage_text.startswith(text)

    path = bundle_files()[0]
    bp = next(
        r for r in resources(path, "Observation") if r["code"]["coding"][0]["code"] == "85354-9"
    )
    values = {c["code"]["coding"][0]["code"]: c["valueQuantity"]["value"] for c in bp["component"]}
    stored = Observation.objects.get(fhir_id=bp["id"])
    assert stored.value_text == f"{values['8480-6']:g}/{values['8462-4']:g} mmHg"


def test_a_second_import_changes_nothing(db, imported_all):
    before = db_snapshot()
    out = StringIO()
    call_command("import_fhir", str(SYNTHEA_DIR), no_progress=True, stdout=out)
    assert db_snapshot() == before
    assert "rows created 0, updated 0, removed 0" in out.getvalue()


def test_reimport_of_an_edited_bundle_updates_in_place(db, imported_all, tmp_path):
    source = bundle_files()[0]
    bundle = copy.deepcopy(raw_bundle(source))
    entries = bundle["entry"]
    condition = next(
        e["resource"]
        for e in entries
        if e["resource"]["resourceType"] == "Condition"
        and e["resource"]["clinicalStatus"]["coding"][0]["code"] == "active"
    )
    condition["clinicalStatus"]["coding"][0]["code"] = "resolved"
    condition["abatementDateTime"] = "2026-01-15T10:00:00+01:00"
    dropped = next(e for e in entries if e["resource"]["resourceType"] == "MedicationRequest")
    entries.remove(dropped)
    plan = next(
        e["resource"]
        for e in entries
        if e["resource"]["resourceType"] == "CarePlan" and len(e["resource"]["activity"]) >= 2
    )
    plan["activity"].pop()  # one next step fewer
    edited = tmp_path / source.name
    edited.write_text(json.dumps(bundle))

    patient = Patient.objects.get(fhir_id=patient_resource(source)["id"])
    condition_pk = Condition.objects.get(fhir_id=condition["id"]).pk
    other_patients = db_snapshot()["Patient"] - {(patient.pk, patient.fhir_id)}
    other_conditions = Condition.objects.exclude(patient=patient).count()

    result = patient_import_bundle(path=edited)

    assert not result.patient_created and result.patient_id == patient.pk
    updated = Condition.objects.get(fhir_id=condition["id"])
    assert updated.pk == condition_pk  # the same row, changed
    assert updated.clinical_status == "resolved" and updated.abated.year == 2026
    assert not Medication.objects.filter(fhir_id=dropped["resource"]["id"]).exists()
    assert CarePlan.objects.get(fhir_id=plan["id"]).activities.count() == len(plan["activity"])
    assert result.removed == 2 and result.updated >= 1
    # Nobody else's record moved.
    assert db_snapshot()["Patient"] - {(patient.pk, patient.fhir_id)} == other_patients
    assert Condition.objects.exclude(patient=patient).count() == other_conditions

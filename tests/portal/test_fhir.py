"""Reading FHIR: the small translations that make a record readable."""

from __future__ import annotations

import json

import pytest

from portal.fhir import BundleError, bundle_parse, strip_synthea_digits


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Dewitt635", "Dewitt"),
        ("Dr. Damaris45 Borer986", "Dr. Damaris Borer"),
        ("O'Conner199", "O'Conner"),
        ("Lynsey2", "Lynsey"),
        ("HALLMARK HEALTH SYSTEM", "HALLMARK HEALTH SYSTEM"),
        ("Henry 8", "Henry 8"),
    ],
)
def test_synthea_name_digits_are_dropped(raw, clean):
    assert strip_synthea_digits(raw) == clean


def _bundle(*resources):
    patient = {
        "resourceType": "Patient",
        "id": "p1",
        "name": [
            {"use": "maiden", "family": "Old1", "given": ["Ann1"]},
            {"use": "official", "family": "New22", "given": ["Ann1"], "prefix": ["Ms."]},
        ],
        "identifier": [
            {"system": "x", "value": "not-the-mrn"},
            {"type": {"coding": [{"code": "MR"}]}, "system": "h", "value": "MRN-7"},
        ],
        "birthDate": "1980-02-29",
    }
    entries = [{"fullUrl": "urn:uuid:p1", "resource": patient}]
    entries += [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in resources]
    return json.dumps({"resourceType": "Bundle", "type": "transaction", "entry": entries})


def test_official_name_and_mrn_are_chosen_among_several():
    patient = bundle_parse(_bundle()).patient
    assert (patient.given_name, patient.family_name, patient.prefix) == ("Ann", "New", "Ms.")
    assert patient.mrn == "MRN-7"
    assert patient.deceased_at is None and str(patient.birth_date) == "1980-02-29"


def test_references_become_names_and_timing_becomes_words():
    condition = {
        "resourceType": "Condition",
        "id": "c1",
        "subject": {"reference": "urn:uuid:p1"},
        "clinicalStatus": {"coding": [{"code": "active"}]},
        "code": {
            "coding": [{"system": "http://snomed.info/sct", "code": "38341003"}],
            "text": "Hypertension",
        },
        "onsetDateTime": "2019",  # a partial date is allowed in FHIR
    }
    medication = {
        "resourceType": "MedicationRequest",
        "id": "m1",
        "status": "active",
        "intent": "order",
        "subject": {"reference": "urn:uuid:p1"},
        "medicationCodeableConcept": {"text": "Lisinopril 10 MG Oral Tablet"},
        "reasonReference": [{"reference": "urn:uuid:c1"}],
        "dosageInstruction": [
            {
                "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}},
                "doseAndRate": [{"doseQuantity": {"value": 1.0}}],
            }
        ],
    }
    plan = {
        "resourceType": "CarePlan",
        "id": "cp1",
        "status": "active",
        "intent": "order",
        "subject": {"reference": "urn:uuid:p1"},
        "category": [
            {
                "coding": [
                    {
                        "system": "http://snomed.info/sct",
                        "code": "443402002",
                        "display": "Lifestyle education regarding hypertension",
                    }
                ]
            }
        ],
        "addresses": [{"reference": "urn:uuid:c1"}],
        "activity": [
            {"detail": {"status": "in-progress", "code": {"text": "Low salt diet education"}}}
        ],
    }
    parsed = bundle_parse(_bundle(condition, medication, plan))
    assert parsed.conditions[0].onset.year == 2019
    med = parsed.medications[0]
    assert med.reason == "Hypertension" and med.dosage_text == "1 dose, once a day"
    care_plan = parsed.care_plans[0]
    assert care_plan.addresses == "Hypertension"
    assert care_plan.display == "Lifestyle education regarding hypertension"
    assert [a.display for a in care_plan.activities] == ["Low salt diet education"]


def test_a_bundle_of_two_patients_is_refused():
    raw = json.loads(_bundle())
    second = json.loads(json.dumps(raw["entry"][0]))
    second["resource"]["id"] = "p2"
    second["fullUrl"] = "urn:uuid:p2"
    raw["entry"].append(second)
    with pytest.raises(BundleError, match="2 Patient resources"):
        bundle_parse(json.dumps(raw))


def test_digits_stay_in_clinical_names_and_places_but_leave_people():
    condition = {
        "resourceType": "Condition",
        "id": "c9",
        "subject": {"reference": "urn:uuid:p1"},
        "code": {"text": "Vitamin B12 deficiency"},
    }
    encounter = {
        "resourceType": "Encounter",
        "id": "e1",
        "status": "finished",
        "class": {"code": "AMB"},
        "participant": [{"individual": {"reference": "urn:uuid:dr", "display": "Dr. Ann45 Lee7"}}],
        "serviceProvider": {"reference": "urn:uuid:org", "display": "PCP13848"},
        "reasonReference": [{"reference": "urn:uuid:c9", "display": "Vitamin B12 deficiency"}],
    }
    visit = bundle_parse(_bundle(condition, encounter)).encounters[0]
    assert visit.provider == "Dr. Ann Lee"
    assert visit.organization == "PCP13848"
    assert visit.reason == "Vitamin B12 deficiency"

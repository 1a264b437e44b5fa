"""The "My health" page: the patient's record in plain words, and the way into the chat."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from portal.selectors import patient_record_summary
from tests.portal.portal_fixtures import (
    SEMANTIC_TAG,
    bundle_files,
    import_bundles,
    is_living,
    patient_resource,
    resources,
)

PASSWORD = "pw-Portal-2026!"


def richest_living_bundle():
    """A living patient with active medicines and an active care plan, from the raw JSON."""

    def score(path):
        meds = [r for r in resources(path, "MedicationRequest") if r["status"] == "active"]
        plans = [r for r in resources(path, "CarePlan") if r["status"] == "active"]
        conditions = [
            r
            for r in resources(path, "Condition")
            if r["clinicalStatus"]["coding"][0]["code"] == "active"
        ]
        return (bool(meds) and bool(plans), len(conditions), path.name)

    return max((p for p in bundle_files() if is_living(p)), key=score)


@pytest.fixture
def patient_page(client, db):
    from portal.models import Patient
    from portal.services import patient_login_ensure

    path = richest_living_bundle()
    import_bundles(path)
    patient = Patient.objects.get(fhir_id=patient_resource(path)["id"])
    user = patient_login_ensure(patient=patient, password=PASSWORD).user
    client.force_login(user)
    return path, patient, client


def test_my_health_speaks_plainly_about_conditions_medicines_and_next_steps(patient_page):
    path, patient, client = patient_page
    html = client.get(reverse("my_health")).content.decode()

    for heading in ("Your conditions", "Your medicines", "Your next steps", "Your allergies"):
        assert heading in html
    assert f"Hello, {patient.given_name}" in html

    for condition in resources(path, "Condition"):
        text = condition["code"]["text"]
        if condition["clinicalStatus"]["coding"][0]["code"] == "active":
            assert SEMANTIC_TAG.sub("", text) in html
        if SEMANTIC_TAG.search(text):
            assert text not in html  # no "(disorder)" jargon

    active_meds = [r for r in resources(path, "MedicationRequest") if r["status"] == "active"]
    stopped_meds = {
        r["medicationCodeableConcept"]["text"]
        for r in resources(path, "MedicationRequest")
        if r["status"] != "active"
    } - {r["medicationCodeableConcept"]["text"] for r in active_meds}
    for med in active_meds:
        assert med["medicationCodeableConcept"]["text"] in html
    for name in stopped_meds:
        assert name not in html

    for plan in resources(path, "CarePlan"):
        if plan["status"] == "active":
            for activity in plan["activity"]:
                assert activity["detail"]["code"]["text"] in html


def test_the_chat_is_one_click_away(patient_page):
    _, _, client = patient_page
    html = client.get(reverse("my_health")).content.decode()
    link = re.search(
        r'<a class="btn[^"]*" href="([^"]+)">Ask the assistant about your health</a>', html
    )
    assert link and link.group(1) == reverse("assistant:chat")


def sample_panel(request, patient):
    return f'<section class="card" id="sample-panel">Panel for {patient.given_name}</section>'


def silent_panel(request, patient):
    return None


def broken_panel(request, patient):
    raise RuntimeError("this add-on is broken")


def test_extension_panels_render_in_order_and_a_broken_one_is_left_out(patient_page, settings):
    _, patient, client = patient_page
    here = "tests.portal.test_my_health_page"
    settings.MY_HEALTH_PANELS = [
        f"{here}.broken_panel",
        f"{here}.silent_panel",
        f"{here}.sample_panel",
    ]
    response = client.get(reverse("my_health"))
    assert response.status_code == 200
    html = response.content.decode()
    assert (
        f'<section class="card" id="sample-panel">Panel for {patient.given_name}</section>' in html
    )
    assert html.index("Your conditions") < html.index("sample-panel")


def test_the_summary_is_plain_data_for_the_assistant_and_the_nurse(patient_page):
    path, patient, _ = patient_page
    summary = patient_record_summary(patient=patient)
    names = {c["name"] for c in summary["conditions"]}
    expected = {
        SEMANTIC_TAG.sub("", r["code"]["text"])
        for r in resources(path, "Condition")
        if r["clinicalStatus"]["coding"][0]["code"] == "active"
    }
    assert names == expected
    assert {m["name"] for m in summary["medications"]} == {
        r["medicationCodeableConcept"]["text"]
        for r in resources(path, "MedicationRequest")
        if r["status"] == "active"
    }
    for plan in summary["care_plans"]:
        assert plan["activities"] and all(a["name"] for a in plan["activities"])
        # A step Synthea repeats within a plan is listed once.
        assert len({a["name"] for a in plan["activities"]}) == len(plan["activities"])
    assert len(summary["encounters"]) <= 5 and len(summary["immunizations"]) <= 5
    # Each vaccine once, with its latest date: yearly flu shots do not crowd out the rest.
    vaccines = [v["code"] for v in summary["immunizations"]]
    assert len(vaccines) == len(set(vaccines))
    shots = resources(path, "Immunization")
    distinct = {s["vaccineCode"]["coding"][0]["code"] for s in shots}
    assert len(vaccines) == min(5, len(distinct))
    for vaccine in summary["immunizations"]:
        dates = [
            s["occurrenceDateTime"][:10]
            for s in shots
            if s["vaccineCode"]["coding"][0]["code"] == vaccine["code"]
        ]
        assert vaccine["doses"] == len(dates)
    dates = [e["date"] for e in summary["encounters"]]
    assert dates == sorted(dates, reverse=True)
    assert summary["patient"]["age"] is not None and not summary["patient"]["deceased"]


@pytest.mark.django_db
def test_a_patient_login_without_a_record_gets_a_clear_message(client):
    from portal import roles
    from tests.support import make_user

    user = make_user("orphan", roles.PATIENT)
    client.force_login(user)
    html = client.get(reverse("my_health")).content.decode()
    assert "We could not find your health record yet" in html

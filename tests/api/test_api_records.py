"""POST /api/v1/fhir/Bundle (the portal's importer, all or nothing), GET .../preventive, and
the knowledge endpoints."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from api_fixtures import call, client_token, patient_token
from chat_fixtures import make_patient, needs_corpus

from portal.models import AuditEvent, Condition, Patient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "portal"))
from portal_fixtures import bundle_files, is_living, raw_bundle, resources


def _smallest_living_bundle() -> Path:
    return min((p for p in bundle_files() if is_living(p)), key=lambda p: p.stat().st_size)


needs_bundles = pytest.mark.skipif(not bundle_files(), reason="Synthea bundles not available")


@needs_bundles
@pytest.mark.django_db
def test_a_bundle_imports_and_a_second_post_updates_in_place(client):
    path = _smallest_living_bundle()
    token = client_token(["records.write"])
    raw = path.read_bytes()
    first = call(
        client,
        "POST",
        "/api/v1/fhir/Bundle",
        raw,
        token=token,
        content_type="application/fhir+json",
    )
    assert first.status_code == 201, first.json()
    body = first.json()
    patient = Patient.objects.get(pk=body["patient_id"])
    assert patient.fhir_id == resources(path, "Patient")[0]["id"]
    assert body["counts"]["conditions"] == len(resources(path, "Condition"))
    assert patient.conditions.count() == len(resources(path, "Condition"))
    again = call(client, "POST", "/api/v1/fhir/Bundle", raw, token=token)
    assert again.status_code == 200
    assert again.json()["changes"] == {"created": 0, "updated": 0, "removed": 0}
    assert AuditEvent.objects.filter(action="api.fhir.import", patient=patient).count() == 2


@needs_bundles
@pytest.mark.django_db
def test_a_bad_resource_is_named_and_nothing_is_written(client):
    path = _smallest_living_bundle()
    bundle = json.loads(json.dumps(raw_bundle(path)))
    index, condition = next(
        (i, e["resource"])
        for i, e in enumerate(bundle["entry"])
        if e["resource"]["resourceType"] == "Condition"
    )
    bundle["entry"][index]["resource"]["onsetDateTime"] = "not a date"
    token = client_token(["records.write"])
    response = call(client, "POST", "/api/v1/fhir/Bundle", bundle, token=token)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_bundle"
    assert body["resource"] == f"Condition {condition['id']}"
    assert f"Condition {condition['id']}" in body["detail"]
    assert not Patient.objects.exists()
    assert not Condition.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "empty"),
        (b"{truncated", "not valid JSON"),
        (b'{"resourceType": "Bundle", "type": "collection", "entry": []}', "no Patient"),
    ],
)
def test_what_is_not_a_patient_bundle_says_why(client, raw, reason):
    token = client_token(["records.write"])
    response = call(client, "POST", "/api/v1/fhir/Bundle", raw, token=token)
    assert response.status_code == 400
    assert reason in response.json()["detail"]


def _adult_bundle() -> Path:
    def born(path: Path) -> int:
        return int(resources(path, "Patient")[0]["birthDate"][:4])

    adults = [p for p in bundle_files() if is_living(p) and born(p) <= 1970]
    return min(adults, key=lambda p: p.stat().st_size)


@needs_bundles
@pytest.mark.django_db
def test_preventive_care_lists_due_items_with_rule_reason_and_citation(client, small_retriever):
    from knowledge.importers import load_rules
    from knowledge.preventive import DEFAULT_RULES_PATH
    from portal import roles
    from tests.support import make_user

    admin = make_user("rules.admin", roles.ADMIN, is_staff=True)
    rules = json.loads(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))["rules"]
    load_rules(rules, approve_as=admin)
    write = client_token(["records.write"])
    imported = call(
        client, "POST", "/api/v1/fhir/Bundle", _adult_bundle().read_bytes(), token=write
    )
    patient_id = imported.json()["patient_id"]
    read = client_token(["records.read"])
    response = call(client, "GET", f"/api/v1/patients/{patient_id}/preventive", token=read)
    assert response.status_code == 200
    body = response.json()
    assert body["applies"] is True
    assert body["items"], "an adult born before 1970 has something due"
    known = {r["key"] for r in rules}
    for item in body["items"]:
        assert item["status"] in {"due", "overdue"}
        assert item["rule"] in known
        assert item["reason"]
        assert item["citation"]["source"] and item["citation"]["url"].startswith("https://")
    # The patient's own preventive care by a client that may only write records: refused.
    assert (
        call(client, "GET", f"/api/v1/patients/{patient_id}/preventive", token=write).status_code
        == 403
    )


@pytest.mark.django_db
def test_a_patient_sees_their_own_preventive_care_and_nobody_elses(client):
    user, patient = make_patient("ann.api")
    _other_user, other = make_patient("bob.api", given="Bob")
    token = patient_token(user)
    own = call(client, "GET", f"/api/v1/patients/{patient.pk}/preventive", token=token)
    assert own.status_code == 200
    theirs = call(client, "GET", f"/api/v1/patients/{other.pk}/preventive", token=token)
    assert theirs.status_code == 404


@needs_corpus
@pytest.mark.django_db
def test_search_returns_approved_sections_only(client, small_retriever, approved_sections):
    from knowledge.models import Section
    from knowledge.services import section_retire

    token = client_token(["knowledge.read"])
    found = call(
        client, "GET", "/api/v1/knowledge/search", {"q": "high blood pressure"}, token=token
    )
    assert found.status_code == 200
    hits = found.json()["results"]
    assert hits
    top = hits[0]["section_id"]
    section = Section.objects.get(external_id=top)
    curator = section.current_approved.reviewed_by
    section_retire(section=section, user=curator, reason="withdrawn")
    again = call(
        client, "GET", "/api/v1/knowledge/search", {"q": "high blood pressure"}, token=token
    )
    assert top not in [h["section_id"] for h in again.json()["results"]]
    gone = call(client, "GET", f"/api/v1/knowledge/sections/{top}", token=token)
    assert gone.status_code == 404


@needs_corpus
@pytest.mark.django_db
def test_a_section_has_its_current_version_and_history(client, approved_sections):
    from knowledge.models import Section
    from knowledge.services import section_edit, version_approve, version_submit

    section = Section.objects.filter(current_approved__isnull=False).first()
    curator = section.current_approved.reviewed_by
    current = section.current_approved
    draft = section_edit(
        section=section,
        question=current.question,
        text=current.text + " More.",
        qtype=current.qtype,
        author=curator,
    )
    version_submit(version=draft, user=curator)
    version_approve(version=draft, reviewer=curator)
    token = client_token(["knowledge.read"])
    body = call(
        client, "GET", f"/api/v1/knowledge/sections/{section.external_id}", token=token
    ).json()
    assert body["current"]["version"] == 2
    assert body["current"]["text"].endswith("More.")
    assert [(v["version"], v["state"]) for v in body["history"]] == [
        (2, "approved"),
        (1, "superseded"),
    ]


@pytest.mark.django_db
def test_a_search_without_a_query_is_a_400(client):
    token = client_token(["knowledge.read"])
    response = call(client, "GET", "/api/v1/knowledge/search", token=token)
    assert response.status_code == 400
    assert "q" in response.json()["fields"]

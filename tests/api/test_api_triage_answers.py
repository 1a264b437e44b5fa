"""POST /api/v1/triage and /api/v1/answers: the chat's gate and pipeline, stateless."""

from __future__ import annotations

import re

import pytest
from api_fixtures import call, client_token
from chat_fixtures import needs_corpus

from assistant.models import Conversation, Escalation, Message
from portal.models import AuditEvent, Patient

CHEST_PAIN = "I have crushing chest pain going down my left arm and I feel sweaty"


@pytest.mark.django_db
def test_an_emergency_gets_its_level_and_911_instructions_and_only_an_audit_entry(client):
    token = client_token(["triage"])
    response = call(client, "POST", "/api/v1/triage", {"text": CHEST_PAIN}, token=token)
    assert response.status_code == 200
    body = response.json()
    assert body["level"] == "emergency"
    assert body["escalate"] is True
    assert "911" in body["instructions"]
    assert body["rule_id"] and body["rule_id"] in body["rule_ids"]
    assert body["categories"]
    # Stateless: no conversation, message or escalation; one audit entry, without the words.
    assert not Conversation.objects.exists()
    assert not Message.objects.exists()
    assert not Escalation.objects.exists()
    entry = AuditEvent.objects.get(action="api.triage")
    assert entry.detail["level"] == "emergency"
    assert entry.detail["client_id"]
    assert entry.detail["status"] == 200
    assert not {"crushing", "sweaty", "arm"} & set(re.findall(r"[a-z]+", str(entry.detail)))


@pytest.mark.django_db
def test_a_routine_question_is_routine_without_instructions(client):
    token = client_token(["triage"])
    body = call(
        client, "POST", "/api/v1/triage", {"text": "What foods are high in fiber?"}, token=token
    ).json()
    assert body["level"] == "routine"
    assert body["escalate"] is False
    assert body["instructions"] == ""


@pytest.mark.django_db
def test_odd_unicode_is_read_as_the_gate_reads_it(client):
    # Full-width letters and zero-width joiners: the gate normalises them itself.
    disguised = "I have ｃｈｅｓｔ ｐａｉｎ going down my left arm and I f\u200beel sweaty"
    token = client_token(["triage"])
    body = call(client, "POST", "/api/v1/triage", {"text": disguised}, token=token).json()
    assert body["level"] == "emergency"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "text"), ({"text": ""}, "text"), ({"text": 12}, "text"), ({"text": "x" * 5000}, "text")],
)
def test_bad_triage_input_is_a_clear_400(client, body, field):
    token = client_token(["triage"])
    response = call(client, "POST", "/api/v1/triage", body, token=token)
    assert response.status_code == 400
    payload = response.json()
    assert payload["error"] == "invalid"
    assert field in payload["fields"]


@pytest.mark.django_db
def test_a_body_that_is_not_json_is_a_400(client):
    token = client_token(["triage"])
    response = call(client, "POST", "/api/v1/triage", "{not json", token=token)
    assert response.status_code == 400
    assert response.json()["error"] == "parse_error"


@needs_corpus
@pytest.mark.django_db
def test_an_answer_cites_approved_sections_with_provenance(client, small_retriever):
    token = client_token(["answers"])
    response = call(
        client,
        "POST",
        "/api/v1/answers",
        {"question": "What are the symptoms of high blood pressure?"},
        token=token,
    )
    assert response.status_code == 200
    body = response.json()
    assert body["kind"] == "answer"
    assert body["level"] == "routine"
    assert body["citations"]
    ids = {(c["section_id"], c["version"]) for c in body["citations"]}
    assert "[1]" in body["text"]
    provenance = body["provenance"]
    assert {(v["section_id"], v["version"]) for v in provenance["content_versions"]} == ids
    assert provenance["retriever"]["class"] == "SmallRetriever"
    assert provenance["composer"] == "extractive"
    assert provenance["gate"]["level"] == "routine"
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_an_emergency_question_gets_the_instructions_and_nothing_retrieved(client, small_retriever):
    token = client_token(["answers"])
    body = call(client, "POST", "/api/v1/answers", {"question": CHEST_PAIN}, token=token).json()
    assert body["kind"] == "safety"
    assert body["level"] == "emergency"
    assert "911" in body["text"]
    assert body["citations"] == []
    assert small_retriever.queries == []  # the gate answered before any search


def _bundle(medication: str, condition: str) -> dict:
    patient_ref = "urn:uuid:p-1"
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {
                "fullUrl": patient_ref,
                "resource": {
                    "resourceType": "Patient",
                    "id": "p-1",
                    "name": [{"use": "official", "given": ["Ada"], "family": "Stone"}],
                    "gender": "female",
                    "birthDate": "1960-02-03",
                },
            },
            {
                "resource": {
                    "resourceType": "Condition",
                    "id": "c-1",
                    "subject": {"reference": patient_ref},
                    "clinicalStatus": {"coding": [{"code": "active"}]},
                    "code": {"text": f"{condition} (disorder)"},
                }
            },
            {
                "resource": {
                    "resourceType": "MedicationRequest",
                    "id": "m-1",
                    "status": "active",
                    "intent": "order",
                    "subject": {"reference": patient_ref},
                    "medicationCodeableConcept": {"text": medication},
                }
            },
        ],
    }


@pytest.mark.django_db
def test_a_fhir_bundle_personalises_the_answer_and_is_not_saved(client, small_retriever):
    token = client_token(["answers"])
    body = call(
        client,
        "POST",
        "/api/v1/answers",
        {
            "question": "What medicines am I on?",
            "fhir_bundle": _bundle("lisinopril 10 MG Oral Tablet", "Hypertension"),
        },
        token=token,
    ).json()
    assert body["kind"] == "record"
    assert "lisinopril" in body["text"].lower()
    assert not Patient.objects.exists()


@pytest.mark.django_db
def test_a_broken_bundle_in_an_answer_request_names_the_resource(client, small_retriever):
    bundle = _bundle("lisinopril", "Hypertension")
    bundle["entry"][2]["resource"]["status"] = {"not": "a code"}
    token = client_token(["answers"])
    response = call(
        client,
        "POST",
        "/api/v1/answers",
        {"question": "What medicines am I on?", "fhir_bundle": bundle},
        token=token,
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_bundle"
    assert response.json()["resource"] == "MedicationRequest m-1"

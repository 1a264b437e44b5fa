"""Who reaches what: every kind of caller against every endpoint, and another patient's ids.

A client reaches only what its scopes allow, whatever account it acts as; a patient (session or
a token bound to them) reaches only their own conversations and preventive care; a nurse's
session reaches no client capability; nobody anonymous reaches anything.
"""

from __future__ import annotations

import pytest
from api_fixtures import call, client_token, patient_token
from chat_fixtures import make_patient
from inbox_fixtures import escalate

from assistant.models import Conversation, Escalation, Message
from portal.models import AuditEvent

CLIENT_SCOPES = [
    "triage",
    "answers",
    "knowledge.read",
    "escalations.read",
    "escalations.write",
    "records.write",
    "records.read",
]
CALLERS = [
    "anonymous",
    "patient_session",
    "patient_token",
    "patient_token_without_scope",
    "nurse_session",
    *(f"client:{scope}" for scope in CLIENT_SCOPES),
]

# endpoint -> (method, url template, body, who may call it)
PATIENT = {"patient_session", "patient_token"}
ENDPOINTS = {
    "triage": ("POST", "/api/v1/triage", {"text": "hello"}, {"client:triage"}),
    "answers": ("POST", "/api/v1/answers", {"question": "hi"}, {"client:answers"}),
    "knowledge_search": ("GET", "/api/v1/knowledge/search?q=x", None, {"client:knowledge.read"}),
    "knowledge_section": (
        "GET",
        "/api/v1/knowledge/sections/none",
        None,
        {"client:knowledge.read"},
    ),
    "conversations": ("GET", "/api/v1/conversations", None, PATIENT),
    "conversation": ("GET", "/api/v1/conversations/{own_conv}", None, PATIENT),
    "post_message": (
        "POST",
        "/api/v1/conversations/{own_conv}/messages",
        {"client_id": "m-{n}", "text": "thank you"},
        PATIENT,
    ),
    "escalations": ("GET", "/api/v1/escalations", None, {"client:escalations.read"}),
    "escalation": ("GET", "/api/v1/escalations/{esc}", None, {"client:escalations.read"}),
    "fhir_task": ("GET", "/api/v1/fhir/Task/{esc}", None, {"client:escalations.read"}),
    "fhir_communication": (
        "GET",
        "/api/v1/fhir/Communication?based-on=Task/{esc}",
        None,
        {"client:escalations.read"},
    ),
    "claim": ("POST", "/api/v1/escalations/{esc}/claim", None, {"client:escalations.write"}),
    "reply": (
        "POST",
        "/api/v1/escalations/{esc}/reply",
        {"text": "ok"},
        {"client:escalations.write"},
    ),
    "resolve": (
        "POST",
        "/api/v1/escalations/{esc}/resolve",
        {"disposition": "answered"},
        {"client:escalations.write"},
    ),
    "fhir_bundle": (
        "POST",
        "/api/v1/fhir/Bundle",
        {"resourceType": "Bundle"},
        {"client:records.write"},
    ),
    "preventive": (
        "GET",
        "/api/v1/patients/{own_patient}/preventive",
        None,
        PATIENT | {"client:records.read"},
    ),
    "webhooks": ("GET", "/api/v1/webhooks", None, {"client:escalations.read"}),
}


@pytest.fixture
def world(db, patient_user, plain_nurse):
    """The caller's patient with a conversation, another patient with an escalation."""
    mine = Conversation.objects.create(patient=patient_user.patient)
    _other_user, other = make_patient("olga.other", given="Olga", family="Other")
    esc = escalate(Conversation.objects.create(patient=other))
    return {"own_conv": mine.pk, "own_patient": patient_user.patient.pk, "esc": esc.pk}


def _authorise(client, caller, patient_user, plain_nurse):
    if caller == "patient_session":
        client.force_login(patient_user)
    elif caller == "nurse_session":
        client.force_login(plain_nurse)
    elif caller == "patient_token":
        return patient_token(patient_user)
    elif caller == "patient_token_without_scope":
        return patient_token(patient_user, scope="openid")
    elif caller.startswith("client:"):
        scope = caller.split(":", 1)[1]
        user = plain_nurse if scope.startswith("escalations") else None
        return client_token([scope], user=user)
    return None


@pytest.mark.django_db
@pytest.mark.parametrize("caller", CALLERS)
def test_access_matrix(client, world, patient_user, plain_nurse, caller, small_retriever_inbox):
    token = _authorise(client, caller, patient_user, plain_nurse)
    for n, (method, url, body, allowed) in enumerate(ENDPOINTS.values()):
        url = url.format(**world)
        if isinstance(body, dict):
            body = {k: v.format(n=n) if isinstance(v, str) else v for k, v in body.items()}
        response = call(client, method, url, body, token=token)
        where = f"{caller} {method} {url}: {response.status_code} {response.content[:200]!r}"
        if caller in allowed:
            assert response.status_code not in (401, 403), where
        elif caller == "anonymous":
            assert response.status_code == 401, where
        else:
            assert response.status_code in (401, 403), where
        assert response["Content-Type"].startswith(("application/json", "application/fhir+json"))
    # Every call was audited, refused ones included.
    assert AuditEvent.objects.filter(action__startswith="api.").count() == len(ENDPOINTS)


@pytest.mark.django_db
@pytest.mark.parametrize("caller", ["patient_session", "patient_token"])
def test_another_patients_ids_are_not_found(client, patient_user, plain_nurse, caller):
    _other_user, other = make_patient("pia.other", given="Pia")
    theirs = Conversation.objects.create(patient=other)
    escalate(theirs)
    token = _authorise(client, caller, patient_user, plain_nurse)
    for method, url, body in [
        ("GET", f"/api/v1/conversations/{theirs.pk}", None),
        ("POST", f"/api/v1/conversations/{theirs.pk}/messages", {"client_id": "z", "text": "hi"}),
        ("GET", f"/api/v1/patients/{other.pk}/preventive", None),
    ]:
        response = call(client, method, url, body, token=token)
        assert response.status_code == 404, (method, url, response.status_code)
    assert not Message.objects.filter(conversation=theirs, text="hi").exists()
    listed = call(client, "GET", "/api/v1/conversations", token=token).json()["conversations"]
    assert theirs.pk not in [c["id"] for c in listed]


@pytest.mark.django_db
def test_a_client_token_is_never_a_patient_even_when_its_account_is_one(client, patient_user):
    # A careless setup: a client acting as a patient's account. It still reaches no
    # conversation: only a token bound to the patient (or their session) does.
    token = client_token(["triage"], user=patient_user)
    conv = Conversation.objects.create(patient=patient_user.patient)
    assert call(client, "GET", f"/api/v1/conversations/{conv.pk}", token=token).status_code == 403


@pytest.mark.django_db
def test_a_client_acting_as_no_nurse_cannot_read_escalations(client, emergency):
    from datetime import timedelta

    from django.utils import timezone
    from oauth2_provider.models import AccessToken, Application

    # Created by hand (the command refuses it): the scope alone opens no thread.
    app = Application.objects.create(
        name="no-nurse",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
    )
    AccessToken.objects.create(
        application=app,
        token="no-nurse-token",
        scope="escalations.read",
        expires=timezone.now() + timedelta(hours=1),
    )
    response = call(client, "GET", f"/api/v1/escalations/{emergency.pk}", token="no-nurse-token")
    assert response.status_code == 403
    assert "nurse" in response.json()["detail"]
    assert Escalation.objects.get(pk=emergency.pk).status == "open"


@pytest.mark.django_db
def test_an_expired_or_unknown_token_is_401(client):
    response = call(client, "POST", "/api/v1/triage", {"text": "hi"}, token="not-a-token")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")

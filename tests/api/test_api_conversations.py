"""The signed-in patient's conversations over the API: the chat's own services and limits."""

from __future__ import annotations

import pytest
from api_fixtures import call, patient_token

from assistant.models import Escalation, Message
from portal.models import AuditEvent

CHEST_PAIN = "I have crushing chest pain going down my left arm and I feel sweaty"


def _post(client, conversation_id, body, token=None):
    return call(
        client, "POST", f"/api/v1/conversations/{conversation_id}/messages", body, token=token
    )


@pytest.mark.django_db
def test_a_resend_with_the_same_client_id_returns_the_stored_message(
    client, patient_user, conversation, small_retriever, django_capture_on_commit_callbacks
):
    client.force_login(patient_user)
    body = {"client_id": "web-1", "text": "What is high blood pressure?"}
    with django_capture_on_commit_callbacks(execute=True):  # the answer task runs in-process
        first = _post(client, conversation.pk, body)
    again = _post(client, conversation.pk, body)
    assert first.status_code == 201
    assert again.status_code == 200
    assert first.json()["message"]["id"] == again.json()["message"]["id"]
    assert Message.objects.filter(role="patient").count() == 1
    # Answered: the reply is in the conversation.
    read = call(client, "GET", f"/api/v1/conversations/{conversation.pk}").json()
    assert [m["role"] for m in read["messages"]] == ["patient", "assistant"]
    assert read["messages"][1]["citations"]


@pytest.mark.django_db
def test_an_emergency_message_opens_an_escalation_and_returns_the_instructions(
    client, patient_user, conversation
):
    token = patient_token(patient_user)
    response = _post(client, conversation.pk, {"client_id": "app-7", "text": CHEST_PAIN}, token)
    assert response.status_code == 201
    reply = response.json()["reply"]
    assert reply["kind"] == "safety"
    assert "911" in reply["text"]
    assert Escalation.objects.get(conversation=conversation).level == "emergency"


@pytest.mark.django_db
def test_another_patients_conversation_is_not_found_and_nothing_is_saved(
    client, patient_user, other_conversation
):
    client.force_login(patient_user)
    assert call(client, "GET", f"/api/v1/conversations/{other_conversation.pk}").status_code == 404
    response = _post(client, other_conversation.pk, {"client_id": "x-1", "text": "hello there"})
    assert response.status_code == 404
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_the_chat_rate_limit_applies(client, settings, patient_user, conversation, small_retriever):
    settings.CHAT_RATE_LIMIT = 2
    client.force_login(patient_user)
    codes = [
        _post(client, conversation.pk, {"client_id": f"r-{i}", "text": f"question {i}"}).status_code
        for i in range(3)
    ]
    assert codes == [201, 201, 429]
    assert Message.objects.filter(role="patient").count() == 2


@pytest.mark.django_db
def test_the_list_holds_only_the_patients_own_and_every_call_is_audited(
    client, patient_user, conversation, other_conversation
):
    client.force_login(patient_user)
    body = call(client, "GET", "/api/v1/conversations").json()
    assert [c["id"] for c in body["conversations"]] == [conversation.pk]
    started = call(client, "POST", "/api/v1/conversations")
    assert started.status_code == 201
    entries = AuditEvent.objects.filter(action="api.conversation").order_by("pk")
    assert [e.detail["status"] for e in entries] == [200, 201]
    assert all(e.patient_id == patient_user.patient.pk for e in entries)
    assert entries[0].detail["caller"] == "session"


@pytest.mark.django_db
def test_a_message_that_is_not_text_is_a_400_naming_the_field(client, patient_user, conversation):
    client.force_login(patient_user)
    response = _post(client, conversation.pk, {"client_id": "bad id!", "text": ["a"]})
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"client_id", "text"}

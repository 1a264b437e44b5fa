"""Escalations for clinician systems: the inbox's selectors and services, the same audit, and
the FHIR Task / Communication views."""

from __future__ import annotations

import pytest
from api_fixtures import call, client_token
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.task import Task

from assistant.models import Escalation, Message
from portal.models import AuditEvent


@pytest.fixture
def nurse_token(plain_nurse):
    return client_token(["escalations.read", "escalations.write"], user=plain_nurse)


@pytest.mark.django_db
def test_the_list_is_the_queue_most_urgent_first_and_audited(
    client, nurse_token, emergency, urgent
):
    body = call(client, "GET", "/api/v1/escalations", token=nurse_token).json()
    assert [e["id"] for e in body["escalations"]] == [emergency.pk, urgent.pk]
    read = AuditEvent.objects.get(action="queue.view")
    assert read.detail["via"] == "api"
    assert read.detail["escalation_ids"] == [emergency.pk, urgent.pk]


@pytest.mark.django_db
def test_reading_one_returns_its_thread_and_is_audited_as_a_thread_read(
    client, nurse_token, emergency
):
    body = call(client, "GET", f"/api/v1/escalations/{emergency.pk}", token=nurse_token).json()
    assert body["level"] == "emergency"
    assert [m["role"] for m in body["messages"]] == ["patient"]
    entry = AuditEvent.objects.get(action="thread.view")
    assert entry.object_id == str(emergency.pk)
    assert entry.patient_id == emergency.conversation.patient_id
    assert entry.detail["client_id"]


@pytest.mark.django_db
def test_claim_reply_resolve_in_the_nurses_name(client, nurse_token, plain_nurse, emergency):
    url = f"/api/v1/escalations/{emergency.pk}"
    claimed = call(client, "POST", f"{url}/claim", token=nurse_token)
    assert claimed.status_code == 200
    assert claimed.json()["claimed_by_id"] == plain_nurse.pk
    reply = call(
        client, "POST", f"{url}/reply", {"text": "Please call 911 now."}, token=nurse_token
    )
    assert reply.status_code == 201
    sent = Message.objects.get(role="nurse")
    assert sent.author == plain_nurse and sent.text == "Please call 911 now."
    done = call(
        client, "POST", f"{url}/resolve", {"disposition": "emergency_advised"}, token=nurse_token
    )
    assert done.status_code == 200, done.json()
    emergency.refresh_from_db()
    assert emergency.status == Escalation.Status.RESOLVED
    assert emergency.resolved_by == plain_nurse
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"escalation.claim", "escalation.reply", "escalation.resolve"} <= actions


@pytest.mark.django_db
def test_a_claim_someone_else_holds_is_a_409(client, nurse_token, second_nurse, emergency):
    from assistant.inbox.services import escalation_claim

    escalation_claim(escalation=emergency, nurse=second_nurse)
    response = call(client, "POST", f"/api/v1/escalations/{emergency.pk}/claim", token=nurse_token)
    assert response.status_code == 409
    assert response.json()["error"] == "conflict"


@pytest.mark.django_db
def test_an_unknown_disposition_is_a_400(client, nurse_token, emergency):
    response = call(
        client,
        "POST",
        f"/api/v1/escalations/{emergency.pk}/resolve",
        {"disposition": "<b>gone</b>"},
        token=nurse_token,
    )
    assert response.status_code == 400
    assert "disposition" in response.json()["fields"]


@pytest.mark.django_db
def test_a_read_only_client_cannot_act(client, plain_nurse, emergency):
    token = client_token(["escalations.read"], user=plain_nurse)
    url = f"/api/v1/escalations/{emergency.pk}"
    assert call(client, "GET", url, token=token).status_code == 200
    assert call(client, "POST", f"{url}/claim", token=token).status_code == 403
    emergency.refresh_from_db()
    assert emergency.status == Escalation.Status.OPEN


@pytest.mark.django_db
def test_the_fhir_views_validate_as_r4_task_and_communications(client, nurse_token, emergency):
    task = call(client, "GET", f"/api/v1/fhir/Task/{emergency.pk}", token=nurse_token)
    assert task.status_code == 200
    parsed = Task.model_validate(task.json())
    assert parsed.priority == "stat"
    assert parsed.status == "requested"
    assert parsed.restriction.period.end is not None
    found = call(
        client,
        "GET",
        "/api/v1/fhir/Communication",
        {"based-on": f"Task/{emergency.pk}"},
        token=nurse_token,
    )
    bundle = Bundle.model_validate(found.json())
    assert bundle.total == 1
    communication = bundle.entry[0].resource
    assert communication.payload[0].contentString.startswith("I have crushing chest pain")
    call(client, "POST", f"/api/v1/escalations/{emergency.pk}/claim", token=nurse_token)
    owned = Task.model_validate(
        call(client, "GET", f"/api/v1/fhir/Task/{emergency.pk}", token=nurse_token).json()
    )
    assert owned.status == "accepted"
    assert owned.owner.display == "Nora Quinn"

"""Every staff read of a patient's messages or record leaves an audit entry: the inbox socket's
queue and its live "watch" stream (which reads each new message as it arrives) as much as the
pages, and the admin's pages of a patient's conditions, medicines and visits."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.urls import reverse
from inbox_fixtures import inbox_socket, receive_until

from portal.models import AuditEvent, Condition
from tests.portal.portal_fixtures import bundle_files, import_bundles


def _events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("pk"))


@pytest.mark.django_db(transaction=True)
async def test_the_live_watch_stream_audits_the_watch_and_every_message_it_delivers(
    plain_nurse, patient_user, emergency
):
    comm = await inbox_socket(plain_nurse)
    assert (await comm.connect())[0]
    snapshot = await comm.receive_json_from(timeout=5)
    [queue_view] = await sync_to_async(_events)("queue.view")
    assert queue_view.actor_id == plain_nurse.pk
    assert queue_view.detail["escalation_ids"] == [e["id"] for e in snapshot["escalations"]]

    await comm.send_json_to({"type": "watch", "escalation_id": emergency.pk})
    assert (await comm.receive_json_from(timeout=5))["type"] == "watching"
    [watch] = await sync_to_async(_events)("thread.watch")
    assert watch.actor_id == plain_nurse.pk
    assert watch.patient_id == emergency.conversation.patient_id
    assert watch.object_id == str(emergency.pk)

    from assistant import services as chat_services

    message, _ = await sync_to_async(chat_services.message_receive)(
        conversation=emergency.conversation,
        user=patient_user,
        text="The pain is spreading to my jaw",
        client_id="c-audit-1",
    )
    await receive_until(
        comm, lambda f: f["type"] == "message" and f["message"]["id"] == message.pk, timeout=20
    )
    await comm.disconnect()
    reads = [
        e for e in await sync_to_async(_events)("message.view") if e.object_id == str(message.pk)
    ]
    assert len(reads) == 1
    assert reads[0].actor_id == plain_nurse.pk
    assert reads[0].patient_id == emergency.conversation.patient_id
    assert reads[0].detail == {"via": "watch", "escalation_id": emergency.pk}


@pytest.mark.django_db(transaction=True)
async def test_a_refused_watch_reads_nothing_and_leaves_no_read_entry(plain_nurse, emergency):
    comm = await inbox_socket(plain_nurse)
    assert (await comm.connect())[0]
    await comm.receive_json_from(timeout=5)
    await comm.send_json_to({"type": "watch", "escalation_id": emergency.pk + 999})
    assert (await comm.receive_json_from(timeout=5))["code"] == "not_found"
    await comm.disconnect()
    assert await sync_to_async(_events)("thread.watch") == []


@pytest.mark.django_db
def test_the_queue_page_audits_the_excerpts_it_shows(nurse_client, plain_nurse, emergency):
    assert nurse_client.get(reverse("inbox:queue")).status_code == 200
    [event] = _events("queue.view")
    assert event.actor == plain_nurse and event.detail["escalation_ids"] == [emergency.pk]


@pytest.fixture
def record_admin(client, django_user_model):
    boss = django_user_model.objects.create_superuser("boss", "boss@example.org", "pw-Boss-2026!")
    client.force_login(boss)
    import_bundles(bundle_files()[0])
    return client, boss


@pytest.mark.django_db
def test_the_admins_record_pages_are_audited(record_admin):
    client, boss = record_admin
    condition = Condition.objects.select_related("patient").first()
    page = client.get(
        reverse("admin:portal_condition_change", args=[condition.pk]), REMOTE_ADDR="10.4.4.4"
    )
    assert page.status_code == 200
    [event] = _events("record.view")
    assert (event.actor, event.patient, event.ip_address) == (boss, condition.patient, "10.4.4.4")
    assert (event.object_type, event.object_id) == ("condition", str(condition.pk))

    listing = client.get(
        reverse("admin:portal_condition_changelist"), {"patient__id__exact": condition.patient_id}
    )
    assert listing.status_code == 200
    [listed] = _events("record.list")
    assert listed.patient == condition.patient and listed.detail["patients"] == [
        condition.patient_id
    ]


@pytest.mark.django_db
def test_a_missing_record_page_leaves_no_read_entry(record_admin):
    client, _ = record_admin
    assert client.get(reverse("admin:portal_condition_change", args=[999999])).status_code in (
        302,
        404,
    )
    assert _events("record.view") == []

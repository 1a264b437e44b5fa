"""The live inbox over the real ASGI router: new escalations appear, claims and replies show up
on every open page, and the patient's chat sees the nurse's reply and the hand-off status."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import sync_to_async
from chat_fixtures import connect as chat_connect
from inbox_fixtures import escalate, inbox_socket, make_patient, receive_until

from assistant.inbox import alerts as sla
from assistant.inbox import services as svc
from assistant.models import Alert, Conversation, Message

pytestmark = pytest.mark.django_db(transaction=True)


async def _nurse_socket(user):
    comm = await inbox_socket(user)
    connected, _ = await comm.connect()
    assert connected
    snapshot = await comm.receive_json_from(timeout=5)
    assert snapshot["type"] == "queue"
    return comm, snapshot


def _new_emergency(username: str, given: str):
    _user, patient = make_patient(username, given=given, family="Stone")
    return escalate(Conversation.objects.create(patient=patient))


async def test_a_new_emergency_appears_on_an_open_queue_without_reload(plain_nurse):
    comm, snapshot = await _nurse_socket(plain_nurse)
    assert snapshot["escalations"] == []
    esc = await sync_to_async(_new_emergency)("ivy.stone", "Ivy")
    frames = await receive_until(comm, lambda f: f["type"] == "escalation")
    row = frames[-1]["escalation"]
    assert row["id"] == esc.pk
    assert row["level"] == "emergency" and row["status"] == "open"
    assert row["patient_name"] == "Ivy Stone"
    assert row["rule_title"] == "Chest pain" and row["matched"] == ["crushing chest pain"]
    assert row["url"] == f"/inbox/{esc.pk}/"
    assert row["sla_text"].startswith("due in")
    await comm.disconnect()


async def test_a_claim_shows_on_every_nurses_queue(plain_nurse, second_nurse, emergency):
    mine, _ = await _nurse_socket(plain_nurse)
    theirs, _ = await _nurse_socket(second_nurse)
    await sync_to_async(svc.escalation_claim)(escalation=emergency, nurse=plain_nurse)
    for comm in (mine, theirs):
        frames = await receive_until(comm, lambda f: f["type"] == "escalation")
        assert frames[-1]["escalation"]["claimed_by_name"] == "Nora Quinn"
        assert frames[-1]["escalation"]["status"] == "claimed"
        await comm.disconnect()


async def test_the_thread_page_follows_its_conversation(plain_nurse, patient_user, emergency):
    comm, _ = await _nurse_socket(plain_nurse)
    await comm.send_json_to({"type": "watch", "escalation_id": emergency.pk})
    assert (await comm.receive_json_from(timeout=5)) == {
        "type": "watching",
        "escalation_id": emergency.pk,
    }
    # The patient writes again: the chat service saves it and tells the conversation group.
    from assistant import services as chat_services

    message, _ = await sync_to_async(chat_services.message_receive)(
        conversation=emergency.conversation,
        user=patient_user,
        text="The pain is spreading to my jaw",
        client_id="c-1",
    )
    frames = await receive_until(
        comm, lambda f: f["type"] == "message" and f["message"]["id"] == message.pk, timeout=20
    )
    assert frames[-1]["message"]["text"] == "The pain is spreading to my jaw"
    await comm.disconnect()


async def test_a_nurse_does_not_receive_threads_they_do_not_watch(plain_nurse, emergency):
    comm, _ = await _nurse_socket(plain_nurse)
    await sync_to_async(Message.objects.create)(
        conversation=emergency.conversation, role="patient", kind="question", text="hello"
    )
    from assistant.events import conversation_group, send_now

    last = await sync_to_async(Message.objects.last)()
    await sync_to_async(send_now)(
        conversation_group(emergency.conversation_id),
        {"type": "chat.message", "message_id": last.pk},
    )
    assert await comm.receive_nothing(timeout=0.5)
    await comm.disconnect()


async def test_the_patient_sees_the_nurses_reply_live_and_named(
    patient_user, plain_nurse, emergency
):
    chat, _history = await chat_connect(emergency.conversation_id, patient_user)
    await sync_to_async(svc.escalation_claim)(escalation=emergency, nurse=plain_nurse)
    frames = await receive_until(chat, lambda f: f["type"] == "handoff")
    assert frames[-1]["escalation"]["status"] == "claimed"
    assert frames[-1]["escalation"]["status_text"] == "A nurse is looking at this"
    await sync_to_async(svc.nurse_reply_send)(
        escalation=emergency, nurse=plain_nurse, text="I am calling you right now."
    )
    frames = await receive_until(chat, lambda f: f["type"] == "message")
    reply = frames[-1]["message"]
    assert reply["role"] == "nurse" and reply["kind"] == "nurse_reply"
    assert reply["author_name"] == "Nora Quinn"
    assert reply["text"] == "I am calling you right now."
    frames = await receive_until(chat, lambda f: f["type"] == "handoff")
    assert frames[-1]["escalation"]["status_text"].startswith("Answered by")
    await chat.disconnect()


async def test_watching_an_unknown_escalation_or_bad_frames_get_errors(plain_nurse):
    comm, _ = await _nurse_socket(plain_nurse)
    await comm.send_json_to({"type": "watch", "escalation_id": 999999})
    assert (await comm.receive_json_from(timeout=5))["code"] == "not_found"
    await comm.send_json_to({"type": "watch", "escalation_id": "1; drop"})
    assert (await comm.receive_json_from(timeout=5))["code"] == "bad_request"
    await comm.send_to(text_data="{not json")
    assert (await comm.receive_json_from(timeout=5))["code"] == "bad_json"
    await comm.send_to(bytes_data=b"\x00\x01")
    assert (await comm.receive_json_from(timeout=5))["code"] == "binary"
    await comm.send_to(text_data=json.dumps({"type": "shutdown"}))
    assert (await comm.receive_json_from(timeout=5))["code"] == "bad_type"
    await comm.disconnect()


async def test_overdue_alerts_arrive_and_can_be_dismissed(plain_nurse, patient_user):
    def overdue_alert():
        esc = escalate(Conversation.objects.create(patient=patient_user.patient), age_minutes=20)
        sla.overdue_alerts_create()
        return esc

    comm, _ = await _nurse_socket(plain_nurse)
    esc = await sync_to_async(overdue_alert)()
    frames = await receive_until(comm, lambda f: f["type"] == "alerts")
    alerts = frames[-1]["alerts"]
    assert len(alerts) == 1 and alerts[0]["escalation_id"] == esc.pk
    assert "Overdue emergency escalation" in alerts[0]["text"]
    await comm.send_json_to({"type": "alerts.read", "ids": [alerts[0]["id"]]})
    frames = await receive_until(comm, lambda f: f["type"] == "alerts")
    assert frames[-1]["alerts"] == []
    assert await sync_to_async(Alert.objects.filter(read_at__isnull=True).count)() == 0
    await comm.disconnect()

"""What a patient sees on the socket once a message is saved: answers, emergencies, hand-offs,
nurse replies, feedback, and what survives a reconnect. Through the real ASGI router."""

from __future__ import annotations

from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from chat_fixtures import connect, frames_until, is_reply, is_type, send
from django.utils import timezone

from assistant import events
from assistant.models import Escalation, Feedback, Message

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("small_retriever")]


async def ask(comm, text: str, client_id: str) -> list[dict]:
    """Send a question; every frame up to its reply."""
    await send(comm, {"type": "message", "text": text, "client_id": client_id})
    return await frames_until(comm, is_reply)


async def test_a_routine_question_gets_a_cited_answer(conversation, patient_user, small_retriever):
    comm, _ = await connect(conversation.pk, patient_user)
    frames = await ask(comm, "What is high blood pressure?", "q1")
    kinds = [f["type"] for f in frames]
    assert kinds[:2] == ["message", "thinking"]  # saved, acknowledged, then the answer
    question, answer = frames[0]["message"], frames[-1]["message"]
    assert answer["reply_to"] == question["id"]
    assert (answer["role"], answer["kind"]) == ("assistant", "answer")
    assert answer["rateable"] and answer["feedback"] is None
    known = {s.external_id: s for s in small_retriever.sections}
    assert answer["citations"]
    for cite in answer["citations"]:
        assert cite["url"] == known[cite["section_id"]].url
        assert cite["version"] == 1
        assert cite["source_name"] and cite["excerpt"]
    assert "blood pressure" in answer["text"].lower()
    # Pipeline internals stay with staff.
    assert "meta" not in answer and "decision" not in answer
    await comm.disconnect()


async def test_an_emergency_gets_the_safety_notice_and_reaches_the_care_team(
    conversation, patient_user
):
    comm, _ = await connect(conversation.pk, patient_user)
    frames = await ask(comm, "I have crushing chest pain and can't breathe", "e1")
    safety = frames[-1]["message"]
    assert safety["kind"] == "safety"
    assert "911" in safety["text"]
    assert safety["level"] == "emergency"
    handoff = (await frames_until(comm, is_type("handoff")))[-1]["escalation"]
    assert (handoff["level"], handoff["status"]) == ("emergency", "open")
    assert handoff["status_text"] == "Sent to your care team"
    esc = await sync_to_async(Escalation.objects.get)(conversation=conversation)
    assert esc.level == "emergency" and esc.trigger_message_id == frames[0]["message"]["id"]
    await comm.disconnect()


async def test_every_open_page_of_the_conversation_sees_the_exchange(conversation, patient_user):
    phone, _ = await connect(conversation.pk, patient_user)
    laptop, _ = await connect(conversation.pk, patient_user)
    await ask(phone, "What is anemia?", "t1")
    seen = await frames_until(laptop, is_reply)
    assert seen[0]["type"] == "message" and seen[0]["message"]["client_id"] == "t1"
    assert seen[1]["type"] == "thinking"
    assert seen[-1]["message"]["kind"] in {"answer", "abstain"}
    # The sender got its own acknowledgement once, not twice.
    assert await phone.receive_nothing(timeout=0.2)
    for comm in (phone, laptop):
        await comm.disconnect()


async def test_reconnecting_reloads_everything_from_the_database(conversation, patient_user):
    comm, _ = await connect(conversation.pk, patient_user)
    await ask(comm, "What is high blood pressure?", "r1")
    await comm.disconnect()
    comm, history = await connect(conversation.pk, patient_user)
    messages = history["messages"]
    assert [m["role"] for m in messages] == ["patient", "assistant"]
    assert messages[0]["client_id"] == "r1" and messages[0]["answer_state"] == "answered"
    assert messages[1]["reply_to"] == messages[0]["id"] and messages[1]["citations"]
    await comm.disconnect()


async def test_a_message_left_pending_by_a_restart_is_answered_on_connect(
    conversation, patient_user
):
    def left_pending():
        msg = Message.objects.create(
            conversation=conversation,
            role="patient",
            kind="question",
            author=patient_user,
            text="What is high blood pressure?",
            client_id="lost",
            answer_state="pending",
        )
        Message.objects.filter(pk=msg.pk).update(created_at=timezone.now() - timedelta(minutes=3))
        return msg

    lost = await sync_to_async(left_pending)()
    comm, history = await connect(conversation.pk, patient_user)
    assert history["messages"][0]["answer_state"] == "pending"
    reply = (await frames_until(comm, is_reply))[-1]["message"]
    assert reply["reply_to"] == lost.pk
    await sync_to_async(lost.refresh_from_db)()
    assert lost.answer_state == "answered"
    await comm.disconnect()


async def test_a_nurse_reply_reaches_the_patient_with_the_nurses_name(
    conversation, patient_user, nurse
):
    def nurse_answers():
        question = Message.objects.create(
            conversation=conversation,
            role="patient",
            kind="question",
            text="Is this normal?",
            answer_state="answered",
        )
        Escalation.objects.create(
            conversation=conversation,
            trigger_message=question,
            level="routine",
            priority=2,
            status="claimed",
            claimed_by=nurse,
            due_at=timezone.now() + timedelta(days=1),
        )
        return Message.objects.create(
            conversation=conversation,
            role="nurse",
            kind="nurse_reply",
            author=nurse,
            text="Yes, this is expected after the change of dose. <b>Call us</b> if it lasts.",
        )

    comm, _ = await connect(conversation.pk, patient_user)
    reply = await sync_to_async(nurse_answers)()
    # What the nurse inbox sends after saving a reply.
    await get_channel_layer().group_send(
        events.conversation_group(conversation.pk), {"type": "chat.message", "message_id": reply.pk}
    )
    frames = await frames_until(comm, is_type("handoff"))
    message = frames[0]["message"]
    assert (message["role"], message["author_label"]) == ("nurse", "Nurse Nora Quinn")
    assert message["text"].endswith("<b>Call us</b> if it lasts.")  # raw text: the page escapes it
    assert not message["rateable"]
    assert frames[-1]["escalation"]["status_text"] == "Answered by Nurse Nora Quinn"
    await comm.disconnect()


async def test_a_failed_answer_can_be_sent_to_the_care_team(
    conversation, patient_user, monkeypatch
):
    class DownRetriever:
        def search(self, query, *, k=10, topics=()):
            raise TimeoutError("index did not answer")

    monkeypatch.setattr("knowledge.wiring.get_retriever", DownRetriever, raising=False)
    comm, _ = await connect(conversation.pk, patient_user)
    frames = await ask(comm, "What is high blood pressure?", "f1")
    notice = frames[-1]["message"]
    assert notice["kind"] == "error" and notice["offer_handoff"]
    assert "care team" in notice["text"]
    await send(comm, {"type": "handoff_request", "message_id": notice["id"]})
    got = await frames_until(comm, is_type("handoff"))
    assert got[-1]["escalation"]["status_text"] == "Sent to your care team"
    esc = await sync_to_async(Escalation.objects.get)(conversation=conversation)
    assert (esc.level, esc.trigger_message_id) == ("routine", frames[0]["message"]["id"])
    await comm.disconnect()


async def test_feedback_is_saved_once_and_can_be_changed(conversation, patient_user):
    comm, _ = await connect(conversation.pk, patient_user)
    answer = (await ask(comm, "What is high blood pressure?", "fb1"))[-1]["message"]
    question_id = answer["reply_to"]
    await send(comm, {"type": "feedback", "message_id": answer["id"], "helpful": True})
    saved = (await frames_until(comm, is_type("feedback_saved")))[-1]
    assert (saved["message_id"], saved["helpful"]) == (answer["id"], True)
    await send(
        comm,
        {"type": "feedback", "message_id": answer["id"], "helpful": False, "comment": "Too long"},
    )
    await frames_until(comm, is_type("feedback_saved"))
    fb = await sync_to_async(Feedback.objects.get)()
    assert (fb.helpful, fb.comment, fb.user_id) == (False, "Too long", patient_user.pk)
    # The patient's own message cannot be rated; nor can a message of another conversation.
    await send(comm, {"type": "feedback", "message_id": question_id, "helpful": True})
    assert (await frames_until(comm, is_type("error")))[-1]["code"] == "not_allowed"
    await send(comm, {"type": "feedback", "message_id": 10**9, "helpful": True})
    assert (await frames_until(comm, is_type("error")))[-1]["code"] == "not_found"
    # And the rating comes back with the history.
    await send(comm, {"type": "history"})
    history = (await frames_until(comm, is_type("history")))[-1]
    rated = next(m for m in history["messages"] if m["id"] == answer["id"])
    assert rated["feedback"] == {"helpful": False, "comment": "Too long"}
    await comm.disconnect()

"""The chat socket's access rules and its handling of bad, repeated and flooding input.

Every test goes through the real ASGI router (origin check, session auth, URL routing).
"""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from chat_fixtures import (
    close_code,
    connect,
    frames_until,
    is_type,
    open_socket,
    send,
)

from assistant.models import Conversation, Message

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("small_retriever")]


def count_messages(**filters) -> int:
    return Message.objects.filter(**filters).count()


def add_message(conversation, role, text, **extra) -> Message:
    kind = {"patient": "question", "assistant": "answer", "nurse": "nurse_reply"}[role]
    return Message.objects.create(
        conversation=conversation, role=role, kind=kind, text=text, **extra
    )


# --- who may connect ----------------------------------------------------------------------------


async def test_owner_gets_the_history_on_connect(conversation, patient_user):
    first = await sync_to_async(add_message)(
        conversation, "patient", "What is anemia?", client_id="c-1", answer_state="answered"
    )
    await sync_to_async(add_message)(conversation, "assistant", "Anemia is ...", reply_to=first)
    comm, history = await connect(conversation.pk, patient_user)
    texts = [m["text"] for m in history["messages"]]
    assert texts == ["What is anemia?", "Anemia is ..."]
    assert history["messages"][1]["reply_to"] == first.pk
    assert history["handoff"] is None
    await comm.disconnect()


async def test_another_patients_conversation_is_refused(other_conversation, patient_user):
    await sync_to_async(add_message)(other_conversation, "patient", "my private question")
    comm = await open_socket(other_conversation.pk, patient_user)
    await comm.connect()
    assert await close_code(comm) == 4403


async def test_a_conversation_that_does_not_exist_is_refused_the_same_way(patient_user):
    comm = await open_socket(987654, patient_user)
    await comm.connect()
    assert await close_code(comm) == 4403


async def test_anonymous_is_refused(conversation):
    comm = await open_socket(conversation.pk, None)
    await comm.connect()
    assert await close_code(comm) == 4401


async def test_a_nurse_cannot_open_a_patient_socket(conversation, nurse):
    comm = await open_socket(conversation.pk, nurse)
    await comm.connect()
    assert await close_code(comm) == 4403


async def test_a_foreign_origin_is_rejected(conversation, patient_user):
    comm = await open_socket(conversation.pk, patient_user, origin=b"https://evil.example")
    connected, _ = await comm.connect()
    assert not connected
    comm = await open_socket(conversation.pk, patient_user, origin=None)
    connected, _ = await comm.connect()
    assert not connected


# --- bad input ----------------------------------------------------------------------------------

BAD_FRAMES = [
    pytest.param({"bytes_data": b"\x00\x01hello"}, "binary", id="binary"),
    pytest.param({"text_data": "this is not json"}, "bad_json", id="not-json"),
    pytest.param({"text_data": "[1, 2, 3]"}, "bad_json", id="json-not-object"),
    pytest.param({"text_data": "[" * 5000 + "]" * 5000}, "bad_json", id="deeply-nested"),
    pytest.param({"text_data": '{"text": "hi", "client_id": "a1"}'}, "bad_type", id="no-type"),
    pytest.param({"text_data": '{"type": "shout", "text": "hi"}'}, "bad_type", id="unknown-type"),
    pytest.param({"text_data": '{"type": 7}'}, "bad_type", id="type-not-string"),
    pytest.param({"frame": {"type": "message", "text": "hi"}}, "missing_client_id", id="no-cid"),
    pytest.param(
        {"frame": {"type": "message", "text": "hi", "client_id": ""}},
        "missing_client_id",
        id="empty-cid",
    ),
    pytest.param(
        {"frame": {"type": "message", "text": "hi", "client_id": {"a": 1}}},
        "bad_field",
        id="cid-not-string",
    ),
    pytest.param(
        {"frame": {"type": "message", "text": "hi", "client_id": "<script>"}},
        "bad_field",
        id="cid-bad-chars",
    ),
    pytest.param(
        {"frame": {"type": "message", "text": 42, "client_id": "a1"}}, "bad_field", id="text-int"
    ),
    pytest.param({"frame": {"type": "message", "client_id": "a1"}}, "bad_field", id="text-missing"),
    pytest.param(
        {"frame": {"type": "message", "text": " \n\t ", "client_id": "a1"}}, "empty", id="blank"
    ),
    pytest.param(
        {"frame": {"type": "message", "text": "\x00\x01", "client_id": "a1"}},
        "empty",
        id="only-control-chars",
    ),
    pytest.param(
        {"frame": {"type": "message", "text": "x" * 2001, "client_id": "a1"}},
        "too_long",
        id="too-long",
    ),
    pytest.param({"text_data": "x" * 100_000}, "too_long", id="huge-frame"),
    pytest.param(
        {"frame": {"type": "feedback", "message_id": "1", "helpful": True}},
        "bad_field",
        id="feedback-id-string",
    ),
    pytest.param(
        {"frame": {"type": "feedback", "message_id": 1, "helpful": "yes"}},
        "bad_field",
        id="feedback-helpful-string",
    ),
    pytest.param(
        {"frame": {"type": "feedback", "message_id": True, "helpful": True}},
        "bad_field",
        id="feedback-id-bool",
    ),
    pytest.param(
        {"frame": {"type": "handoff_request", "message_id": None}},
        "bad_field",
        id="handoff-no-id",
    ),
]


@pytest.mark.parametrize(("payload", "code"), BAD_FRAMES)
async def test_bad_input_gets_an_error_frame_and_the_socket_stays_usable(
    conversation, patient_user, payload, code
):
    comm, _ = await connect(conversation.pk, patient_user)
    if "frame" in payload:
        await send(comm, payload["frame"])
    else:
        await comm.send_to(**payload)
    error = await comm.receive_json_from(timeout=5)
    assert error["type"] == "error"
    assert error["code"] == code
    assert error["detail"]  # a sentence a person can read
    # Still usable: the next valid frame works, and nothing was stored half-way.
    await send(comm, {"type": "history"})
    assert (await comm.receive_json_from(timeout=5))["type"] == "history"
    assert await sync_to_async(count_messages)() == 0
    await comm.disconnect()


async def test_a_message_of_exactly_the_limit_is_accepted(conversation, patient_user, settings):
    settings.CHAT_MAX_MESSAGE_CHARS = 50
    comm, _ = await connect(conversation.pk, patient_user)
    await send(comm, {"type": "message", "text": "a" * 51, "client_id": "long"})
    error = await comm.receive_json_from(timeout=5)
    assert (error["code"], error["client_id"]) == ("too_long", "long")
    await send(comm, {"type": "message", "text": "a" * 50, "client_id": "exact"})
    ack = await comm.receive_json_from(timeout=5)
    assert ack["type"] == "message"
    assert ack["message"]["client_id"] == "exact"
    assert await sync_to_async(count_messages)(role="patient") == 1
    await comm.disconnect()


# --- saving and resending -----------------------------------------------------------------------


async def test_a_message_is_saved_then_acknowledged_with_thinking(conversation, patient_user):
    comm, _ = await connect(conversation.pk, patient_user)
    await send(comm, {"type": "message", "text": "  What is anemia?  ", "client_id": "cid-1"})
    ack = await comm.receive_json_from(timeout=10)
    assert ack["type"] == "message"
    saved = await sync_to_async(Message.objects.get)(pk=ack["message"]["id"])
    assert (saved.text, saved.client_id, saved.role) == ("What is anemia?", "cid-1", "patient")
    assert saved.author_id == patient_user.pk
    thinking = await comm.receive_json_from(timeout=10)
    assert thinking == {"type": "thinking", "client_id": "cid-1", "message_id": saved.pk}
    await comm.disconnect()


async def test_a_resend_with_the_same_client_id_stores_one_message(conversation, patient_user):
    comm, _ = await connect(conversation.pk, patient_user)
    frame = {"type": "message", "text": "What is high blood pressure?", "client_id": "same-id"}
    await send(comm, frame)
    first = await frames_until(comm, lambda f: f["type"] == "message")
    message_id = first[-1]["message"]["id"]
    await frames_until(comm, lambda f: f["type"] == "message" and f["message"]["reply_to"])
    # The client did not see the acknowledgement (say, the network dropped): it resends.
    await send(comm, frame)
    resent = await frames_until(comm, lambda f: f["type"] == "message" and f["message"]["reply_to"])
    echoed = [f["message"] for f in resent if f["type"] == "message"]
    assert echoed[0]["id"] == message_id
    assert echoed[-1]["reply_to"] == message_id  # and the answer it already has
    assert await sync_to_async(count_messages)(role="patient") == 1
    assert await sync_to_async(count_messages)(reply_to_id=message_id) == 1
    await comm.disconnect()


async def test_the_same_client_id_in_another_conversation_is_another_message(
    conversation, patient_user
):
    second = await sync_to_async(Conversation.objects.create)(patient=conversation.patient)
    for conv in (conversation, second):
        comm, _ = await connect(conv.pk, patient_user)
        await send(comm, {"type": "message", "text": "Hello", "client_id": "shared"})
        ack = await comm.receive_json_from(timeout=10)
        assert ack["message"]["client_id"] == "shared"
        await comm.disconnect()
    assert await sync_to_async(count_messages)(role="patient") == 2


# --- rate limit ---------------------------------------------------------------------------------


async def test_a_flooding_patient_is_rate_limited_and_nothing_is_stored(
    conversation, patient_user, settings
):
    settings.CHAT_RATE_LIMIT = 3
    settings.CHAT_RATE_WINDOW_SECONDS = 60
    comm, _ = await connect(conversation.pk, patient_user)
    for i in range(3):
        await send(comm, {"type": "message", "text": f"question {i}", "client_id": f"q{i}"})
        await frames_until(comm, is_type("thinking"))
    await send(comm, {"type": "message", "text": "one too many", "client_id": "q3"})
    error = await frames_until(comm, is_type("error"))
    assert error[-1]["code"] == "rate_limited"
    assert error[-1]["client_id"] == "q3"
    assert 0 < error[-1]["retry_after"] <= 60
    assert await sync_to_async(count_messages)(role="patient") == 3
    assert not await sync_to_async(Message.objects.filter(text="one too many").exists)()
    # A resend of a message already stored is not new: it is answered, not refused.
    await send(comm, {"type": "message", "text": "question 0", "client_id": "q0"})
    echo = await frames_until(
        comm, lambda f: f["type"] == "error" or f.get("message", {}).get("client_id") == "q0"
    )
    assert echo[-1]["type"] == "message"
    await comm.disconnect()


async def test_the_rate_limit_counts_per_person_across_sockets(
    conversation, patient_user, other_conversation, other_patient_user, settings
):
    settings.CHAT_RATE_LIMIT = 2
    settings.CHAT_RATE_WINDOW_SECONDS = 60
    second = await sync_to_async(Conversation.objects.create)(patient=conversation.patient)
    tab_a, _ = await connect(conversation.pk, patient_user)
    tab_b, _ = await connect(second.pk, patient_user)
    await send(tab_a, {"type": "message", "text": "one", "client_id": "a1"})
    await frames_until(tab_a, is_type("thinking"))
    await send(tab_b, {"type": "message", "text": "two", "client_id": "b1"})
    await frames_until(tab_b, is_type("thinking"))
    await send(tab_b, {"type": "message", "text": "three", "client_id": "b2"})
    assert (await frames_until(tab_b, is_type("error")))[-1]["code"] == "rate_limited"
    # Someone else is not affected.
    other, _ = await connect(other_conversation.pk, other_patient_user)
    await send(other, {"type": "message", "text": "mine", "client_id": "o1"})
    assert (await other.receive_json_from(timeout=10))["type"] == "message"
    for comm in (tab_a, tab_b, other):
        await comm.disconnect()


async def test_a_socket_spraying_junk_frames_is_slowed_down(conversation, patient_user, settings):
    settings.CHAT_RATE_LIMIT = 2  # frames allowed per socket: 5 x this per window
    settings.CHAT_RATE_WINDOW_SECONDS = 60
    comm, _ = await connect(conversation.pk, patient_user)
    codes = []
    for _ in range(12):
        await comm.send_to(text_data="junk")
        codes.append((await comm.receive_json_from(timeout=5))["code"])
    assert codes[:10] == ["bad_json"] * 10
    assert codes[10:] == ["rate_limited"] * 2
    await comm.disconnect()


# --- events for other conversations never leak ---------------------------------------------------


async def test_an_event_naming_another_conversations_message_sends_nothing(
    conversation, patient_user, other_conversation
):
    from channels.layers import get_channel_layer

    secret = await sync_to_async(add_message)(other_conversation, "patient", "secret")
    comm, _ = await connect(conversation.pk, patient_user)
    await get_channel_layer().group_send(
        f"conversation.{conversation.pk}", {"type": "chat.message", "message_id": secret.pk}
    )
    assert await comm.receive_nothing(timeout=0.3)
    await comm.disconnect()

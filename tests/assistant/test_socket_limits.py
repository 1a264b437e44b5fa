"""Sockets one user may hold, and text a frame may carry.

- One account can hold SOCKETS_PER_USER sockets at once (chat or inbox); one more is
  told why and closed with 4429; closing one frees its place; another user is not affected.
- A lone UTF-16 surrogate spelled in a frame's JSON ("\\ud800") is a clear error frame, nothing
  is saved, and the socket stays usable (it was a server error: no database stores it as text).
"""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from chat_fixtures import close_code, connect, frames_until, is_type, open_socket
from inbox_fixtures import inbox_socket

from assistant.models import Message
from portal import socket_cap

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("small_retriever")]


@pytest.fixture(autouse=True)
def _two_sockets_each(settings):
    settings.SOCKETS_PER_USER = 2
    socket_cap._memory.leases.clear()
    if settings.REDIS_URL:  # the services pass: the leases live in Redis, across processes
        client = socket_cap._redis(settings.REDIS_URL)
        for key in client.scan_iter(socket_cap._key(0).rsplit(":", 1)[0] + ":*"):
            client.delete(key)


async def test_one_socket_over_the_cap_is_told_why_and_closed_with_4429(
    conversation, patient_user, other_conversation
):
    first, _ = await connect(conversation.pk, patient_user)
    second, _ = await connect(conversation.pk, patient_user)
    third = await open_socket(conversation.pk, patient_user)
    await third.connect()
    frame = await third.receive_json_from(timeout=5)
    assert frame["type"] == "error" and frame["code"] == "too_many_sockets"
    assert await close_code(third) == 4429

    # Another patient is not affected.
    other_user = await sync_to_async(lambda: other_conversation.patient.user)()
    theirs, _ = await connect(other_conversation.pk, other_user)
    await theirs.disconnect()

    # Closing one frees its place.
    await first.disconnect()
    again, _ = await connect(conversation.pk, patient_user)
    await again.disconnect()
    await second.disconnect()


async def test_the_inbox_socket_is_capped_too(nurse):
    comms = []
    for _ in range(2):
        comm = await inbox_socket(nurse)
        assert (await comm.connect())[0]
        assert (await comm.receive_json_from(timeout=5))["type"] == "queue"
        comms.append(comm)
    extra = await inbox_socket(nurse)
    await extra.connect()
    assert (await extra.receive_json_from(timeout=5))["code"] == "too_many_sockets"
    assert await close_code(extra) == 4429
    for comm in comms:
        await comm.disconnect()


async def test_a_lone_surrogate_is_an_error_frame_not_a_server_error(conversation, patient_user):
    comm, _ = await connect(conversation.pk, patient_user)
    raw = '{"type": "message", "client_id": "c-sur-1", "text": "chest pain \\ud800 now"}'
    await comm.send_to(text_data=raw)
    [error] = await frames_until(comm, is_type("error"))
    assert error["code"] == "bad_text"
    assert await sync_to_async(Message.objects.filter(client_id="c-sur-1").count)() == 0
    # The socket still works for the next, valid, message.
    await comm.send_to(text_data=raw.replace("\\ud800", "").replace("c-sur-1", "c-sur-2"))
    frames = await frames_until(comm, lambda f: f.get("type") in ("message", "error"))
    assert frames[-1]["type"] == "message"
    await comm.disconnect()


async def test_the_inbox_socket_answers_a_lone_surrogate_with_an_error_frame(nurse):
    comm = await inbox_socket(nurse)
    assert (await comm.connect())[0]
    await comm.receive_json_from(timeout=5)
    await comm.send_to(text_data='{"type": "watch", "escalation_id": 1, "x": "\\udfff"}')
    frame = await comm.receive_json_from(timeout=5)
    assert frame["type"] == "error" and frame["code"] == "bad_json"
    await comm.disconnect()


def test_leases_lapse_so_a_dead_process_cannot_lock_a_user_out(settings, monkeypatch):
    settings.SOCKETS_PER_USER = 1
    assert socket_cap.socket_acquire(user_id=7, socket_id="a")
    assert not socket_cap.socket_acquire(user_id=7, socket_id="b")
    later = socket_cap.time.time() + socket_cap.lease_seconds() + 1
    monkeypatch.setattr(socket_cap.time, "time", lambda: later)
    assert socket_cap.socket_acquire(user_id=7, socket_id="b")

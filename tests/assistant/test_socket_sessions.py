"""A socket lives no longer than the session that opened it, and chatting keeps that session alive.

The chat socket and the nurses' inbox socket, over the real router and the real session store:
the session expires, is signed out elsewhere, or the password changes while the socket is open.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from chat_fixtures import ORIGIN, close_code, send, session_cookie
from django.contrib.sessions.models import Session
from django.utils import timezone
from inbox_fixtures import escalate, make_patient

from assistant.models import Conversation, Message

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("small_retriever_inbox"),
]


async def open_signed_in(path: str, user) -> tuple[WebsocketCommunicator, str]:
    """A connected socket to `path` as `user`, its first frame read, and its session key."""
    from portal.asgi import application

    key = await sync_to_async(session_cookie)(user)
    headers = [(b"origin", ORIGIN), (b"cookie", f"sessionid={key}".encode())]
    comm = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await comm.connect()
    assert connected
    first = await comm.receive_json_from(timeout=5)
    assert first["type"] in ("history", "queue")
    return comm, key


def expire(key: str) -> None:
    past = timezone.now() - timedelta(seconds=1)
    Session.objects.filter(session_key=key).update(expire_date=past)


def sign_out_elsewhere(key: str) -> None:
    Session.objects.filter(session_key=key).delete()


def expiry(key: str):
    return Session.objects.get(session_key=key).expire_date


def count_messages(conversation) -> int:
    return Message.objects.filter(conversation=conversation).count()


@pytest.fixture
def patient_and_conversation(db):
    user, patient = make_patient("lena.hart", given="Lena", family="Hart")
    return user, Conversation.objects.create(patient=patient)


async def test_a_message_sent_after_the_session_expired_is_refused_and_not_saved(
    patient_and_conversation,
):
    user, conversation = patient_and_conversation
    comm, key = await open_signed_in(f"/ws/chat/{conversation.pk}/", user)
    await sync_to_async(expire)(key)
    await send(comm, {"type": "message", "client_id": "c-late", "text": "What is anemia?"})
    assert await close_code(comm) == 4401  # the page says "Your session has ended. Sign in"
    assert await sync_to_async(count_messages)(conversation) == 0  # it stays pending there


async def test_a_nurse_reply_is_not_pushed_to_a_signed_out_screen(patient_and_conversation):
    user, conversation = patient_and_conversation
    comm, key = await open_signed_in(f"/ws/chat/{conversation.pk}/", user)
    await sync_to_async(sign_out_elsewhere)(key)
    reply = await sync_to_async(Message.objects.create)(
        conversation=conversation, role="nurse", kind="nurse_reply", text="Your results are fine."
    )
    await get_channel_layer().group_send(
        f"conversation.{conversation.pk}", {"type": "chat.message", "message_id": reply.pk}
    )
    out = await comm.receive_output(timeout=5)
    assert out == {"type": "websocket.close", "code": 4401}  # closed, and no message frame first
    assert await comm.receive_nothing(timeout=0.3)


async def test_a_password_change_ends_the_open_socket(patient_and_conversation):
    user, conversation = patient_and_conversation
    comm, _key = await open_signed_in(f"/ws/chat/{conversation.pk}/", user)

    def change_password() -> None:
        user.set_password("a-new-password-2026")
        user.save()

    await sync_to_async(change_password)()
    await send(comm, {"type": "history"})
    assert await close_code(comm) == 4401


async def test_chatting_over_the_socket_keeps_the_session_alive(patient_and_conversation, settings):
    user, conversation = patient_and_conversation
    comm, key = await open_signed_in(f"/ws/chat/{conversation.pk}/", user)

    def nearly_expired() -> None:
        Session.objects.filter(session_key=key).update(
            expire_date=timezone.now() + timedelta(seconds=30)
        )

    await sync_to_async(nearly_expired)()
    await send(comm, {"type": "history"})
    assert (await comm.receive_json_from(timeout=5))["type"] == "history"
    left = await sync_to_async(expiry)(key) - timezone.now()
    assert left > timedelta(seconds=settings.SESSION_COOKIE_AGE - 60)  # a full idle period again
    await comm.disconnect()


async def test_an_expired_nurse_session_gets_no_more_queue_updates(plain_nurse):
    comm, key = await open_signed_in("/ws/inbox/", plain_nurse)
    await sync_to_async(expire)(key)

    def new_emergency():
        _user, patient = make_patient("ivy.stone", given="Ivy", family="Stone")
        return escalate(Conversation.objects.create(patient=patient))

    await sync_to_async(new_emergency)()  # announced to every open inbox
    out = await comm.receive_output(timeout=5)
    assert out == {"type": "websocket.close", "code": 4401}  # no patient name reached the screen

"""Helpers for the nurse-inbox tests: escalated conversations, staff in every role, sockets.

They serve every test of this folder through tests/assistant/conftest.py.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from chat_fixtures import ORIGIN, SmallRetriever, load_sections, make_patient, session_cookie
from django.utils import timezone

from assistant.handoff import escalation_open
from assistant.models import Conversation, Escalation, Message
from portal import roles
from tests.support import make_user

CHEST_PAIN = "I have crushing chest pain going down my left arm and I feel sweaty"
HEADACHE = "My blood pressure reading was 182 over 110 this morning and I have a headache"

__all__ = [
    "CHEST_PAIN",
    "HEADACHE",
    "ORIGIN",
    "SmallRetriever",
    "admin_client",
    "charge_client",
    "emergency",
    "escalate",
    "inbox_socket",
    "load_sections",
    "make_patient",
    "make_user",
    "nurse_client",
    "patient_client",
    "plain_nurse",
    "receive_until",
    "second_nurse",
    "small_retriever_inbox",
    "urgent",
]


def escalate(
    conversation: Conversation,
    text: str = CHEST_PAIN,
    *,
    level: str = "emergency",
    rule_title: str = "Chest pain",
    matched: tuple[str, ...] = ("crushing chest pain",),
    age_minutes: float = 0,
) -> Escalation:
    """A patient message and the escalation it opened; `age_minutes` back-dates both."""
    message = Message.objects.create(
        conversation=conversation,
        role=Message.Role.PATIENT,
        kind=Message.Kind.QUESTION,
        author=conversation.patient.user,
        text=text,
        answer_state=Message.AnswerState.ANSWERED,
    )
    esc = escalation_open(
        conversation=conversation,
        message=message,
        level=level,
        rule_id=rule_title.lower().replace(" ", "_"),
        rule_title=rule_title,
        matched=matched,
        reason="Possible heart attack" if level == "emergency" else "High reading",
    )
    if age_minutes:
        shift = timedelta(minutes=age_minutes)
        Message.objects.filter(pk=message.pk).update(created_at=timezone.now() - shift)
        Escalation.objects.filter(pk=esc.pk).update(
            created_at=esc.created_at - shift, due_at=esc.due_at - shift
        )
    # As the views and jobs see it: loaded from the database, not the objects built here.
    return Escalation.objects.select_related("conversation__patient").get(pk=esc.pk)


@pytest.fixture
def emergency(patient_user) -> Escalation:
    conversation = Conversation.objects.create(patient=patient_user.patient)
    return escalate(conversation)


@pytest.fixture
def urgent(db) -> Escalation:
    _user, patient = make_patient("james.kent", given="James", family="Kent")
    conversation = Conversation.objects.create(patient=patient)
    return escalate(
        conversation,
        HEADACHE,
        level="urgent",
        rule_title="Very high blood pressure",
        matched=("182 over 110",),
    )


@pytest.fixture
def plain_nurse(db):
    return make_user(
        "nurse.plain", roles.NURSE, first_name="Nora", last_name="Quinn", email="nora@example.org"
    )


@pytest.fixture
def second_nurse(db):
    return make_user(
        "nurse.two", roles.NURSE, first_name="Omar", last_name="Diaz", email="omar@example.org"
    )


def _client_for(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def nurse_client(client, plain_nurse):
    return _client_for(client, plain_nurse)


@pytest.fixture
def charge_client(client, charge_nurse):
    return _client_for(client, charge_nurse)


@pytest.fixture
def admin_client(client, admin_user):
    return _client_for(client, admin_user)


@pytest.fixture
def patient_client(client, patient_user):
    return _client_for(client, patient_user)


@pytest.fixture
def small_retriever_inbox(monkeypatch) -> SmallRetriever:
    """A few real MedQuAD sections (high blood pressure, heart) in place of the full index."""
    retriever = SmallRetriever(
        load_sections(
            (
                "8_NHLBI_QA_XML/0000071.xml",
                "7_SeniorHealth_QA/0000036.xml",
                "8_NHLBI_QA_XML/0000058.xml",  # heart attack (NHLBI)
            )
        )
    )
    monkeypatch.setattr("knowledge.wiring.get_retriever", lambda: retriever, raising=False)
    return retriever


async def inbox_socket(user=None, *, origin: bytes | None = ORIGIN) -> WebsocketCommunicator:
    """A socket to ws/inbox/ over the real router (origin check + session auth), not connected."""
    from portal.asgi import application

    headers = []
    if origin is not None:
        headers.append((b"origin", origin))
    if user is not None:
        cookie = await sync_to_async(session_cookie)(user)
        headers.append((b"cookie", f"sessionid={cookie}".encode()))
    return WebsocketCommunicator(application, "/ws/inbox/", headers=headers)


async def receive_until(comm, pred, *, timeout: float = 5) -> list[dict[str, Any]]:
    import asyncio

    got: list[dict[str, Any]] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise AssertionError(f"no matching frame; got {got}")
        frame = await comm.receive_json_from(timeout=remaining)
        got.append(frame)
        if pred(frame):
            return got

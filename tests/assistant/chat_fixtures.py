"""Helpers for the patient-chat tests: patients, sockets over the real ASGI router, and a small
retriever over real corpus sections.

Fixtures serve every test of this folder through tests/assistant/conftest.py; helpers are
imported by name.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from assistant.models import Conversation
from knowledge.passages import Passage
from portal import roles
from portal.models import Condition, Patient
from tests.support import MEDQUAD_DIR, make_user

ORIGIN = b"http://testserver"

needs_corpus = pytest.mark.skipif(not MEDQUAD_DIR.is_dir(), reason="MedQuAD corpus not available")

# Real MedQuAD documents about high blood pressure and the demo patients' common conditions.
CORPUS_FILES = (
    "8_NHLBI_QA_XML/0000071.xml",  # high blood pressure (NHLBI)
    "7_SeniorHealth_QA/0000036.xml",  # high blood pressure (NIHSeniorHealth)
    "5_NIDDK_QA/0000150.xml",  # high blood pressure and kidney disease (NIDDK)
    "8_NHLBI_QA_XML/0000002.xml",  # anemia (NHLBI)
)


# --- people and conversations ----------------------------------------------------------------


def make_patient(
    username: str,
    *,
    given: str = "Maria",
    family: str = "Lopez",
    conditions: Sequence[str] = ("Hypertension",),
) -> tuple[Any, Patient]:
    user = make_user(username, roles.PATIENT, first_name=given, last_name=family)
    patient = Patient.objects.create(
        fhir_id=f"fhir-{username}",
        user=user,
        given_name=given,
        family_name=family,
        gender="female",
        birth_date=date(1961, 4, 2),
    )
    for i, name in enumerate(conditions):
        Condition.objects.create(
            patient=patient,
            fhir_id=f"{username}-cond-{i}",
            display=f"{name} (disorder)",
            clinical_status="active",
        )
    return user, patient


@pytest.fixture
def patient_user(db):
    return make_patient("maria.lopez")[0]


@pytest.fixture
def other_patient_user(db):
    return make_patient("james.kent", given="James", family="Kent", conditions=("Gout",))[0]


@pytest.fixture
def conversation(patient_user):
    return Conversation.objects.create(patient=patient_user.patient)


@pytest.fixture
def other_conversation(other_patient_user):
    return Conversation.objects.create(patient=other_patient_user.patient)


# --- sockets -----------------------------------------------------------------------------------


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


async def open_socket(
    conversation_id: int, user=None, *, origin: bytes | None = ORIGIN
) -> WebsocketCommunicator:
    """A socket to the chat over the real router (origin check + session auth), not connected."""
    from portal.asgi import application

    headers = []
    if origin is not None:
        headers.append((b"origin", origin))
    if user is not None:
        cookie = await sync_to_async(session_cookie)(user)
        headers.append((b"cookie", f"sessionid={cookie}".encode()))
    return WebsocketCommunicator(application, f"/ws/chat/{conversation_id}/", headers=headers)


async def connect(conversation_id: int, user) -> tuple[WebsocketCommunicator, dict]:
    """Connect as `user`; returns the socket and the history frame it got first."""
    comm = await open_socket(conversation_id, user)
    connected, _ = await comm.connect()
    assert connected
    history = await comm.receive_json_from(timeout=5)
    assert history["type"] == "history"
    return comm, history


async def close_code(comm: WebsocketCommunicator, timeout: float = 5) -> int | None:
    """The code the server closed an accepted socket with."""
    out = await comm.receive_output(timeout)
    assert out["type"] == "websocket.close", out
    return out.get("code")


async def send(comm: WebsocketCommunicator, frame: dict[str, Any]) -> None:
    await comm.send_to(text_data=json.dumps(frame))


async def frames_until(
    comm: WebsocketCommunicator, stop: Callable[[dict], bool], *, timeout: float = 10
) -> list[dict]:
    """Every frame received up to and including the first one for which `stop` is true."""
    got: list[dict] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise AssertionError(f"no matching frame; got {got}")
        frame = await comm.receive_json_from(timeout=remaining)
        got.append(frame)
        if stop(frame):
            return got


def is_reply(frame: dict) -> bool:
    """A message frame that answers a patient message (answer, safety notice, error notice)."""
    return frame["type"] == "message" and frame["message"]["reply_to"] is not None


def is_type(kind: str) -> Callable[[dict], bool]:
    return lambda frame: frame["type"] == kind


# --- a small retriever over real corpus sections ------------------------------------------------

_WORD = re.compile(r"[a-z0-9]+")
_STOP_WORDS = """
    a an and are as at be by can do does for from how i in is it my of on or the to what when
    which who why will with you your
"""
_STOP = frozenset(_STOP_WORDS.split())


def _terms(text: str) -> set[str]:
    return {w.rstrip("s") for w in _WORD.findall(text.lower()) if w not in _STOP}


class SmallRetriever:
    """Keyword-overlap search over a handful of real MedQuAD sections (the `Retriever` protocol).

    Stands in for the process-wide index in tests that are about the chat, not about ranking.
    """

    def __init__(self, sections) -> None:
        self.sections = list(sections)
        self.queries: list[tuple[str, tuple[str, ...]]] = []

    def search(self, query: str, *, k: int = 10, topics: Sequence[str] = ()) -> list[Passage]:
        self.queries.append((query, tuple(topics)))
        # As the real retriever does, the patient's topics steer the ranking without
        # outweighing the question: they only break ties between equally matching sections.
        wanted = _terms(query)
        steer = _terms(" ".join(topics)) - wanted
        scored = []
        for s in self.sections:
            have = _terms(f"{s.focus} {s.question}") | _terms(s.text[:400])
            overlap = len(wanted & have) + 0.1 * len(steer & have) / (len(steer) or 1)
            if overlap:
                scored.append((overlap / (len(wanted) or 1), s))
        scored.sort(key=lambda pair: -pair[0])
        return [
            Passage(
                section_id=s.external_id,
                version=1,
                passage_id=f"{s.external_id}#0",
                text=s.text,
                question=s.question,
                focus=s.focus,
                qtype=s.qtype,
                source=s.source,
                url=s.url,
                score=score,
                scores={"keyword": score},
            )
            for score, s in scored[:k]
        ]


def load_sections(files: Sequence[str] = CORPUS_FILES) -> list:
    from knowledge.corpus import parse_xml_file

    sections = []
    for rel in files:
        result = parse_xml_file(Path(MEDQUAD_DIR) / rel, root=Path(MEDQUAD_DIR))
        assert result.ok, result.error
        sections.extend(result.sections)
    return sections


@pytest.fixture
def small_retriever(monkeypatch) -> SmallRetriever:
    """Make the chat search a few real sections instead of the full index."""
    retriever = SmallRetriever(load_sections())
    monkeypatch.setattr("knowledge.wiring.get_retriever", lambda: retriever, raising=False)
    return retriever

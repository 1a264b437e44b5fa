"""The chat in its production shape: a patient's socket in this process, the answer computed by a
real Celery worker in another process (Redis broker, PostgreSQL database, a real index), and the
answer pushed back to the socket through channels_redis.

Runs in the services pass (`make test-services`); see tests/services/test_sla_worker.py for how
missing services fail instead of skipping there.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from conftest import MEDQUAD_DIR, make_user
from django.conf import settings
from django.test import Client
from test_sla_worker import HAVE_SERVICES, MUST_RUN, _require_services
from test_sla_worker import _test_database_url as worker_database_url

from assistant.models import Conversation, Escalation, Message
from portal import roles
from portal.models import Condition, Patient

BASE_DIR = Path(__file__).resolve().parents[2]
ORIGIN = b"http://testserver"
INDEX_FILES = (
    "8_NHLBI_QA_XML/0000071.xml",  # high blood pressure
    "7_SeniorHealth_QA/0000036.xml",  # high blood pressure
    "8_NHLBI_QA_XML/0000002.xml",  # anemia
)

pytestmark = [
    pytest.mark.services,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not HAVE_SERVICES and not MUST_RUN,
        reason="services pass only: set DATABASE_URL (PostgreSQL) and REDIS_URL",
    ),
]


@pytest.fixture
def index_dir(tmp_path, django_db_setup) -> Path:
    """A small real index, built as the site's settings say (on PostgreSQL its lexical store is
    in the test database, where the worker started with KNOWLEDGE_INDEX_DIR finds it)."""
    from knowledge.corpus import parse_xml_file
    from knowledge.index import IndexDoc
    from knowledge.services import index_from_settings

    docs = []
    for rel in INDEX_FILES:
        result = parse_xml_file(MEDQUAD_DIR / rel, root=MEDQUAD_DIR)
        assert result.ok, result.error
        docs.extend(IndexDoc.from_record(r, version=1) for r in result.sections)
    directory = tmp_path / "index"
    index_from_settings(directory=directory).rebuild(docs)
    return directory


@pytest.fixture
def worker(transactional_db, tmp_path, index_dir, monkeypatch):
    """A `celery worker` in another process; this process publishes to it instead of running
    tasks in-process, and both sides share the Redis channel layer under a fresh prefix."""
    _require_services()
    from portal.celery import app

    # The worker consumes exactly where this process publishes (its broker and default queue):
    # the app's producer pool may already exist from earlier tests, so its address can't change.
    queue = app.conf.task_default_queue
    prefix = f"chat-test-{uuid.uuid4().hex[:10]}-asgi"
    saved = {"task_always_eager": app.conf.task_always_eager}
    app.conf.update(task_always_eager=False)
    monkeypatch.setitem(settings.CHANNEL_LAYERS["default"]["CONFIG"], "prefix", prefix)
    from channels.layers import channel_layers

    channel_layers.backends.clear()  # rebuild the layer with the new prefix

    log_path = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DATABASE_URL": worker_database_url(),
        "CELERY_BROKER_URL": app.conf.broker_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CHANNELS_PREFIX": prefix,
        "SLA_TEST_QUEUE": queue,
        "KNOWLEDGE_INDEX_DIR": str(index_dir),
        "PYTHONPATH": str(BASE_DIR),
        "CONN_MAX_AGE": "0",
    }
    command = [
        str(Path(sys.executable).with_name("celery")),
        "-A",
        "tests.services.sla_celery_app",
        "worker",
        "--pool=solo",
        "-Q",
        queue,
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--loglevel=INFO",
    ]
    with log_path.open("ab") as log:
        proc = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=log, stderr=log)
    yield log_path
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    app.conf.update(saved)
    channel_layers.backends.clear()


def _patient_conversation():
    user = make_user("rosa.worker", roles.PATIENT, first_name="Rosa", last_name="Diaz")
    patient = Patient.objects.create(
        fhir_id="fhir-rosa-worker", user=user, given_name="Rosa", family_name="Diaz"
    )
    Condition.objects.create(
        patient=patient, fhir_id="rosa-c1", display="Hypertension", clinical_status="active"
    )
    client = Client()
    client.force_login(user)
    return Conversation.objects.create(patient=patient), client.cookies["sessionid"].value


async def _connect(conversation_id: int, cookie: str) -> WebsocketCommunicator:
    from portal.asgi import application

    comm = WebsocketCommunicator(
        application,
        f"/ws/chat/{conversation_id}/",
        headers=[(b"origin", ORIGIN), (b"cookie", f"sessionid={cookie}".encode())],
    )
    connected, _ = await comm.connect()
    assert connected
    assert (await comm.receive_json_from(timeout=10))["type"] == "history"
    return comm


async def _reply(comm: WebsocketCommunicator, *, timeout: float, log_path: Path) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            frame = await comm.receive_json_from(timeout=max(0.1, deadline - time.monotonic()))
        except TimeoutError:
            break
        if frame["type"] == "message" and frame["message"]["reply_to"] is not None:
            return frame["message"]
    tail = log_path.read_text(errors="replace")[-3000:]
    raise AssertionError(f"no answer pushed within {timeout}s\n--- worker log:\n{tail}")


async def test_the_worker_answers_and_the_answer_reaches_the_patients_socket(worker):
    conversation, cookie = await sync_to_async(_patient_conversation)()
    comm = await _connect(conversation.pk, cookie)

    await comm.send_to(
        text_data=json.dumps(
            {"type": "message", "text": "What is high blood pressure?", "client_id": "w1"}
        )
    )
    answer = await _reply(comm, timeout=120, log_path=worker)
    assert answer["kind"] == "answer" and answer["citations"]
    assert {c["section_id"].split("_Sec")[0] for c in answer["citations"]} <= {
        "NHLBI_0000071",
        "NIHSeniorHealth_0000036",
        "NHLBI_0000002",
    }
    # The answer was written by the worker into the same database, not only pushed.
    saved = await sync_to_async(Message.objects.get)(pk=answer["id"])
    assert saved.role == "assistant" and saved.reply_to_id is not None

    await comm.send_to(
        text_data=json.dumps(
            {"type": "message", "text": "I have crushing chest pain right now", "client_id": "w2"}
        )
    )
    # An emergency is answered by the escalation gate as it is saved, here, with no task.
    safety = await _reply(comm, timeout=60, log_path=worker)
    assert safety["kind"] == "safety" and "911" in safety["text"]
    esc = await sync_to_async(Escalation.objects.get)(conversation=conversation)
    assert esc.level == "emergency" and esc.status == "open"
    await comm.disconnect()
    # The question's answer was computed by the worker process, not in this one.
    log = worker.read_text(errors="replace")
    assert "assistant.tasks.answer_message_task[" in log and "succeeded" in log

"""Faults against the production shape: a Daphne web process, a Celery worker and Celery beat, on
PostgreSQL and a Redis server of the test's own (a private `redis-server` on a free port, so that
restarting it disturbs nobody else). The patient is a real websocket client.

- a worker killed (SIGKILL) mid-answer: the message is answered exactly once within 2 minutes;
- the worker's main process and pool ending on their own (as kombu's Redis transport can end them):
  the supervisor the Procfile runs it under starts it again, and the message is answered once;
- Redis restarted mid-conversation (empty: no persistence): the socket reconnects and nothing
  the patient wrote, before, during or after the outage, is lost or answered twice;
- a later emergency in a thread a nurse has answered re-alerts, up to the charge nurse;
- an answer stuck past its time limit is cut off by the worker's pool and the patient is told;
- the index folder deleted: the gate still answers an emergency at once, health names the index,
  and `manage.py reindex` brings answers from the rebuilt folder to every running process.

Runs in the services pass (DATABASE_URL on PostgreSQL, REDIS_URL); see test_sla_worker.py. The
processes and the patient's client are in fault_stack.py.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from fault_stack import (
    BASE_DIR,
    REQUEUE_SECONDS,
    SWEEP_SECONDS,
    VISIBILITY_SECONDS,
    WORKER_SUPERVISOR,
    Stack,
    free_port,
    wait_for,
)
from test_chat_worker import INDEX_FILES, index_dir  # noqa: F401 - fixture: a small real index
from test_sla_worker import HAVE_SERVICES, MUST_RUN, _require_services
from test_sla_worker import _test_database_url as worker_database_url

from assistant.handoff import escalation_open
from assistant.inbox import selectors as sel
from assistant.inbox import services as inbox
from assistant.models import Alert, Conversation, Escalation, Message
from knowledge.importers import import_medquad
from portal import roles
from portal.models import Condition, Patient
from tests.support import MEDQUAD_DIR, make_user

QUESTION = "What is high blood pressure?"
EMERGENCY = "Now I have crushing chest pain and I cannot breathe"
GLAUCOMA_FILE = "7_SeniorHealth_QA/0000027.xml"
GLAUCOMA = "What are the symptoms of glaucoma?"

pytestmark = [
    pytest.mark.services,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not HAVE_SERVICES and not MUST_RUN,
        reason="services pass only: set DATABASE_URL (PostgreSQL) and REDIS_URL",
    ),
    pytest.mark.skipif(not shutil.which("redis-server"), reason="needs the redis-server binary"),
]


@pytest.fixture
def stack(transactional_db, tmp_path, index_dir, monkeypatch):  # noqa: F811
    _require_services()
    redis_port, web_port = free_port(), free_port()
    prefix = f"faults-{uuid.uuid4().hex[:8]}"
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    env = {
        **os.environ,
        "DATABASE_URL": worker_database_url(),
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CHANNELS_PREFIX": prefix,
        "KNOWLEDGE_INDEX_DIR": str(index_dir),
        "CHAT_PENDING_SWEEP_SECONDS": str(SWEEP_SECONDS),
        "CHAT_PENDING_REQUEUE_SECONDS": str(REQUEUE_SECONDS),
        "ESCALATION_SLA_CHECK_SECONDS": "2",
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_SECONDS),
        "FAULT_SLOW_FILE": str(tmp_path / "slow"),
        "FAULT_STARTED_FILE": str(tmp_path / "answer-started"),
        "PYTHONPATH": str(BASE_DIR),
        "CONN_MAX_AGE": "0",
        "DB_POOL": "false",
    }
    # This process's own events (a nurse's reply in the third test) go to the same private Redis.
    monkeypatch.setitem(
        settings.CHANNEL_LAYERS,
        "default",
        {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [redis_url], "prefix": prefix},
        },
    )
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    running = Stack(tmp=tmp_path, env=env, redis_port=redis_port, web_port=web_port)
    try:
        for name in ("redis", "web", "worker", "beat"):
            running.start(name)
        yield running
    finally:
        for name in ("beat", "worker", "web", "redis"):
            running.stop(name)
        channel_layers.backends.clear()


def _patient(username: str) -> tuple[Conversation, str]:
    user = make_user(username, roles.PATIENT, first_name="Rosa", last_name="Diaz")
    patient = Patient.objects.create(
        fhir_id=f"fhir-{username}", user=user, given_name="Rosa", family_name="Diaz"
    )
    Condition.objects.create(
        patient=patient, fhir_id=f"{username}-c1", display="Hypertension", clinical_status="active"
    )
    client = Client()
    client.force_login(user)
    return Conversation.objects.create(patient=patient), client.cookies["sessionid"].value


def _replies(client_id: str) -> int:
    return Message.objects.filter(reply_to__client_id=client_id).count()


def test_a_worker_killed_mid_answer_answers_exactly_once_within_two_minutes(stack):
    conversation, cookie = _patient("rosa.kill")
    chat = stack.chat(conversation.pk, cookie)
    stack.slow_flag.touch()
    sent = time.monotonic()
    chat.send(QUESTION, "k1")
    wait_for(
        stack.started_flag.exists,
        timeout=60,
        what="the worker to start the answer",
        logs=lambda: stack.logs("worker"),
    )
    stack.kill("worker")
    stack.slow_flag.unlink()
    stack.start("worker")

    reply = chat.reply_to("k1", timeout=120 - (time.monotonic() - sent))
    took = time.monotonic() - sent
    assert reply["kind"] == "answer" and reply["citations"]
    print(f"answered {took:.1f} s after sending, the worker killed mid-answer")
    assert took < 120
    # Later sweeps leave it alone; the killed worker's delivery, which the broker hands out again
    # after its visibility timeout, finds it answered too (the answer task is idempotent).
    time.sleep(3 * SWEEP_SECONDS)
    assert _replies("k1") == 1
    assert Message.objects.get(client_id="k1").answer_state == "answered"
    chat.close()


def test_a_worker_main_process_that_dies_on_its_own_is_started_again_and_answers(stack):
    """What kombu's Redis transport sometimes does to the worker (its main process ends): the
    supervisor the Procfile runs it under starts it again, with nobody restarting anything."""
    if not WORKER_SUPERVISOR:
        pytest.skip("the Procfile runs the worker without the supervisor")
    conversation, cookie = _patient("rosa.dies")
    chat = stack.chat(conversation.pk, cookie)
    supervisor = stack.procs["worker"].pid
    children = Path(f"/proc/{supervisor}/task/{supervisor}/children").read_text().split()
    assert len(children) == 1, children
    main = int(children[0])
    stack.slow_flag.touch()
    sent = time.monotonic()
    chat.send(QUESTION, "d1")
    wait_for(stack.started_flag.exists, timeout=60, what="the answer to start")
    # The worker's main process ends, and its pool with it (the child mid-answer too): the
    # answer can then only come from the worker the supervisor starts again.
    os.kill(main, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        os.kill(int(stack.started_flag.read_text()), signal.SIGKILL)
    stack.slow_flag.unlink()

    reply = chat.reply_to("d1", timeout=120 - (time.monotonic() - sent))
    assert reply["kind"] == "answer" and reply["citations"]
    assert stack.procs["worker"].poll() is None, "the supervisor keeps running"
    restarted = Path(f"/proc/{supervisor}/task/{supervisor}/children").read_text().split()
    assert restarted and int(restarted[0]) != main, "a new worker main process"
    time.sleep(3 * SWEEP_SECONDS)
    assert _replies("d1") == 1
    print(f"answered {time.monotonic() - sent:.1f} s after sending, the worker's main process died")
    chat.close()


def test_a_redis_restart_mid_conversation_loses_nothing(stack):
    conversation, cookie = _patient("rosa.redis")
    chat = stack.chat(conversation.pk, cookie)
    chat.send(QUESTION, "before")
    assert chat.reply_to("before", timeout=60)["kind"] == "answer"

    stack.stop("redis")
    # While Redis is down the patient writes twice: on the page's form, which saves the message
    # though neither its task nor its notification can reach Redis, and on the open socket.
    assert chat.post_form("What is anemia?", "form-during") == 302
    asked = Message.objects.get(client_id="form-during")
    assert asked.answer_state == "pending"
    chat.send("How is high blood pressure treated?", "socket-during")
    time.sleep(3)
    stack.start("redis")  # empty: every queued task and every group membership is gone

    # The sweeper re-enqueues what was saved; the page gets every answer, on the socket it
    # reconnects (sending again what the server never confirmed) if the outage closed it.
    for client_id in ("form-during", "socket-during"):
        assert chat.reply_to(client_id, timeout=90)["kind"] in {"answer", "abstain"}, client_id
    chat.send(EMERGENCY, "after")
    assert chat.reply_to("after", timeout=30)["kind"] == "safety"

    everything = ("before", "form-during", "socket-during", "after")
    for client_id in everything:
        assert _replies(client_id) == 1, client_id
    # A page opened now shows the whole conversation, every message answered.
    fresh = stack.chat(conversation.pk, cookie)
    states = {
        m["client_id"]: m["answer_state"] for m in fresh.history["messages"] if m["client_id"]
    }
    assert states == dict.fromkeys(everything, "answered")
    print(f"the socket was reconnected {chat.reconnects} time(s)")
    chat.close()
    fresh.close()


def test_a_later_emergency_in_an_answered_thread_re_alerts_up_to_the_charge_nurse(stack):
    nurse = make_user("nora.faults", roles.NURSE, first_name="Nora")
    charge = make_user("carla.faults", roles.CHARGE_NURSE, first_name="Carla")
    conversation, cookie = _patient("rosa.later")
    first = Message.objects.create(
        conversation=conversation,
        role="patient",
        kind="question",
        text="My ankle is swollen, red and hot since yesterday",
        answer_state="answered",
    )
    esc = escalation_open(
        conversation=conversation, message=first, level="urgent", rule_title="New swelling"
    )
    inbox.escalation_claim(escalation=esc, nurse=nurse)
    inbox.nurse_reply_send(escalation=esc, nurse=nurse, text="Keep it raised; I will call you.")

    chat = stack.chat(conversation.pk, cookie)
    chat.send(EMERGENCY, "later")
    safety = chat.reply_to("later", timeout=30)  # from the web process itself, at once
    assert safety["kind"] == "safety" and "911" in safety["text"]
    esc.refresh_from_db()
    assert (esc.level, esc.status, esc.first_response_at) == ("emergency", "open", None)
    row = sel.escalation_to_inbox_dict(sel.escalations_open_for_queue(user=nurse)[0])
    assert row["id"] == esc.pk and row["sla_text"] != "answered"

    # Five minutes pass with nobody acknowledging it: beat's overdue job alerts everyone.
    Escalation.objects.filter(pk=esc.pk).update(due_at=timezone.now() - timedelta(minutes=1))
    alerts = wait_for(
        lambda: set(Alert.objects.filter(escalation=esc).values_list("recipient_id", "kind")),
        timeout=60,
        what="the overdue alert of the raised escalation",
        logs=lambda: stack.logs("worker", "beat"),
    )
    assert alerts == {(nurse.pk, "overdue"), (charge.pk, "charge")}
    health = httpx.get(f"http://127.0.0.1:{stack.web_port}/health/", timeout=10)
    assert health.status_code == 200, health.text  # beat's heartbeat is fresh
    chat.close()


def test_an_answer_stuck_past_its_time_limit_is_cut_off_and_the_patient_told(stack):
    """The Procfile's pool enforces the answer task's time limits (a threads or solo pool would
    let a stuck answer hang, the patient watching "thinking", until the sweeper's 15-minute
    give-up)."""
    # The limits travel in the task's message, set by whoever enqueues it: the web process too.
    for name in ("worker", "web"):
        stack.stop(name)
    stack.env.update({"CHAT_ANSWER_SOFT_TIME_LIMIT": "3", "CHAT_ANSWER_TIME_LIMIT": "8"})
    for name in ("web", "worker"):
        stack.start(name)
    conversation, cookie = _patient("rosa.stuck")
    chat = stack.chat(conversation.pk, cookie)
    stack.slow_flag.touch()  # the search hangs (for up to 300 s) until the flag goes
    sent = time.monotonic()
    chat.send(QUESTION, "stuck")
    reply = chat.reply_to("stuck", timeout=30)
    took = time.monotonic() - sent
    assert stack.started_flag.exists()  # it did hang, in the worker
    assert reply["kind"] == "error" and "could not answer" in reply["text"], reply
    assert took < REQUEUE_SECONDS + 3, took  # the soft limit (3 s), not the sweeper, ended it
    stack.slow_flag.unlink()
    assert Message.objects.get(client_id="stuck").answer_state == "failed"
    print(f"a stuck answer cut off and the patient told {took:.1f} s after sending")
    # The patient can go on: the next question is answered by the same (pool of) worker(s).
    chat.send(QUESTION, "after-stuck")
    assert chat.reply_to("after-stuck", timeout=60)["kind"] == "answer"
    assert _replies("stuck") == 1
    chat.close()


def _health(stack: Stack) -> dict:
    response = httpx.get(f"http://127.0.0.1:{stack.web_port}/health/", timeout=10)
    report = response.json()
    assert (response.status_code == 200) == (report["status"] == "ok"), response.text
    return report


def test_a_deleted_index_leaves_the_gate_working_and_reindex_brings_answers_back(
    stack,
    index_dir,  # noqa: F811 - the stack's index folder, built from INDEX_FILES
    tmp_path,
):
    # The database holds those sections and one more topic (glaucoma) that the running index
    # lacks: `reindex` reads the database, so only a process that serves the rebuilt folder
    # can answer about glaucoma afterwards.
    corpus = tmp_path / "medquad"
    for rel in (*INDEX_FILES, GLAUCOMA_FILE):
        (corpus / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(MEDQUAD_DIR / rel, corpus / rel)
    # A superuser: an earlier transactional test may have flushed the admin group's permissions.
    admin = make_user("ada.faults", roles.ADMIN, is_staff=True, is_superuser=True)
    assert import_medquad(corpus, approve_as=admin).sections_created
    conversation, cookie = _patient("rosa.index")
    chat = stack.chat(conversation.pk, cookie)
    chat.send(GLAUCOMA, "glaucoma-before")
    before = chat.reply_to("glaucoma-before", timeout=60)
    assert not any(c["focus"] == "Glaucoma" for c in before.get("citations") or []), before
    # Healthy once beat's overdue job has run for the first time (one period after beat starts;
    # until then the health check honestly says it never ran).
    wait_for(
        lambda: _health(stack)["status"] == "ok",
        timeout=30,
        what="the stack to report healthy",
        logs=lambda: stack.logs("beat"),
    )

    shutil.rmtree(index_dir)  # the folder is gone (a lost volume, a wrong cleanup)
    report = _health(stack)
    assert report["failing"] == ["index"] and "reindex" in report["checks"]["index"]["error"]

    # The gate needs no index: an emergency gets its instructions and its escalation at once.
    sent = time.monotonic()
    chat.send(EMERGENCY, "emergency")
    safety = chat.reply_to("emergency", timeout=30)
    took = time.monotonic() - sent
    assert safety["kind"] == "safety" and "911" in safety["text"]
    esc = Escalation.objects.get(conversation=conversation)
    assert (esc.level, esc.status) == ("emergency", "open")
    assert took < 5, took
    # Routine questions are answered meanwhile from what the processes had opened.
    chat.send(QUESTION, "during")
    assert chat.reply_to("during", timeout=60)["kind"] == "answer"

    rebuilt = subprocess.run(
        [sys.executable, "manage.py", "reindex"],
        cwd=BASE_DIR,
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert rebuilt.returncode == 0, rebuilt.stderr[-2000:]
    assert _health(stack)["status"] == "ok"  # the web process opened the new folder
    chat.send(GLAUCOMA, "glaucoma-after")  # the worker answers from the rebuilt folder
    after = chat.reply_to("glaucoma-after", timeout=60)
    assert after["kind"] == "answer"
    assert any(c["focus"] == "Glaucoma" for c in after["citations"]), after
    for client_id in ("glaucoma-before", "emergency", "during", "glaucoma-after"):
        assert _replies(client_id) == 1, client_id
    print(f"emergency answered {took:.2f} s after sending, with the index folder gone")
    chat.close()

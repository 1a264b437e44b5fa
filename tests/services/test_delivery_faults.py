"""Faults against the production shape: a Daphne web process, a Celery worker and Celery beat, on
PostgreSQL and a Redis server of the test's own (a private `redis-server` on a free port, so that
restarting it disturbs nobody else). The patient is a real websocket client.

- a worker killed (SIGKILL) mid-answer: the message is answered exactly once within 2 minutes;
- Redis restarted mid-conversation (empty: no persistence): the socket reconnects and nothing
  the patient wrote, before, during or after the outage, is lost or answered twice;
- a later emergency in a thread a nurse has answered re-alerts, up to the charge nurse;
- an answer stuck past its time limit is cut off by the worker's pool and the patient is told;
- the index folder deleted: the gate still answers an emergency at once, health names the index,
  and `manage.py reindex` brings answers from the rebuilt folder to every running process.

Runs in the services pass (DATABASE_URL on PostgreSQL, REDIS_URL); see test_sla_worker.py.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from test_chat_worker import INDEX_FILES, index_dir  # noqa: F401 - fixture: a small real index
from test_sla_worker import HAVE_SERVICES, MUST_RUN, _require_services
from test_sla_worker import _test_database_url as worker_database_url
from websockets.sync.client import connect as ws_connect

from assistant.handoff import escalation_open
from assistant.inbox import selectors as sel
from assistant.inbox import services as inbox
from assistant.models import Alert, Conversation, Escalation, Message
from knowledge.importers import import_medquad
from portal import roles
from portal.models import Condition, Patient
from tests.support import MEDQUAD_DIR, make_user

BASE_DIR = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SWEEP_SECONDS = 2  # the beat sweeper's period here (15 s in production)
REQUEUE_SECONDS = 5  # a pending message older than this is re-enqueued (30 s in production)
VISIBILITY_SECONDS = 20  # the broker redelivers an unacknowledged task after this (180 s)
# The worker runs the pool the Procfile gives the production-like stack (prefork: the only one
# that enforces the answer task's time limits), read from the Procfile so that the two can't drift.
WORKER_LINE = next(
    line for line in (BASE_DIR / "Procfile").read_text().splitlines() if line.startswith("worker:")
)
# Under the supervisor that starts it again if its main process exits, as the Procfile runs it.
WORKER_SUPERVISOR = (
    [sys.executable, "-m", "portal.supervise"] if "-m portal.supervise" in WORKER_LINE else []
)
WORKER_POOL = re.search(r"--pool=(\w+)", WORKER_LINE).group(1)
WORKER_CONCURRENCY = re.search(r"--concurrency=\S*?(\d+)\}?\s", WORKER_LINE).group(1)
# And the settings it gives the worker's environment (its database connections).
WORKER_ENV = dict(re.findall(r"\b([A-Z_]+)=(\S+)\s", WORKER_LINE.split(".venv/bin/celery")[0]))
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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, *, timeout: float, what: str, logs: str = ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}\n{logs}")


@dataclass
class Stack:
    """The processes of one test; each is started, stopped and killed only by the test."""

    tmp: Path
    env: dict[str, str]
    redis_port: int
    web_port: int
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)
    starts: dict[str, int] = field(default_factory=dict)

    @property
    def slow_flag(self) -> Path:
        return self.tmp / "slow"

    @property
    def started_flag(self) -> Path:
        return self.tmp / "answer-started"

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"

    def _log(self, name: str) -> Path:
        return self.tmp / f"{name}-{self.starts.get(name, 0)}.log"

    def logs(self, *names: str) -> str:
        out = []
        for path in sorted(self.tmp.glob("*.log")):
            if not names or path.name.split("-")[0] in names:
                out.append(f"--- {path.name}\n{path.read_text(errors='replace')[-2500:]}")
        return "\n".join(out)

    def start(self, name: str) -> None:
        commands = {
            "redis": [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.tmp),
            ],
            "web": [
                str(BIN / "daphne"),
                "-b",
                "127.0.0.1",
                "-p",
                str(self.web_port),
                "portal.asgi:application",
            ],
            "worker": [
                *WORKER_SUPERVISOR,
                str(BIN / "celery"),
                "-A",
                "tests.services.fault_celery_app",
                "worker",
                f"--pool={WORKER_POOL}",
                f"--concurrency={WORKER_CONCURRENCY}",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=INFO",
            ],
            "beat": [
                str(BIN / "celery"),
                "-A",
                "portal",
                "beat",
                "--loglevel=INFO",
                "--schedule",
                str(self.tmp / "beat-schedule"),
            ],
        }
        self.starts[name] = self.starts.get(name, 0) + 1
        env = {**self.env, **WORKER_ENV} if name == "worker" else self.env
        with self._log(name).open("ab") as log:
            self.procs[name] = subprocess.Popen(
                commands[name], cwd=BASE_DIR, env=env, stdout=log, stderr=log
            )
        ready = {
            "redis": self._redis_up,
            "web": self._web_up,
            "worker": lambda: "ready." in self._log("worker").read_text(errors="replace"),
            "beat": lambda: "beat: Starting" in self._log("beat").read_text(errors="replace"),
        }[name]
        wait_for(ready, timeout=90, what=f"{name} to start", logs=self.logs(name))

    def _redis_up(self) -> bool:
        import redis

        try:
            return bool(redis.Redis.from_url(self.redis_url, socket_connect_timeout=1).ping())
        except Exception:
            return False

    def _web_up(self) -> bool:
        try:
            httpx.get(f"http://127.0.0.1:{self.web_port}/accounts/login/", timeout=2)
            return True
        except httpx.HTTPError:
            return False

    def stop(self, name: str, sig: int = signal.SIGTERM) -> None:
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(sig)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)

    def kill(self, name: str) -> None:
        """SIGKILL: no chance to acknowledge, requeue or clean up."""
        self.stop(name, signal.SIGKILL)

    def chat(self, conversation_id: int, cookie: str) -> ChatClient:
        return ChatClient(self, conversation_id, cookie)


class ChatClient:
    """What the chat page's script does over its socket (static/js/chat.js), in Python."""

    def __init__(self, stack: Stack, conversation_id: int, cookie: str) -> None:
        self.stack, self.conversation_id, self.cookie = stack, conversation_id, cookie
        self.ws = None
        self.history: dict = {}
        self.seen: dict[int, dict] = {}  # every message frame, by message id
        self.unconfirmed: dict[str, str] = {}  # sent, not yet echoed back as saved
        self.reconnects = 0
        self.connect()

    def connect(self, timeout: float = 60) -> None:
        """Connect, retrying as the page does while the server cannot take the socket."""

        def attempt():
            try:
                ws = ws_connect(
                    f"ws://127.0.0.1:{self.stack.web_port}/ws/chat/{self.conversation_id}/",
                    origin=f"http://127.0.0.1:{self.stack.web_port}",
                    additional_headers={"Cookie": f"sessionid={self.cookie}"},
                    open_timeout=5,
                ).__enter__()  # closed by close() or by the server
                first = json.loads(ws.recv(timeout=10))
            except Exception:
                return None
            if first.get("type") != "history":
                ws.close()
                return None
            return ws, first

        self.ws, self.history = wait_for(
            attempt, timeout=timeout, what="the chat socket", logs=self.stack.logs("web")
        )
        for message in self.history["messages"]:
            self._saw(message)
        for client_id, text in list(self.unconfirmed.items()):  # the page sends them again
            self.send(text, client_id)

    def _saw(self, message: dict) -> None:
        self.seen[message["id"]] = message
        self.unconfirmed.pop(message.get("client_id") or "", None)

    def send(self, text: str, client_id: str) -> None:
        self.unconfirmed[client_id] = text
        # A closed socket refuses it: it is sent again once the socket is back.
        with contextlib.suppress(Exception):
            self.ws.send(json.dumps({"type": "message", "text": text, "client_id": client_id}))

    def post_form(self, text: str, client_id: str) -> int:
        """The page's form, which works without the socket (assistant.views.message_send)."""
        base = f"http://127.0.0.1:{self.stack.web_port}"
        with httpx.Client(base_url=base, cookies={"sessionid": self.cookie}) as http:
            page = http.get(f"/chat/{self.conversation_id}/")
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
            assert token, page.text[:500]
            sent = http.post(
                f"/chat/{self.conversation_id}/send/",
                data={"csrfmiddlewaretoken": token.group(1), "text": text, "client_id": client_id},
                headers={"Referer": f"{base}/chat/{self.conversation_id}/"},
            )
        return sent.status_code

    def reply_to(self, client_id: str, *, timeout: float) -> dict:
        """The reply to the message sent as `client_id`, as pushed to (or reloaded by) the page;
        a dropped socket is reconnected, as the page does."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            asked = next((m for m in self.seen.values() if m.get("client_id") == client_id), None)
            if asked is not None:
                reply = next((m for m in self.seen.values() if m["reply_to"] == asked["id"]), None)
                if reply is not None:
                    return reply
            try:
                frame = json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            except TimeoutError:
                break
            except Exception:  # the server dropped the socket: reconnect and reload
                self.reconnects += 1
                self.connect(timeout=max(1.0, deadline - time.monotonic()))
                continue
            if frame.get("type") == "message":
                self._saw(frame["message"])
        raise AssertionError(f"no reply to {client_id} within {timeout:.0f} s\n{self.stack.logs()}")

    def close(self) -> None:
        if self.ws is not None:
            self.ws.close()


@pytest.fixture
def stack(transactional_db, tmp_path, index_dir, monkeypatch):  # noqa: F811
    _require_services()
    redis_port, web_port = _free_port(), _free_port()
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
        logs=stack.logs("worker"),
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
        logs=stack.logs("worker", "beat"),
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
    assert _health(stack)["status"] == "ok"

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

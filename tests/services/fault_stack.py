"""The processes of a fault test (tests/services/test_delivery_faults.py): a private Redis, Daphne,
a Celery worker run as the Procfile runs it, and beat, each started, stopped and killed only by the
test; and a patient's websocket client that does what the chat page's script does."""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from websockets.sync.client import connect as ws_connect

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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, *, timeout: float, what: str, logs: Callable[[], str] = lambda: ""):
    """`predicate()`'s first true value within `timeout` seconds; else fails showing `logs()`,
    read when it fails (what the processes wrote while the test waited)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}\n{logs()}")


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
        wait_for(ready, timeout=90, what=f"{name} to start", logs=lambda: self.logs(name))
        if name == "worker":
            # Each pool process opens the index before its first task: one that did not would
            # serve its first patient late, or not at all once the folder is gone.
            log = self._log("worker").read_text(errors="replace")
            assert "could not warm up" not in log, self.logs("worker")

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
            attempt, timeout=timeout, what="the chat socket", logs=lambda: self.stack.logs("web")
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

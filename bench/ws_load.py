"""Patients chatting over websockets against a running portal; prints what they saw as JSON.

    make stack                                  # elsewhere: the production-like stack on :8000
    .venv/bin/python bench/ws_load.py                           # 200 patients, 10 s think time
    .venv/bin/python bench/ws_load.py --patients 40 --think 0 --questions 10   # saturation
    .venv/bin/python bench/ws_load.py http://127.0.0.1:8000,http://127.0.0.1:8001  # two webs

Each patient signs in on the login form (accounts `bench.p001` ... made, and their earlier
conversations deleted, by `manage.py bench_patients --count N --reset`, which this script runs
against --database-url unless --no-setup), opens a conversation and its socket, then asks
--questions questions: send, wait for the reply, think --think seconds, ask again. One patient in
--emergency-every sends an emergency as their second message. Patients start at random moments
within the first think period (all at once with --think 0). A nurse (`nurse`, the demo account)
watches the queue on the inbox socket: "emergency → queue" is from the patient's send until the
escalation is on that socket.

Printed: throughput (replies per second, from the first send to the last reply), send → reply
p50/p95/max (routine answers and emergencies apart), emergency → nurse queue p50/p95, sign-in
p50/p95, lost (a message with no reply when the run ends), not pushed (a reply saved but never
pushed to the open socket within --timeout), duplicated (a message with more than one reply, read
back from the history at the end), rate-limited frames, sockets the server closed, the machine's
load, and PostgreSQL connections to the database (pg_stat_activity, this script's own left out)
during the chat phase and after it. Also the CPU each kind of process spent per reply during the
chat (web, worker, beat, PostgreSQL, Redis, this client; read from /proc on Linux) and the replies
per second that the server side's CPU cost allows on this machine's cores: unlike throughput, that
figure holds when other work shares the machine.

A patient at --think 0 asks faster than the per-person limit (CHAT_RATE_LIMIT, 10 per 30 s):
refused messages are sent again after `retry_after` and counted; raise the limit on the stack to
measure raw throughput.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import psycopg
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

BASE_DIR = Path(__file__).resolve().parent.parent
QUESTIONS = (
    "What is high blood pressure?",
    "How is high blood pressure treated?",
    "What are the symptoms of anemia?",
    "How can I prevent osteoporosis?",
    "What causes gout?",
    "What are the risk factors for heart disease?",
    "How is type 2 diabetes treated?",
    "What are the symptoms of glaucoma?",
    "How can I lower my cholesterol?",
    "What is a stroke?",
)
EMERGENCY = "I have crushing chest pain going down my left arm and I cannot breathe"
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class Sent:
    patient: str
    client_id: str
    text: str
    emergency: bool
    at: float
    message_id: int | None = None
    reply_at: float | None = None
    reply_kind: str = ""


@dataclass
class Run:
    sent: dict[str, Sent] = field(default_factory=dict)  # by client_id
    sign_ins: list[float] = field(default_factory=list)
    queue_seen: dict[str, float] = field(default_factory=dict)  # patient name -> first seen
    rate_limited: int = 0
    reconnects: int = 0
    errors: list[str] = field(default_factory=list)
    duplicated: int = 0
    chat_started: float = 0.0
    chat_ended: float = 0.0


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 3)


def summary(values: list[float]) -> dict:
    return {
        "n": len(values),
        "p50": percentile(values, 0.5),
        "p95": percentile(values, 0.95),
        "max": round(max(values), 3) if values else None,
    }


async def sign_in(http: httpx.AsyncClient, username: str, password: str) -> None:
    page = await http.get("/accounts/login/")
    token = CSRF_RE.search(page.text)
    if page.status_code != 200 or not token:
        raise RuntimeError(f"login page: HTTP {page.status_code}")
    response = await http.post(
        "/accounts/login/",
        data={"csrfmiddlewaretoken": token.group(1), "username": username, "password": password},
        headers={"Referer": f"{http.base_url}accounts/login/"},
    )
    if response.status_code != 302 or "sessionid" not in http.cookies:
        raise RuntimeError(f"sign-in of {username}: HTTP {response.status_code}")


async def open_conversation(http: httpx.AsyncClient) -> int:
    """The chat page resumes the patient's conversation or starts one (none after --reset)."""
    response = await http.get("/chat/")
    match = re.search(r"/chat/(\d+)/", response.headers.get("location", ""))
    if response.status_code != 302 or not match:
        raise RuntimeError(f"chat page: HTTP {response.status_code}")
    return int(match.group(1))


def ws_url(base: str, path: str) -> str:
    parts = urlsplit(base)
    scheme = "wss" if parts.scheme == "https" else "ws"
    return f"{scheme}://{parts.netloc}{path}"


class Patient:
    def __init__(
        self, args, run: Run, username: str, name: str, emergency_at: int | None, base: str
    ):
        self.args, self.run, self.username, self.name = args, run, username, name
        self.base = base  # the web process this patient's browser reached
        self.emergency_at = emergency_at  # which question (0-based) is an emergency, if any
        self.http = httpx.AsyncClient(base_url=base, timeout=60, follow_redirects=False)
        self.ws = None
        self.conversation = 0
        self.waiting: dict[int, asyncio.Future] = {}  # message id -> reply future
        self.by_client: dict[str, Sent] = {}
        self.echoed: dict[str, asyncio.Future] = {}
        self.replies: dict[int, set[int]] = {}  # question id -> reply ids seen
        self.reader: asyncio.Task | None = None
        self.closing = False

    async def start(self) -> None:
        started = time.monotonic()
        await sign_in(self.http, self.username, self.args.password)
        self.run.sign_ins.append(time.monotonic() - started)
        self.conversation = await open_conversation(self.http)
        await self._connect()
        self.reader = asyncio.create_task(self._read())

    async def _connect(self) -> None:
        self.ws = await connect(
            ws_url(self.base, f"/ws/chat/{self.conversation}/"),
            origin=self.base.rstrip("/"),
            additional_headers={"Cookie": f"sessionid={self.http.cookies['sessionid']}"},
            open_timeout=60,
            max_queue=None,
        )
        first = json.loads(await self.ws.recv())
        if first.get("type") != "history":
            raise RuntimeError(f"{self.username}: first frame {first.get('type')}")
        self._history(first, time.monotonic())

    def _history(self, frame: dict, at: float | None) -> None:
        for message in frame["messages"]:
            self._saw(message, at)

    async def _read(self) -> None:
        """Frames until the socket closes; a socket the server closed is opened again and the
        history reloaded, as the page does (counted: each is a failure the patient would see)."""
        while True:
            try:
                await self._frames()
                return  # closed by us
            except ConnectionClosed as closed:
                if self.closing:
                    return
                self.run.reconnects += 1
                self.run.errors.append(f"socket closed by the server: {closed.rcvd}")
            while not self.closing:
                try:
                    await self._connect()
                    break
                except Exception:
                    await asyncio.sleep(1)
            for sent in self.by_client.values():  # sent again, as the page does
                if sent.message_id is None:
                    frame = {"type": "message", "text": sent.text, "client_id": sent.client_id}
                    await self.ws.send(json.dumps(frame))

    async def _frames(self) -> None:
        async for raw in self.ws:
            frame = json.loads(raw)
            kind = frame.get("type")
            if kind == "message":
                self._saw(frame["message"], time.monotonic())
            elif kind == "history":
                self._history(frame, None)
                waiter = self.echoed.pop("__history__", None)
                if waiter and not waiter.done():
                    waiter.set_result(frame)
            elif kind == "error":
                client_id = frame.get("client_id") or ""
                waiter = self.echoed.get(client_id)
                if frame.get("code") == "rate_limited" and waiter and not waiter.done():
                    waiter.set_result(frame)
                else:
                    self.run.errors.append(f"error frame: {frame.get('code')}")

    def _saw(self, message: dict, at: float | None) -> None:
        sent = self.by_client.get(message.get("client_id") or "")
        if sent is not None and message["role"] == "patient":
            sent.message_id = message["id"]
            waiter = self.echoed.get(sent.client_id)
            if waiter and not waiter.done():
                waiter.set_result(message)
            return
        asked = message.get("reply_to")
        if not asked or message["role"] == "patient":
            return
        self.replies.setdefault(asked, set()).add(message["id"])
        waiter = self._reply(asked)
        if not waiter.done() and at is not None:
            waiter.set_result((message, at))

    def _reply(self, question_id: int) -> asyncio.Future:
        """The first reply pushed to `question_id`, whichever of the reader (the reply) and
        `ask` (the echo that tells the question's id) gets there first."""
        if question_id not in self.waiting:
            self.waiting[question_id] = asyncio.get_running_loop().create_future()
        return self.waiting[question_id]

    async def ask(self, text: str, emergency: bool) -> None:
        client_id = uuid.uuid4().hex
        sent = Sent(self.username, client_id, text, emergency, at=time.monotonic())
        self.by_client[client_id] = sent
        self.run.sent[client_id] = sent
        loop = asyncio.get_running_loop()
        while True:  # until saved: a rate-limited message is sent again when the server says
            self.echoed[client_id] = loop.create_future()
            await self.ws.send(
                json.dumps({"type": "message", "text": text, "client_id": client_id})
            )
            echo = await asyncio.wait_for(self.echoed[client_id], self.args.timeout)
            if echo.get("code") != "rate_limited":
                break
            self.run.rate_limited += 1
            await asyncio.sleep(float(echo.get("retry_after") or 1))
        try:
            message, at = await asyncio.wait_for(
                asyncio.shield(self._reply(sent.message_id)), self.args.timeout
            )
        except TimeoutError:
            return  # counted as lost unless the history shows a reply
        sent.reply_at, sent.reply_kind = at, message.get("kind", "")

    async def chat(self) -> None:
        if self.args.think:
            await asyncio.sleep(random.uniform(0, self.args.think))
        for n in range(self.args.questions):
            emergency = n == self.emergency_at
            text = EMERGENCY if emergency else random.choice(QUESTIONS)
            await self.ask(text, emergency)
            if n + 1 < self.args.questions and self.args.think:
                await asyncio.sleep(self.args.think)

    async def check(self) -> None:
        """Read the conversation back from the server: every question answered exactly once."""
        self.echoed["__history__"] = asyncio.get_running_loop().create_future()
        await self.ws.send(json.dumps({"type": "history"}))
        await asyncio.wait_for(self.echoed["__history__"], 60)
        for sent in self.by_client.values():
            if sent.message_id is not None and len(self.replies.get(sent.message_id, ())) > 1:
                self.run.duplicated += 1

    async def close(self) -> None:
        self.closing = True
        if self.reader:
            self.reader.cancel()
        if self.ws:
            await self.ws.close()
        await self.http.aclose()


async def nurse_watch(args, run: Run, ready: asyncio.Event, stop: asyncio.Event) -> None:
    base = args.urls[0]
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        await sign_in(http, args.nurse, args.nurse_password)
        async with connect(
            ws_url(base, "/ws/inbox/"),
            origin=base.rstrip("/"),
            additional_headers={"Cookie": f"sessionid={http.cookies['sessionid']}"},
            max_queue=None,
        ) as ws:
            ready.set()
            while not stop.is_set():
                try:
                    frame = json.loads(await asyncio.wait_for(ws.recv(), 1))
                except TimeoutError:
                    continue
                now = time.monotonic()
                rows = frame.get("escalations") or (
                    [frame["escalation"]] if frame.get("escalation") else []
                )
                for row in rows:
                    if row.get("level") == "emergency" and row.get("status") == "open":
                        run.queue_seen.setdefault(row.get("patient_name", ""), now)


def pg_connections(dsn: str, database: str) -> int:
    with psycopg.connect(dsn, autocommit=True) as conn:
        return conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (database,),
        ).fetchone()[0]


async def sample_connections(dsn: str, database: str, samples: list[int], stop: asyncio.Event):
    while not stop.is_set():
        samples.append(await asyncio.to_thread(pg_connections, dsn, database))
        await asyncio.sleep(0.5)


def setup_accounts(args) -> list[dict]:
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
    }
    key = BASE_DIR / "var" / "stack-secret-key"
    if key.exists():
        env.setdefault("SECRET_KEY", key.read_text().strip())
    out = subprocess.run(
        [sys.executable, "manage.py", "bench_patients", "--count", str(args.patients), "--reset"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


# Which process does what, by its command line: the CPU each role spends per reply is the figure
# that other work on the machine does not move (throughput and latency it does).
CPU_ROLES = (
    ("web", re.compile(r"\b(daphne|uvicorn|runserver)\b")),
    ("worker", re.compile(r"\bcelery\b.*\bworker\b")),
    ("beat", re.compile(r"\bcelery\b.*\bbeat\b")),
    ("postgres", re.compile(r"^postgres\b|/postgres\b")),
    ("redis", re.compile(r"\bredis-server\b")),
)


def cpu_by_role() -> dict[str, float]:
    """CPU seconds (user + system) used so far by the processes of each role, this script's own
    as "client"; Linux /proc only (empty elsewhere)."""
    ticks = os.sysconf("SC_CLK_TCK")
    used: dict[str, float] = {}
    for entry in Path("/proc").iterdir() if Path("/proc/self/stat").exists() else ():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="ignore")
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        fields = stat[stat.rindex(")") + 2 :].split()
        seconds = (int(fields[11]) + int(fields[12])) / ticks
        role = "client" if int(entry.name) == os.getpid() else None
        for name, pattern in CPU_ROLES:
            if role is None and pattern.search(cmdline):
                role = name
        if role is not None:
            used[role] = used.get(role, 0.0) + seconds
    return used


def cpu_per_reply(before: dict[str, float], after: dict[str, float], replies: int) -> dict:
    """Milliseconds of CPU per reply by role over the chat phase, and the replies per second the
    server side's cost would allow on this machine's cores if nothing else ran."""
    if not replies or not after:
        return {}
    ms = {
        role: round((after[role] - before.get(role, 0.0)) * 1000 / replies, 1)
        for role in sorted(after)
    }
    server = sum(v for role, v in ms.items() if role != "client")
    return {
        "ms": ms,
        "server_ms": round(server, 1),
        "server_bound_replies_per_s": round((os.cpu_count() or 1) * 1000 / server, 1)
        if server
        else None,
    }


async def main_async(args) -> dict:
    run = Run()
    accounts = (
        setup_accounts(args)
        if not args.no_setup
        else [
            {"username": f"bench.p{n:03d}", "name": f"Bench P{n:03d}"}
            for n in range(1, args.patients + 1)
        ]
    )
    dsn = args.database_url
    database = urlsplit(dsn).path.lstrip("/")
    floor = await asyncio.to_thread(pg_connections, dsn, database)
    patients = [
        Patient(
            args,
            run,
            a["username"],
            a["name"],
            1 if args.emergency_every and i % args.emergency_every == 0 else None,
            args.urls[i % len(args.urls)],  # several web processes: spread as a balancer would
        )
        for i, a in enumerate(accounts[: args.patients])
    ]
    stop = asyncio.Event()
    nurse_ready = asyncio.Event()
    nurse = asyncio.create_task(nurse_watch(args, run, nurse_ready, stop))
    await asyncio.wait_for(nurse_ready.wait(), 60)

    # Sign in (a few at a time, as people arrive), then everyone chats at once.
    gate = asyncio.Semaphore(args.sign_in_concurrency)

    async def start(p: Patient):
        async with gate:
            await p.start()

    signed = time.monotonic()
    results = await asyncio.gather(*(start(p) for p in patients), return_exceptions=True)
    failed_sign_in = [f"{p.username}: {r}" for p, r in zip(patients, results, strict=True) if r]
    patients = [p for p, r in zip(patients, results, strict=True) if not r]
    sign_in_seconds = time.monotonic() - signed

    samples: list[int] = []
    sampler = asyncio.create_task(sample_connections(dsn, database, samples, stop))
    run.chat_started = time.monotonic()
    load_start = os.getloadavg()[0]
    cpu_start = cpu_by_role()
    await asyncio.gather(*(p.chat() for p in patients), return_exceptions=True)
    run.chat_ended = time.monotonic()
    cpu_end = cpu_by_role()
    load_end = os.getloadavg()[0]
    await asyncio.gather(*(p.check() for p in patients), return_exceptions=True)
    stop.set()
    await sampler
    await nurse
    for p in patients:
        await p.close()
    after: list[int] = []  # every 10 s: the pools give back a connection per max-idle period
    for _ in range(int(args.settle / 10) + 1):
        after.append(await asyncio.to_thread(pg_connections, dsn, database))
        await asyncio.sleep(10)

    measured = Measured(
        failed_sign_in=failed_sign_in,
        sign_in_seconds=sign_in_seconds,
        load_start=load_start,
        load_end=load_end,
        cpu_start=cpu_start,
        cpu_end=cpu_end,
        floor=floor,
        samples=samples,
        after=after,
    )
    return report(args, run, patients, measured)


@dataclass
class Measured:
    """What the run measured besides each message's own timing."""

    failed_sign_in: list[str]
    sign_in_seconds: float
    load_start: float
    load_end: float
    cpu_start: dict[str, float]
    cpu_end: dict[str, float]
    floor: int
    samples: list[int]
    after: list[int]


def report(args, run: Run, patients: list, m: Measured) -> dict:
    """The figures of a run, as printed."""
    answered = [s for s in run.sent.values() if s.reply_at is not None]
    routine = [s.reply_at - s.at for s in answered if not s.emergency]
    emergency = [s.reply_at - s.at for s in answered if s.emergency]
    # "Lost": no reply pushed, and none in the history read back at the end either.
    replied_ids = {q for p in patients for q, r in p.replies.items() if r}
    lost = [s for s in run.sent.values() if s.message_id not in replied_ids]
    by_name = {p.username: p.name for p in patients}
    to_queue = [
        run.queue_seen[by_name[s.patient]] - s.at
        for s in run.sent.values()
        if s.emergency and by_name.get(s.patient) in run.queue_seen
    ]
    # Over the time replies were arriving: a reply never pushed must not stretch it by --timeout.
    last = max((s.reply_at for s in answered), default=run.chat_ended)
    chat_seconds = last - run.chat_started
    not_pushed = [
        s for s in run.sent.values() if s.reply_at is None and s.message_id in replied_ids
    ]
    return {
        # The machine is shared: its load (1-minute average) at the start and the end of the chat.
        "load_average": [round(m.load_start, 1), round(m.load_end, 1)],
        "cpus": os.cpu_count(),
        "urls": args.urls,
        "patients": len(patients),
        "questions_each": args.questions,
        "think_seconds": args.think,
        "sign_in_failures": m.failed_sign_in[:5] + ([] if len(m.failed_sign_in) <= 5 else ["..."]),
        "sign_in": {**summary(run.sign_ins), "all_seconds": round(m.sign_in_seconds, 1)},
        "messages_sent": len(run.sent),
        "replies": len(answered),
        "chat_seconds": round(chat_seconds, 1),
        "throughput_replies_per_s": round(len(answered) / chat_seconds, 2) if chat_seconds else 0,
        "send_to_answer_s": summary(routine),
        "emergency_send_to_safety_reply_s": summary(emergency),
        "emergency_send_to_nurse_queue_s": {
            **summary(to_queue),
            "emergencies": sum(1 for s in run.sent.values() if s.emergency),
        },
        # CPU per reply by role (web, worker, beat, postgres, redis, client) over the chat phase.
        "cpu_per_reply": cpu_per_reply(m.cpu_start, m.cpu_end, len(answered)),
        "lost": len(lost),
        # Answered in the database (the history shows it) but never pushed to the open socket:
        # the page would have waited on "thinking" until reloaded.
        "not_pushed": len(not_pushed),
        "duplicated": run.duplicated,
        "rate_limited": run.rate_limited,
        "sockets_reopened": run.reconnects,
        "errors": sorted(set(run.errors))[:10],
        "error_count": len(run.errors),
        "pg_connections": {
            "before": m.floor,
            "during_max": max(m.samples) if m.samples else None,
            "during_median": statistics.median(m.samples) if m.samples else None,
            "after_every_10s": m.after,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "url",
        nargs="?",
        default="http://127.0.0.1:8000",
        help="the portal; several web processes comma-separated (patients spread over them)",
    )
    parser.add_argument("--patients", type=int, default=200)
    parser.add_argument("--questions", type=int, default=3, help="questions per patient")
    parser.add_argument("--think", type=float, default=10.0, help="seconds between questions")
    parser.add_argument("--emergency-every", type=int, default=10, help="0: no emergencies")
    parser.add_argument("--timeout", type=float, default=120.0, help="wait for one reply")
    parser.add_argument("--sign-in-concurrency", type=int, default=8)
    parser.add_argument("--settle", type=float, default=40.0, help="seconds to watch PG after")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("STACK_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal"),
    )
    parser.add_argument("--password", default="bench-patient-2026")
    parser.add_argument("--nurse", default="nurse")
    parser.add_argument("--nurse-password", default="demo-nurse-2026")
    parser.add_argument("--no-setup", action="store_true", help="accounts exist; keep history")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    args.urls = [u.strip() for u in args.url.split(",") if u.strip()]
    random.seed(args.seed)
    print(json.dumps(asyncio.run(main_async(args)), indent=2))


if __name__ == "__main__":
    main()

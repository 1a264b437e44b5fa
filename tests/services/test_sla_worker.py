"""The SLA job with the real machinery: a Celery worker with beat inside, Redis as the broker,
PostgreSQL as the database, e-mail written to files.

Runs in the services pass (`make test-services`: DATABASE_URL and REDIS_URL set). Without those
variables it is skipped, unless CI=true or REQUIRE_SERVICES=1: then a missing service fails.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from email import message_from_bytes
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
from django.db import connection
from django.utils import timezone
from fault_stack import wait_for

from assistant.handoff import escalation_open
from assistant.models import Alert, Conversation, Escalation, Message
from portal import roles
from portal.models import Patient
from tests.support import make_user

BASE_DIR = Path(__file__).resolve().parents[2]
MUST_RUN = os.environ.get("CI", "").lower() == "true" or os.environ.get("REQUIRE_SERVICES") == "1"
HAVE_SERVICES = bool(os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL"))
BEAT_SECONDS = 2
WAIT_SECONDS = 90  # bound for the first alert: worker start-up + a couple of beat periods

pytestmark = [
    pytest.mark.services,
    pytest.mark.slow,
    pytest.mark.skipif(
        not HAVE_SERVICES and not MUST_RUN,
        reason="services pass only: set DATABASE_URL (PostgreSQL) and REDIS_URL",
    ),
]


def _broker_url() -> str:
    """REDIS_URL on a database number of its own (SLA_TEST_REDIS_DB, default 5)."""
    parts = urlsplit(os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0")
    db = os.environ.get("SLA_TEST_REDIS_DB", "5")
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", "", ""))


def _require_services() -> None:
    import redis

    problems = []
    if not HAVE_SERVICES:
        problems.append("DATABASE_URL and REDIS_URL are not set")
    if connection.vendor != "postgresql":
        problems.append(f"the database is {connection.vendor}, not PostgreSQL")
    try:
        redis.Redis.from_url(_broker_url(), socket_connect_timeout=3).ping()
    except Exception as exc:
        problems.append(f"Redis is not reachable at {_broker_url()}: {exc}")
    if problems:
        pytest.fail("; ".join(problems))  # MUST_RUN, or the variables promised the services


def _test_database_url() -> str:
    """The database pytest created for this run, as a URL for the worker process."""
    s = connection.settings_dict
    auth = quote(s["USER"] or "", safe="")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"], safe="")
    host = s["HOST"] or "127.0.0.1"
    port = f":{s['PORT']}" if s.get("PORT") else ""
    return f"postgres://{auth}@{host}{port}/{s['NAME']}"


@pytest.fixture
def mail_dir(tmp_path) -> Path:
    path = tmp_path / "mail"
    path.mkdir()
    return path


@pytest.fixture
def workers(transactional_db, tmp_path, mail_dir):
    """Start `celery worker --pool=solo -B` on the test database; stopped (and its queue
    removed from Redis) at teardown, before the database is flushed."""
    _require_services()
    queue = f"sla-test-{uuid.uuid4().hex[:10]}"
    procs: list[subprocess.Popen] = []
    log_path = tmp_path / "worker.log"

    def start() -> subprocess.Popen:
        env = {
            **os.environ,
            "DATABASE_URL": _test_database_url(),
            "REDIS_URL": _broker_url(),
            "CELERY_BROKER_URL": _broker_url(),
            "CHANNELS_PREFIX": f"{queue}-asgi",
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "ESCALATION_SLA_CHECK_SECONDS": str(BEAT_SECONDS),
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(mail_dir),
            "SLA_TEST_QUEUE": queue,
            "PYTHONPATH": str(BASE_DIR),
            "CONN_MAX_AGE": "0",
        }
        celery = Path(sys.executable).with_name("celery")
        command = [
            str(celery),
            "-A",
            "tests.services.sla_celery_app",
            "worker",
            "--pool=solo",
            "-B",
            "-Q",
            queue,
            "--schedule",
            str(tmp_path / "beat-schedule"),
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=INFO",
        ]
        log = log_path.open("ab")
        proc = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=log, stderr=log)
        procs.append(proc)
        return proc

    yield Workers(start=start, log_path=log_path)
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
    import redis

    client = redis.Redis.from_url(_broker_url())
    for key in client.scan_iter(match=f"*{queue}*"):
        client.delete(key)


@dataclass
class Workers:
    start: Callable[[], subprocess.Popen]
    log_path: Path


def _stop(proc: subprocess.Popen) -> None:
    """Take the worker (and its beat) down, as an outage would."""
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def _log_tail(path: Path) -> str:
    tail = path.read_text(errors="replace")[-3000:] if path.exists() else "(no log)"
    return f"--- worker log:\n{tail}"


def _overdue_emergency(username: str, *, minutes_waiting: int = 12) -> Escalation:
    user = make_user(username, roles.PATIENT)
    patient = Patient.objects.create(
        fhir_id=f"fhir-{username}", user=user, given_name=username.title(), family_name="Test"
    )
    conversation = Conversation.objects.create(patient=patient)
    message = Message.objects.create(
        conversation=conversation, role="patient", kind="question", text="crushing chest pain"
    )
    esc = escalation_open(
        conversation=conversation, message=message, level="emergency", rule_title="Chest pain"
    )
    shift = timedelta(minutes=minutes_waiting)
    Escalation.objects.filter(pk=esc.pk).update(
        created_at=esc.created_at - shift, due_at=esc.due_at - shift
    )
    return esc


MAIL_SEPARATOR = b"\n" + b"-" * 79 + b"\n"  # what the file backend writes after each message


def _mails(mail_dir: Path) -> list:
    """Every message the file backend wrote. Two connections opened in the same second can share
    a file (its name is the time and the connection's id()), so split files into messages."""
    raw = b"".join(p.read_bytes() for p in sorted(mail_dir.glob("*.log")))
    return [message_from_bytes(chunk) for chunk in raw.split(MAIL_SEPARATOR) if chunk.strip()]


def test_worker_and_beat_alert_overdue_escalations_and_never_resolved_ones(workers, mail_dir):
    nurse = make_user("nora.sla", roles.NURSE, email="nora.sla@example.org", first_name="Nora")
    charge = make_user("carla.sla", roles.CHARGE_NURSE, email="carla.sla@example.org")
    # Overdue before any worker runs (as after an outage), and one a nurse already resolved.
    waiting = _overdue_emergency("ann")
    resolved = _overdue_emergency("bob")
    Escalation.objects.filter(pk=resolved.pk).update(
        status="resolved", resolved_at=timezone.now(), disposition="called"
    )

    worker = workers.start()
    alerts = wait_for(
        lambda: list(Alert.objects.filter(escalation=waiting).values_list("recipient_id", "kind")),
        timeout=WAIT_SECONDS,
        what="the overdue alert",
        logs=lambda: _log_tail(workers.log_path),
    )
    assert set(alerts) == {(nurse.pk, "overdue"), (charge.pk, "charge")}
    mails = wait_for(
        lambda: (
            [m for m in _mails(mail_dir) if f"#{waiting.pk}" in m["Subject"]]
            if len(_mails(mail_dir)) >= 2
            else None
        ),
        timeout=30,
        what="the alert e-mails",
        logs=lambda: _log_tail(workers.log_path),
    )
    assert sorted(m["To"] for m in mails) == ["carla.sla@example.org", "nora.sla@example.org"]
    assert f"/inbox/{waiting.pk}/" in mails[0].get_payload()
    waiting.refresh_from_db()
    assert waiting.alert_count == 1 and waiting.escalated_to_charge_at is not None

    # Beat keeps running the job every 2 s: nobody is alerted twice within the re-alert interval,
    # and the resolved escalation is never alerted.
    time.sleep(BEAT_SECONDS * 3)
    assert Alert.objects.filter(escalation=waiting).count() == 2
    assert not Alert.objects.filter(escalation=resolved).exists()
    assert len(_mails(mail_dir)) == 2

    # Worker down, an emergency goes overdue, worker back: the first run catches up.
    _stop(worker)
    late = _overdue_emergency("cy")
    workers.start()
    wait_for(
        lambda: Alert.objects.filter(escalation=late).count() == 2,
        timeout=WAIT_SECONDS,
        what="the alert written after the outage",
        logs=lambda: _log_tail(workers.log_path),
    )
    waiting.refresh_from_db()
    late.refresh_from_db()
    assert waiting.status == "open" and late.status == "open"  # only a nurse closes them

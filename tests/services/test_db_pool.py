"""PostgreSQL connections stay bounded under a burst (a real Daphne process, real PostgreSQL).

Under ASGI every concurrent request runs in a thread of its own; with persistent per-thread
connections (the old CONN_MAX_AGE=60) a burst of 44 patients left Daphne holding 98 of the
server's 100 connections, idle, for minutes. With the pool a web process never holds more than
DB_POOL_MAX_SIZE, a burst waits its turn instead of failing, and after the burst the process
goes back to DB_POOL_MIN_SIZE. The unpooled run shows that the same burst would break the cap.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from test_sla_worker import HAVE_SERVICES, MUST_RUN
from test_sla_worker import _test_database_url as pytest_database_url

from portal import roles
from tests.support import make_user

pytestmark = [
    pytest.mark.services,
    pytest.mark.slow,
    pytest.mark.skipif(
        not HAVE_SERVICES and not MUST_RUN,
        reason="services pass only: set DATABASE_URL (PostgreSQL) and REDIS_URL",
    ),
    pytest.mark.django_db(transaction=True),
]

BURST = 40
POOL_MAX, POOL_MIN = 4, 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _connections(app_name: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [app_name]
        )
        return cursor.fetchone()[0]


def _start_web(app_name: str, port: int, **env_extra: str) -> subprocess.Popen:
    base = Path(settings.BASE_DIR)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DB_POOL", "CONN_MAX"))}
    env.update(
        DATABASE_URL=pytest_database_url(),
        PGAPPNAME=app_name,
        PYTHONPATH=str(base),
        DJANGO_SETTINGS_MODULE="portal.settings",
        **env_extra,
    )
    env.pop("REDIS_URL", None)  # HTTP only: no channel layer or broker needed
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("daphne")),
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "portal.asgi:application",
        ],
        cwd=base,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=2)
            return proc
        except OSError:
            if proc.poll() is not None:
                raise AssertionError(proc.stderr.read().decode()[-2000:]) from None
            time.sleep(0.3)
    proc.terminate()
    raise AssertionError("daphne did not start")


def _burst(port: int, cookie: str, app_name: str) -> tuple[list[int], int]:
    """BURST patients open My health at once; the statuses, and the most connections the web
    process held at any moment (sampled every 20 ms)."""
    peak = 0
    stop = threading.Event()

    def sample():
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, _connections(app_name))
            time.sleep(0.02)

    def fetch(_):
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/my-health/", headers={"Cookie": f"sessionid={cookie}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                return response.status
        except urllib.error.HTTPError as err:
            return err.code

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    with ThreadPoolExecutor(BURST) as pool:
        statuses = list(pool.map(fetch, range(BURST)))
    time.sleep(0.3)
    stop.set()
    sampler.join()
    return statuses, peak


def _signed_in_patient() -> str:
    user = make_user(f"pool.{uuid.uuid4().hex[:8]}", roles.PATIENT)
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def test_a_burst_keeps_the_web_process_within_its_pool_and_it_returns_to_its_floor():
    cookie = _signed_in_patient()
    app_name = f"pool-{uuid.uuid4().hex[:8]}"
    port = _free_port()
    web = _start_web(
        app_name,
        port,
        DB_POOL_MAX_SIZE=str(POOL_MAX),
        DB_POOL_MIN_SIZE=str(POOL_MIN),
        DB_POOL_MAX_IDLE="1",
        DB_POOL_TIMEOUT="30",
    )
    try:
        started = time.monotonic()
        statuses, peak = _burst(port, cookie, app_name)
        assert statuses == [200] * BURST  # every patient served: the burst waited its turn
        assert peak <= POOL_MAX
        # Back to the floor once the burst is over (one idle connection closes per second).
        deadline = time.monotonic() + 30
        while _connections(app_name) > POOL_MIN and time.monotonic() < deadline:
            time.sleep(0.5)
        assert _connections(app_name) <= POOL_MIN
        print(
            f"pooled: {BURST} requests, peak {peak} connections, back to {POOL_MIN} "
            f"{time.monotonic() - started:.1f} s after the burst began"
        )
    finally:
        web.terminate()
        web.wait(10)


def test_without_the_pool_the_same_burst_holds_a_connection_per_thread():
    """The failure the pool fixes, measured the same way: the burst above is big enough."""
    cookie = _signed_in_patient()
    app_name = f"nopool-{uuid.uuid4().hex[:8]}"
    port = _free_port()
    web = _start_web(app_name, port, DB_POOL="0", CONN_MAX_AGE="60")
    try:
        statuses, peak = _burst(port, cookie, app_name)
        assert statuses == [200] * BURST
        held_after = _connections(app_name)
        assert peak > POOL_MAX * 2
        assert held_after > POOL_MAX  # still held, idle, after the burst
        print(f"unpooled: {BURST} requests, peak {peak} connections, {held_after} held after")
    finally:
        web.terminate()
        web.wait(10)

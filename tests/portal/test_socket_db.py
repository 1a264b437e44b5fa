"""The sockets' blocking work (portal/socket_db.py): on a pool of threads where the database
allows it, so that one socket's slow call does not hold every other socket of the process.

At 200 patients, channels' single thread per process made an emergency reach the nurse's queue
17 s after it was sent; with the pool, 0.34 s (README, Measured)."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from portal import socket_db

# Channels' wrapper closes stale connections around each call: the database must be reachable.
pytestmark = pytest.mark.django_db


def _slow(seconds: float) -> str:
    time.sleep(seconds)
    return threading.current_thread().name


async def _two_sockets_at_once() -> tuple[float, set[str]]:
    started = time.monotonic()
    names = await asyncio.gather(
        socket_db.database_sync_to_async(_slow)(0.5),
        socket_db.database_sync_to_async(_slow)(0.5),
    )
    return time.monotonic() - started, set(names)


@pytest.fixture
def fresh_pool(monkeypatch):
    monkeypatch.setattr(socket_db, "_executor", None)
    yield
    if socket_db._executor is not None:
        socket_db._executor.shutdown(wait=False)


async def test_with_threads_two_sockets_calls_run_side_by_side(settings, fresh_pool):
    settings.SOCKET_DB_THREADS = 4
    took, threads = await _two_sockets_at_once()
    assert took < 0.9, took
    assert len(threads) == 2 and all(n.startswith("socket-db") for n in threads)


async def test_without_threads_they_wait_for_each_other_as_in_channels(settings, fresh_pool):
    settings.SOCKET_DB_THREADS = 0  # SQLite: one thread, one writer
    took, threads = await _two_sockets_at_once()
    assert took >= 1.0, took
    assert len(threads) == 1

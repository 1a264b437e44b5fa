"""The blocking work of websocket consumers (database, Redis), run off the event loop.

Channels' `database_sync_to_async` is thread-sensitive: outside an HTTP request every call of
every socket in the process runs on one shared thread, one at a time. Under load (200 patients
on one web process) the sockets' frames, their answer pushes and the nurse's queue updates all
queued on that thread: an emergency reached the nurse's queue 17 s after it was sent while the
worker sat idle a third of the time, and the database pool's other connections were never used.

With SOCKET_DB_THREADS > 0 (the default on PostgreSQL: as many as the process's database pool
holds), the calls run on a pool of that many threads, each taking a connection from the pool
for the call and giving it back after (close_old_connections, as channels does). One socket's
calls still run one at a time and in order: a consumer awaits each before it handles its next
frame or event. SQLite (the embedded mode and its tests) keeps the single thread: it allows one
writer at a time anyway, and its in-memory test database is shared only within a thread's reach.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from channels.db import DatabaseSyncToAsync
from django.conf import settings

_executor: ThreadPoolExecutor | None = None
_lock = threading.Lock()


def _pool(threads: int) -> ThreadPoolExecutor:
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="socket-db")
        return _executor


def database_sync_to_async(func: Callable[..., Any]) -> DatabaseSyncToAsync:
    """channels.db.database_sync_to_async, on the sockets' thread pool when there is one."""
    threads = settings.SOCKET_DB_THREADS
    if threads <= 0:
        return DatabaseSyncToAsync(func)
    return DatabaseSyncToAsync(func, thread_sensitive=False, executor=_pool(threads))

"""A cap on the websockets one user holds open at once (SOCKETS_PER_USER), across processes.

Each open socket holds a lease: a member of a Redis sorted set per user, scored by when it
lapses, so a process that dies without closing its sockets frees them when their leases run
out instead of locking the user out for good. Leases are renewed by the socket's own frames.
Without Redis (the embedded `make run`: one process) the leases live in memory.

A socket over the cap is accepted, sent an error frame, and closed with 4429, so the page can
say why instead of seeing a bare network drop.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from functools import lru_cache

from django.conf import settings

from portal.socket_db import database_sync_to_async

CLOSE_TOO_MANY_SOCKETS = 4429
TOO_MANY_DETAIL = (
    "Too many portal windows are open for your account. Close one and this one reconnects."
)

# Remove lapsed leases, count the rest, and take one if there is room: atomically, so two
# sockets opening at once on two processes cannot both take the last place.
_ACQUIRE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZSCORE', KEYS[1], ARGV[3]) or redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[4]) then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
  redis.call('EXPIRE', KEYS[1], ARGV[5])
  return 1
end
return 0
"""


def lease_seconds() -> int:
    # Longer than a session can stay idle: an idle socket is closed when its session ends.
    return max(600, 2 * int(settings.SESSION_COOKIE_AGE))


def _key(user_id: int) -> str:
    return f"{getattr(settings, 'CHANNELS_PREFIX', 'asgi')}:sockets:{user_id}"


@lru_cache(maxsize=1)
def _redis(url: str):
    import redis

    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


class _MemoryLeases:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.leases: dict[int, dict[str, float]] = {}

    def acquire(self, user_id: int, socket_id: str, cap: int, now: float) -> bool:
        with self.lock:
            held = {s: t for s, t in self.leases.get(user_id, {}).items() if t > now}
            if socket_id not in held and len(held) >= cap:
                self.leases[user_id] = held
                return False
            held[socket_id] = now + lease_seconds()
            self.leases[user_id] = held
            return True

    def release(self, user_id: int, socket_id: str) -> None:
        with self.lock:
            self.leases.get(user_id, {}).pop(socket_id, None)


_memory = _MemoryLeases()


def socket_acquire(*, user_id: int, socket_id: str) -> bool:
    """Take (or renew) a lease for this socket; False when the user already holds the cap."""
    cap = int(settings.SOCKETS_PER_USER)
    now = time.time()
    url = getattr(settings, "REDIS_URL", "")
    if not url:
        return _memory.acquire(user_id, socket_id, cap, now)
    taken = _redis(url).eval(
        _ACQUIRE,
        1,
        _key(user_id),
        now,
        now + lease_seconds(),
        socket_id,
        cap,
        lease_seconds() * 2,
    )
    return bool(taken)


def socket_release(*, user_id: int, socket_id: str) -> None:
    url = getattr(settings, "REDIS_URL", "")
    if not url:
        _memory.release(user_id, socket_id)
        return
    _redis(url).zrem(_key(user_id), socket_id)


class SocketCapMixin:
    """For a Channels consumer of signed-in users: `await self.socket_cap_take(user)` in
    connect (after the user is known); False means the socket was closed with 4429. The lease is
    renewed by the socket's frames and given back when it closes."""

    _socket_id = ""
    _lease_renewed_at = 0.0

    async def socket_cap_take(self, user) -> bool:

        socket_id = uuid.uuid4().hex
        if not await database_sync_to_async(socket_acquire)(user_id=user.pk, socket_id=socket_id):
            frame = {"type": "error", "code": "too_many_sockets", "detail": TOO_MANY_DETAIL}
            await self.send(text_data=json.dumps(frame))  # type: ignore[attr-defined]
            await self.close(code=CLOSE_TOO_MANY_SOCKETS)  # type: ignore[attr-defined]
            return False
        self._socket_id, self._socket_user_id = socket_id, user.pk
        self._lease_renewed_at = time.monotonic()
        return True

    async def dispatch(self, message) -> None:
        kind = message.get("type", "")
        if self._socket_id and kind == "websocket.disconnect":
            socket_id, self._socket_id = self._socket_id, ""
            await database_sync_to_async(socket_release)(
                user_id=self._socket_user_id, socket_id=socket_id
            )
        elif (
            self._socket_id
            and kind == "websocket.receive"
            and time.monotonic() - self._lease_renewed_at > 60
        ):
            self._lease_renewed_at = time.monotonic()
            await database_sync_to_async(socket_acquire)(
                user_id=self._socket_user_id, socket_id=self._socket_id
            )
        await super().dispatch(message)  # type: ignore[misc]

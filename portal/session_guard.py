"""Websockets outlive the HTTP session that opened them.

A socket is authenticated once, at connect, from the session cookie. The session can end while
the socket stays open: it expires after `SESSION_IDLE_SECONDS` without activity, the user signs
out in another tab, their password changes or their account is deactivated. A socket must then
stop serving that user, or a screen left open keeps receiving private messages. Conversely,
chatting over the socket is activity, as a page request is: it keeps the session alive.
"""

from __future__ import annotations

import logging
import time
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends import db as db_sessions
from django.db import DatabaseError
from django.db.models import Subquery
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from portal.socket_db import database_sync_to_async

log = logging.getLogger(__name__)


def session_is_alive(scope: dict[str, Any], *, touch: bool = False) -> bool:
    """Whether the session that opened this socket still signs in the socket's user. With
    `touch`, the session's idle expiry starts again (the user is active on the socket)."""
    user = scope.get("user")
    session = scope.get("session")
    key = getattr(session, "session_key", None)
    if user is None or not user.is_authenticated or not key:
        return False
    # A fresh store: the scope's copy was loaded at connect and would not see the change.
    store = import_module(settings.SESSION_ENGINE).SessionStore(key)
    data, current = _session_and_user(store, key, user.pk)
    if str(data.get(SESSION_KEY)) != str(user.pk):
        return False
    if current is None:
        return False  # deactivated or deleted
    stored_hash = data.get(HASH_SESSION_KEY) or ""
    if not constant_time_compare(stored_hash, current.get_session_auth_hash()):
        return False  # the password changed since: every session of that user has ended
    if touch:
        store.modified = True
        store.save()  # a new expiry date, as SESSION_SAVE_EVERY_REQUEST gives each request
    return True


def _session_and_user(store, key: str, user_pk) -> tuple[dict[str, Any], Any]:
    """The session's data ({} once expired or deleted: signed out) and the user as the database
    has them now (None once deactivated or deleted; the scope's copy is from the connect).

    With sessions in the database (the default engine), one query reads both: this runs for every
    frame and every pushed event of every open socket."""
    users = get_user_model().objects.filter(pk=user_pk, is_active=True)
    if isinstance(store, db_sessions.SessionStore):
        live = store.model.objects.filter(session_key=key, expire_date__gt=timezone.now())
        row = users.annotate(_session_data=Subquery(live.values("session_data")[:1])).first()
        if row is None:
            return {}, None  # no such active user: the socket is done whatever the session says
        return (store.decode(row._session_data) if row._session_data else {}), row
    return store.load(), users.first()


class SessionBoundConsumerMixin:
    """For a Channels websocket consumer of signed-in users: every frame from the browser and
    every channel-layer event first checks that the session is still alive (a frame also keeps
    it alive). Once it has ended the socket closes with 4401, the code the pages read as "your
    session has ended, sign in again", and nothing more is received or sent: a frame that
    arrives then is not acted on (the chat page keeps unsent messages and sends them after the
    next sign-in)."""

    signed_out_close_code = 4401
    _session_ended = False
    _touched_at = 0.0

    async def dispatch(self, message: dict[str, Any]) -> None:
        kind = message.get("type", "")
        user = self.scope.get("user")  # type: ignore[attr-defined]
        guarded = kind not in ("websocket.connect", "websocket.disconnect") and bool(
            user is not None and user.is_authenticated
        )
        skip = message.get("skip_channel")
        if guarded and skip and skip == getattr(self, "channel_name", None):
            # An event this socket already answered itself (its own message echoed back, its
            # "thinking" notice): the handler sends nothing, so there is nothing to guard, and a
            # session check per such event was a third of every chat message's database reads.
            return
        if guarded:
            if self._session_ended:
                return
            # Frames keep the session alive, but one write a minute is enough for that.
            touch = kind == "websocket.receive" and time.monotonic() - self._touched_at > 60
            try:
                alive = await database_sync_to_async(session_is_alive)(
                    self.scope,  # type: ignore[attr-defined]
                    touch=touch,
                )
            except DatabaseError:
                # The check could not run (a busy database): the session was alive at the last
                # check, so this frame goes through and the next one checks again.
                log.warning("session check failed; serving this frame", exc_info=True)
                alive, touch = True, False
            if touch and alive:
                self._touched_at = time.monotonic()
            if not alive:
                self._session_ended = True
                await self.close(code=self.signed_out_close_code)  # type: ignore[attr-defined]
                return
        await super().dispatch(message)  # type: ignore[misc]

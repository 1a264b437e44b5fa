"""Realtime notifications, sent only after the database commit that they announce.

Channel-layer delivery is at-most-once, so an event is never the only copy of anything: a page
that misses one reloads from the database on reconnect.
"""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

log = logging.getLogger(__name__)

INBOX_GROUP = "inbox"  # every nurse's open inbox page


def conversation_group(conversation_id: int) -> str:
    return f"conversation.{conversation_id}"


def send_now(group: str, payload: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, payload)
    except Exception:  # a realtime hiccup must never lose the saved data or fail the request
        log.exception("could not send %s to %s", payload.get("type"), group)


def send_on_commit(group: str, payload: dict[str, Any]) -> None:
    """Send `payload` to `group` once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: send_now(group, payload))

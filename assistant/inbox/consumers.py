"""The nurse inbox websocket (ws/inbox/): the live queue, alerts and open-thread updates.

Nurses only (others are accepted, then closed: 4401 signed out, 4403 not a nurse). On connect
the page gets a full snapshot from the database, so a missed event (the channel layer delivers
at most once) costs nothing beyond the reconnect. Events only say *what* changed; the consumer
reloads it from the database and applies access rules before pushing.

Client -> server:
  {"type": "queue"}                          resend the snapshot
  {"type": "watch", "escalation_id": N}      also follow that thread's conversation (thread page)
  {"type": "alerts.read", "ids": [..]}       dismiss in-app alerts
Server -> client:
  {"type": "queue", "escalations": [...], "alerts": [...]}
  {"type": "escalation", "escalation": {...}}   one escalation changed (also when resolved)
  {"type": "alerts", "alerts": [...]}           the user's unread alerts changed
  {"type": "watching", "escalation_id": N}
  {"type": "message", "message": {...}}         a new message in a watched thread
  {"type": "error", "code": ..., "detail": ...}
"""

from __future__ import annotations

import json
from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils import timezone

from portal.audit import audit_record
from portal.session_guard import SessionBoundConsumerMixin
from portal.socket_cap import SocketCapMixin
from portal.socket_db import database_sync_to_async

from .. import events
from ..serializers import message_to_dict
from . import alerts
from . import selectors as sel

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403


class InboxConsumer(SocketCapMixin, SessionBoundConsumerMixin, AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.user = self.scope.get("user")
        self.watched: dict[int, int] = {}  # conversation id -> escalation id
        # Accept, then close with a code: a refused handshake reaches the browser only as 1006,
        # and the page must tell "signed out" (go and sign in) from a network drop (retry).
        await self.accept()
        if self.user is None or not self.user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        if not await self.socket_cap_take(self.user):
            return
        if not await database_sync_to_async(sel.can_work_queue)(self.user):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        await self.channel_layer.group_add(events.INBOX_GROUP, self.channel_name)
        await self.send_json(await self._snapshot())

    async def disconnect(self, code: int) -> None:
        if self.channel_layer is None:
            return
        await self.channel_layer.group_discard(events.INBOX_GROUP, self.channel_name)
        for conversation_id in list(getattr(self, "watched", {})):
            await self.channel_layer.group_discard(
                events.conversation_group(conversation_id), self.channel_name
            )

    # --- from the browser ---------------------------------------------------------------------

    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        if bytes_data is not None:
            await self._error("binary", "Send JSON text frames.")
            return
        await super().receive(text_data=text_data, **kwargs)

    async def decode_json(self, text_data):

        try:
            frame = json.loads(text_data)
            json.dumps(frame, ensure_ascii=False).encode("utf-8")
        except ValueError:  # UnicodeEncodeError included: a lone surrogate is not text
            return {"type": "__bad_json__"}
        return frame

    async def receive_json(self, content: Any, **kwargs) -> None:
        if not isinstance(content, dict):
            await self._error("bad_type", "Expected an object.")
            return
        kind = content.get("type")
        if kind == "__bad_json__":
            await self._error("bad_json", "That was not JSON.")
        elif kind == "queue":
            await self.send_json(await self._snapshot())
        elif kind == "watch":
            await self._watch(content.get("escalation_id"))
        elif kind == "alerts.read":
            ids = [i for i in content.get("ids") or [] if isinstance(i, int)]
            await database_sync_to_async(alerts.alerts_mark_read)(user=self.user, alert_ids=ids)
            await self.send_json({"type": "alerts", "alerts": await self._alerts()})
        else:
            await self._error("bad_type", "Unknown message type.")

    async def _watch(self, escalation_id: Any) -> None:
        if not isinstance(escalation_id, int):
            await self._error("bad_request", "escalation_id must be a number.")
            return
        esc = await database_sync_to_async(sel.escalation_for_queue_user)(
            user=self.user, escalation_id=escalation_id
        )
        if esc is None:
            await self._error("not_found", "No such escalation.")
            return
        self.watched[esc.conversation_id] = esc.pk
        await self.channel_layer.group_add(
            events.conversation_group(esc.conversation_id), self.channel_name
        )
        # The live thread is a read of the patient's messages, as the thread page is.
        await self._audit(
            "thread.watch",
            object_type="escalation",
            object_id=esc.pk,
            patient_id=esc.conversation.patient_id,
        )
        await self.send_json({"type": "watching", "escalation_id": esc.pk})

    # --- from the channel layer ---------------------------------------------------------------

    async def inbox_changed(self, event: dict) -> None:
        data = await self._escalation_dict(event.get("escalation_id"))
        if data is not None:
            await self.send_json({"type": "escalation", "escalation": data})
            # The row carries an excerpt of the patient's message.
            await self._audit(
                "queue.update",
                object_type="escalation",
                object_id=data["id"],
                patient_id=data.get("patient_id"),
            )

    async def inbox_alert(self, event: dict) -> None:
        if getattr(self.user, "pk", None) in (event.get("recipient_ids") or []):
            await self.send_json({"type": "alerts", "alerts": await self._alerts()})

    async def chat_handoff(self, event: dict) -> None:
        # The inbox group already carries the same change; only a watched thread needs it here,
        # and it arrives through the conversation group.
        data = await self._escalation_dict(event.get("escalation_id"))
        if data is not None and data["id"] in self.watched.values():
            await self.send_json({"type": "escalation", "escalation": data, "thread": True})

    async def chat_message(self, event: dict) -> None:
        message_id = event.get("message_id")
        for conversation_id in self.watched:
            data = await self._message_dict(message_id, conversation_id)
            if data is not None:
                await self.send_json({"type": "message", "message": data})
                await self._audit(
                    "message.view",
                    object_type="message",
                    object_id=data["id"],
                    patient_id=data.pop("_patient_id", None),
                    detail={"via": "watch", "escalation_id": self.watched[conversation_id]},
                )
                return

    async def chat_thinking(self, event: dict) -> None:
        """The patient's chat shows "thinking"; nurses don't need it."""

    # --- helpers ------------------------------------------------------------------------------

    async def _error(self, code: str, detail: str) -> None:
        await self.send_json({"type": "error", "code": code, "detail": detail})

    async def _audit(self, action: str, **fields: Any) -> None:
        await database_sync_to_async(audit_record)(
            request_or_actor=self.scope, action=action, **fields
        )

    @database_sync_to_async
    def _snapshot(self) -> dict:

        now = timezone.now()
        escalations = sel.escalations_open_for_queue(user=self.user)
        # The queue shows an excerpt of each patient's message: one entry for the whole list.
        audit_record(
            request_or_actor=self.scope,
            action="queue.view",
            detail={"via": "socket", "escalation_ids": [e.pk for e in escalations]},
        )
        return {
            "type": "queue",
            "escalations": [sel.escalation_to_inbox_dict(e, now=now) for e in escalations],
            "alerts": [sel.alert_to_dict(a) for a in sel.alerts_unread_for_user(user=self.user)],
        }

    @database_sync_to_async
    def _alerts(self) -> list[dict]:
        return [sel.alert_to_dict(a) for a in sel.alerts_unread_for_user(user=self.user)]

    @database_sync_to_async
    def _escalation_dict(self, escalation_id: Any) -> dict | None:
        if not isinstance(escalation_id, int):
            return None
        esc = sel.escalation_for_queue_user(user=self.user, escalation_id=escalation_id)
        return sel.escalation_to_inbox_dict(esc) if esc is not None else None

    @database_sync_to_async
    def _message_dict(self, message_id: Any, conversation_id: int) -> dict | None:

        if not isinstance(message_id, int):
            return None
        message = sel.message_for_watcher(
            user=self.user, message_id=message_id, conversation_id=conversation_id
        )
        if message is None:
            return None
        data = message_to_dict(message)
        data["role_label"] = message.get_role_display()
        data["kind_label"] = message.get_kind_display()
        data["_patient_id"] = message.conversation.patient_id
        return data

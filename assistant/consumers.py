"""The patient's chat socket: ws/chat/<conversation_id>/ (protocol: docs/chat-protocol.md).

Patients only, and only their own conversations (nurses read threads in the audited inbox). Every
frame is validated here; anything wrong gets an error frame and the socket stays open. A patient
message is saved before anything else happens to it; channel-layer events only say "something new
is in the database", and this consumer reads it from there.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from portal.session_guard import SessionBoundConsumerMixin
from portal.socket_cap import SocketCapMixin
from portal.socket_db import database_sync_to_async

from . import delivery, events, ratelimit, selectors, serializers, services
from .models import Message
from .services import clean_text

log = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403

CLIENT_ID_RE = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
# Everything but tab and newline below U+0020, and DEL: invisible, and NUL breaks PostgreSQL.
CONTROL_CHARS_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
FEEDBACK_COMMENT_MAX = 2000

ERROR_DETAIL = {
    "binary": "Binary frames are not supported; send JSON text.",
    "bad_json": "The frame is not a JSON object.",
    "bad_type": "Unknown frame type.",
    "bad_field": "A field has the wrong type or format.",
    "bad_text": "The frame holds characters that are not text (a lone UTF-16 surrogate).",
    "missing_client_id": "A message needs a client_id.",
    "empty": "The message is empty.",
    "too_long": "The message is too long.",
    "rate_limited": "You are sending messages too quickly. Please wait a moment.",
    "not_found": "That message is not in this conversation.",
    "not_allowed": "That action is not possible on this message.",
    "server_error": "Something went wrong on our side. Please try again.",
}


class FrameError(Exception):
    def __init__(self, code: str, detail: str = "", **extra: Any) -> None:
        super().__init__(code)
        self.code, self.detail, self.extra = code, detail or ERROR_DETAIL[code], extra


class ChatConsumer(SocketCapMixin, SessionBoundConsumerMixin, AsyncWebsocketConsumer):
    conversation = None
    group = ""

    # --- lifecycle ---------------------------------------------------------------------------

    async def connect(self) -> None:
        user = self.scope.get("user")
        self.frames = ratelimit.FrameWindow()
        # Accept, then close with a code: a refused handshake reaches the browser only as 1006,
        # and the page needs to tell "signed out" (go to sign-in) from a network drop (retry).
        await self.accept()
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        if not await self.socket_cap_take(user):
            return
        conversation_id = int(self.scope["url_route"]["kwargs"]["conversation_id"])
        conversation = await database_sync_to_async(selectors.conversation_get_for_user)(
            user=user, conversation_id=conversation_id
        )
        if conversation is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.user, self.conversation = user, conversation
        self.group = events.conversation_group(conversation.pk)
        # Subscribe before reading the history, so nothing saved in between is missed.
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.send_json(await database_sync_to_async(self._history_frame)())
        await database_sync_to_async(delivery.messages_requeue_stale)(conversation=conversation)

    async def disconnect(self, code) -> None:
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def send_json(self, content: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(content))

    async def send_error(self, code: str, detail: str = "", **extra: Any) -> None:
        await self.send_json(
            {"type": "error", "code": code, "detail": detail or ERROR_DETAIL[code], **extra}
        )

    # --- frames from the browser -------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.conversation is None:
            return
        allowed = self.frames.hit()
        if not allowed.allowed:
            await self.send_error("rate_limited", retry_after=allowed.retry_after)
            return
        try:
            frame = self._parse(text_data, bytes_data)
            handler = {
                "message": self.on_message,
                "history": self.on_history,
                "feedback": self.on_feedback,
                "handoff_request": self.on_handoff_request,
            }.get(frame.get("type"))  # type: ignore[arg-type]
            if handler is None:
                raise FrameError("bad_type")
            await handler(frame)
        except FrameError as err:
            await self.send_error(err.code, err.detail, **err.extra)
        except Exception:
            log.exception("chat frame failed in conversation %s", self.conversation.pk)
            await self.send_error("server_error")

    def _parse(self, text_data: str | None, bytes_data: bytes | None) -> dict[str, Any]:
        if text_data is None:
            raise FrameError("binary")
        # JSON escapes can make a legal message several times longer than its text.
        if len(text_data) > settings.CHAT_MAX_MESSAGE_CHARS * 8 + 4096:
            raise FrameError("too_long")
        try:
            frame = json.loads(text_data)
        except (ValueError, RecursionError) as err:
            raise FrameError("bad_json") from err
        if not isinstance(frame, dict):
            raise FrameError("bad_json")
        if not _is_text(frame):
            raise FrameError("bad_text")
        if not isinstance(frame.get("type"), str):
            raise FrameError("bad_type")
        return frame

    async def on_message(self, frame: dict[str, Any]) -> None:
        client_id = frame.get("client_id")
        if client_id is None or client_id == "":
            raise FrameError("missing_client_id")
        if not isinstance(client_id, str) or not CLIENT_ID_RE.fullmatch(client_id):
            raise FrameError(
                "bad_field",
                "client_id must be a short string (letters, digits, - _ . :).",
                field="client_id",
            )
        text = frame.get("text")
        if not isinstance(text, str):
            raise FrameError(
                "bad_field", "text must be a string.", field="text", client_id=client_id
            )
        for out in await database_sync_to_async(self._receive)(text=text, client_id=client_id):
            await self.send_json(out)

    def _receive(self, *, text: str, client_id: str) -> list[dict[str, Any]]:
        """Save (or find) the message; the frames that acknowledge it to this socket."""
        sent = services.message_submit(
            conversation=self.conversation,
            user=self.user,
            text=text,
            client_id=client_id,
            origin_channel=self.channel_name,
        )
        if sent.refused == "empty":
            raise FrameError("empty", client_id=client_id)
        if sent.refused == "too_long":
            raise FrameError(
                "too_long",
                f"Messages can be at most {sent.limit} characters (this one has {sent.length}).",
                client_id=client_id,
                limit=sent.limit,
            )
        if sent.refused == "rate_limited":
            raise FrameError(
                "rate_limited",
                f"You are sending messages too quickly. Please wait {sent.retry_after} "
                "seconds and send it again.",
                client_id=client_id,
                retry_after=sent.retry_after,
            )
        message = sent.message
        if sent.created and message.answer_state == Message.AnswerState.PENDING:
            return [
                {"type": "message", "message": serializers.message_to_dict(message)},
                {"type": "thinking", "client_id": client_id, "message_id": message.pk},
            ]
        # A resend, or an emergency answered by the gate as it was saved: the message and its
        # reply, from the database (the group event skips this socket).
        return self._resend_frames(message)

    def _resend_frames(self, message: Message) -> list[dict[str, Any]]:
        """A resend is answered with what the database holds: the message and its answer."""
        message.refresh_from_db()
        out = [{"type": "message", "message": serializers.message_to_dict(message)}]
        answer = selectors.message_answer_for(message=message)
        if answer is not None:
            feedback = selectors.feedback_by_message(user=self.user, message_ids=[answer.pk])
            out.append(
                {
                    "type": "message",
                    "message": serializers.message_to_dict(
                        answer, feedback=feedback.get(answer.pk)
                    ),
                }
            )
        elif message.answer_state == Message.AnswerState.PENDING:
            out.append(
                {"type": "thinking", "client_id": message.client_id, "message_id": message.pk}
            )
        return out

    async def on_history(self, frame: dict[str, Any]) -> None:
        await self.send_json(await database_sync_to_async(self._history_frame)())

    def _history_frame(self) -> dict[str, Any]:
        messages = selectors.conversation_messages(conversation=self.conversation)
        esc = selectors.escalation_current(conversation=self.conversation)
        return {
            "type": "history",
            "conversation": {"id": self.conversation.pk, "title": self.conversation.title},
            "messages": serializers.messages_to_dicts(messages, user=self.user),
            "handoff": serializers.escalation_to_dict(esc) if esc else None,
        }

    async def on_feedback(self, frame: dict[str, Any]) -> None:
        message_id, helpful = frame.get("message_id"), frame.get("helpful")
        comment = frame.get("comment", "")
        if not _is_int(message_id):
            raise FrameError("bad_field", "message_id must be a number.", field="message_id")
        if not isinstance(helpful, bool):
            raise FrameError("bad_field", "helpful must be true or false.", field="helpful")
        if comment is None:
            comment = ""
        if not isinstance(comment, str):
            raise FrameError("bad_field", "comment must be a string.", field="comment")
        comment = clean_text(comment)
        if len(comment) > FEEDBACK_COMMENT_MAX:
            raise FrameError(
                "too_long", f"Comments can be at most {FEEDBACK_COMMENT_MAX} characters."
            )
        await self.send_json(
            await database_sync_to_async(self._feedback)(
                message_id=message_id, helpful=helpful, comment=comment
            )
        )

    def _feedback(self, *, message_id: int, helpful: bool, comment: str) -> dict[str, Any]:
        message = selectors.message_get_in_conversation(
            conversation=self.conversation, message_id=message_id
        )
        if message is None:
            raise FrameError("not_found", message_id=message_id)
        if not serializers.message_to_dict(message)["rateable"]:
            raise FrameError("not_allowed", "Only assistant answers can be rated.")
        feedback = services.feedback_record(
            user=self.user, message=message, helpful=helpful, comment=comment
        )
        return {
            "type": "feedback_saved",
            "message_id": message.pk,
            "helpful": feedback.helpful,
            "comment": feedback.comment,
        }

    async def on_handoff_request(self, frame: dict[str, Any]) -> None:
        message_id = frame.get("message_id")
        if not _is_int(message_id):
            raise FrameError("bad_field", "message_id must be a number.", field="message_id")
        await self.send_json(await database_sync_to_async(self._handoff)(message_id=message_id))

    def _handoff(self, *, message_id: int) -> dict[str, Any]:
        message = selectors.message_get_in_conversation(
            conversation=self.conversation, message_id=message_id
        )
        if message is None:
            raise FrameError("not_found", message_id=message_id)
        if (
            message.role != Message.Role.PATIENT
            and not serializers.message_to_dict(message)["offer_handoff"]
        ):
            raise FrameError("not_allowed", "This message cannot be sent to the care team.")
        esc = services.handoff_request(conversation=self.conversation, message=message)
        return {"type": "handoff", "escalation": serializers.escalation_to_dict(esc)}

    # --- events from the channel layer (something new is in the database) ------------------

    async def chat_message(self, event: dict[str, Any]) -> None:
        if event.get("skip_channel") == self.channel_name:
            return  # this socket already acknowledged it directly
        frames = await database_sync_to_async(self._message_frames)(event.get("message_id"))
        for out in frames:
            await self.send_json(out)
        if frames and "thinking_client_id" in event:  # a patient message whose answer is coming
            await self.chat_thinking(
                {"message_id": event.get("message_id"), "client_id": event["thinking_client_id"]}
            )

    def _message_frames(self, message_id) -> list[dict[str, Any]]:
        if not _is_int(message_id):
            return []
        message = selectors.message_get_in_conversation(
            conversation=self.conversation, message_id=message_id
        )
        if message is None:
            return []
        out = [{"type": "message", "message": serializers.message_to_dict(message)}]
        if message.role == Message.Role.NURSE:  # a nurse answered: the banner names them
            esc = selectors.escalation_current(conversation=self.conversation)
            if esc is not None:
                out.append({"type": "handoff", "escalation": serializers.escalation_to_dict(esc)})
        return out

    async def chat_thinking(self, event: dict[str, Any]) -> None:
        if event.get("skip_channel") == self.channel_name:
            return
        await self.send_json(
            {
                "type": "thinking",
                "message_id": event.get("message_id"),
                "client_id": event.get("client_id"),
            }
        )

    async def chat_handoff(self, event: dict[str, Any]) -> None:
        frame = await database_sync_to_async(self._handoff_frame)(event.get("escalation_id"))
        if frame is not None:
            await self.send_json(frame)

    def _handoff_frame(self, escalation_id) -> dict[str, Any] | None:
        if not _is_int(escalation_id):
            return None
        esc = selectors.escalation_get_in_conversation(
            conversation_id=self.conversation.pk, escalation_id=escalation_id
        )
        return (
            {"type": "handoff", "escalation": serializers.escalation_to_dict(esc)} if esc else None
        )


def _is_text(frame: Any) -> bool:
    """JSON may spell a lone surrogate ("\\ud800"): no database or page can hold it as text."""
    try:
        json.dumps(frame, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)

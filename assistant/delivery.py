"""Nothing a patient sends is lost: every message's answer is queued, a lost task is queued
again, and a message that cannot be answered in time says so.

`answer_enqueue` queues the answer of a saved message (in-process in the embedded mode). The beat
sweeper (`messages_requeue_pending`, and `messages_requeue_stale` when a chat page opens) queues
again every message still pending past a threshold, waiting twice as long each time; a message
still pending after the deadline is marked failed and the patient is told and offered a nurse
(`answer_failed`). Every step is a compare-and-set on the message row, so sweepers and late
tasks never answer twice. See docs/chat-protocol.md.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from . import events, selectors
from .models import Conversation, JobHeartbeat, Message

log = logging.getLogger(__name__)

# A pending message older than this is enqueued again (its task was lost with a crashed worker,
# a restarted broker or embedded server), by the beat sweeper and when its conversation is
# opened; each further re-enqueue waits twice as long, up to DEFAULT_REQUEUE_MAX_SECONDS. Still
# pending after DEFAULT_FAIL_SECONDS, it is marked failed and the patient is told (and offered a
# nurse). See docs/chat-protocol.md.
DEFAULT_REQUEUE_SECONDS = 30
DEFAULT_REQUEUE_MAX_SECONDS = 300
DEFAULT_FAIL_SECONDS = 15 * 60
SWEEP_LIMIT = 500

FAILED_TEXT = (
    "Sorry, something went wrong and I could not answer your message. Nothing you wrote was "
    "lost. You can send it to your care team and a nurse will reply here, or ask again in a "
    "moment. If this is an emergency, call 911."
)


def answer_enqueue(message_id: int) -> None:
    """Queue the answer of a saved message (runs in-process in the embedded mode)."""
    # Imported here: the task module imports this one (its task calls back into it).
    from .tasks import answer_message_task

    try:
        answer_message_task.delay(message_id)
    except Exception:
        # The broker is down: the message stays `pending`; the beat sweeper (or the chat page
        # opening) enqueues it again once the broker is back.
        log.exception("could not enqueue the answer of message %s", message_id)


def _requeue_settings() -> tuple[int, int, int]:
    return (
        getattr(settings, "CHAT_PENDING_REQUEUE_SECONDS", DEFAULT_REQUEUE_SECONDS),
        getattr(settings, "CHAT_PENDING_REQUEUE_MAX_SECONDS", DEFAULT_REQUEUE_MAX_SECONDS),
        getattr(settings, "CHAT_PENDING_FAIL_SECONDS", DEFAULT_FAIL_SECONDS),
    )


def _requeue_due(rows, *, now, first: int, most: int, fail_after: int) -> tuple[list, list]:
    """Which pending messages to enqueue again and which to give up on, from their timing."""
    requeue, give_up = [], []
    for pk, created_at, enqueued_at, requeues in rows:
        if (now - created_at).total_seconds() >= fail_after:
            give_up.append(pk)
            continue
        wait = min(most, first * 2 ** min(requeues, 10))
        if (now - (enqueued_at or created_at)).total_seconds() >= wait:
            requeue.append((pk, requeues))
    return requeue, give_up


def _requeue(pending, *, older_than_seconds: int | None = None, now=None) -> list[int]:
    """Enqueue again the answers of `pending` patient messages whose task looks lost.

    Each re-enqueue is a compare-and-set on `answer_requeues`, so two sweepers (or a sweeper
    and a page opening the chat) never enqueue the same message twice for one period; a slow
    but alive task racing it costs a duplicate computation, never a duplicate answer (the
    answer is saved under a row lock, once).
    """
    now = now or timezone.now()
    first, most, fail_after = _requeue_settings()
    if older_than_seconds is not None:
        first = older_than_seconds
    rows = pending.filter(created_at__lt=now - timedelta(seconds=first)).order_by("pk")
    rows = rows.values_list("pk", "created_at", "answer_enqueued_at", "answer_requeues")
    requeue, give_up = _requeue_due(
        rows[:SWEEP_LIMIT], now=now, first=first, most=most, fail_after=fail_after
    )
    for message_id in give_up:
        log.error("message %s still unanswered after %s s: marked failed", message_id, fail_after)
        answer_failed(message_id=message_id)
    done = []
    for message_id, requeues in requeue:
        won = Message.objects.filter(
            pk=message_id, answer_state=Message.AnswerState.PENDING, answer_requeues=requeues
        ).update(answer_enqueued_at=now, answer_requeues=F("answer_requeues") + 1)
        if won:
            log.warning("re-enqueueing pending message %s (time %d)", message_id, requeues + 1)
            answer_enqueue(message_id)
            done.append(message_id)
    return done


def messages_requeue_stale(
    *, conversation: Conversation, older_than_seconds: int | None = None
) -> list[int]:
    """Enqueue again the answers of this conversation's messages whose task looks lost.

    Called when a chat page connects (the beat sweeper does the same for every conversation).
    """
    return _requeue(
        selectors.messages_pending(conversation=conversation),
        older_than_seconds=older_than_seconds,
    )


def messages_requeue_pending(*, now=None) -> list[int]:
    """The beat sweeper: every patient message still pending past the threshold is enqueued
    again, whether or not anyone has the chat open. Idempotent."""
    heartbeat_record(name="messages_requeue_pending", at=now)
    return _requeue(selectors.messages_pending(), now=now)


def heartbeat_record(*, name: str, at=None) -> None:
    """Note that background job `name` ran (the health endpoint reads it)."""
    JobHeartbeat.objects.update_or_create(name=name, defaults={"last_run_at": at or timezone.now()})


def lock_pending(message_id: int) -> Message | None:
    locked = Message.objects.select_for_update().select_related("conversation").get(pk=message_id)
    return locked if locked.answer_state == Message.AnswerState.PENDING else None


@transaction.atomic
def answer_failed(*, message_id: int) -> Message | None:
    message = lock_pending(message_id)
    if message is None:
        return None
    notice = Message.objects.create(
        conversation=message.conversation,
        role=Message.Role.SYSTEM,
        kind=Message.Kind.ERROR,
        text=FAILED_TEXT,
        reply_to=message,
    )
    message.answer_state = Message.AnswerState.FAILED
    message.save(update_fields=["answer_state"])
    events.send_on_commit(
        events.conversation_group(message.conversation_id),
        {"type": "chat.message", "message_id": notice.pk},
    )
    return notice

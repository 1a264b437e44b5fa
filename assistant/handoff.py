"""Opening an escalation: the hand-off of a conversation to the care team.

Shared by the patient chat (the escalation gate fired) and the nurse inbox (a patient asked to
send an unanswered question to a nurse). One unresolved escalation per conversation: a further
worry joins it and can only raise its priority, never lower it.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import events
from .models import Conversation, Escalation, Message


def escalation_target(level: str) -> timedelta:
    return timedelta(minutes=settings.ESCALATION_TARGET_MINUTES[level])


@transaction.atomic
def escalation_open(
    *,
    conversation: Conversation,
    message: Message | None,
    level: str,
    rule_id: str = "",
    rule_title: str = "",
    matched: list[str] | tuple[str, ...] = (),
    reason: str = "",
) -> Escalation:
    """Open (or join and raise) the unresolved escalation of `conversation`; tell nurses.

    A gate-escalated message (emergency or urgent) joining a thread a nurse has already answered
    re-arms it: unclaimed, unanswered, due by its level's target from now.
    """
    now = timezone.now()
    priority = Escalation.PRIORITY[level]
    current = (
        Escalation.objects.select_for_update()
        .filter(conversation=conversation)
        .exclude(status=Escalation.Status.RESOLVED)
        .first()
    )
    if current is None:
        esc = Escalation.objects.create(
            conversation=conversation,
            trigger_message=message,
            level=level,
            priority=priority,
            rule_id=rule_id,
            rule_title=rule_title,
            matched=list(matched),
            reason=reason,
            due_at=now + escalation_target(level),
        )
    else:
        esc = current
        raised = priority < esc.priority  # e.g. a new emergency in a thread waiting as urgent
        if raised:
            esc.level, esc.priority = level, priority
            esc.rule_id, esc.rule_title, esc.matched = rule_id, rule_title, list(matched)
            esc.reason, esc.trigger_message = reason, message
        if (raised or priority < Escalation.PRIORITY["routine"]) and esc.first_response_at:
            # The nurse answered an earlier message; this new worry has not been seen by
            # anyone. It goes back to the queue unclaimed, with a fresh target, until a nurse
            # acknowledges it (replies): the overdue job, and with it the charge-nurse path,
            # chase it again. A nurse who had it claimed takes it back by replying.
            esc.status = Escalation.Status.OPEN
            esc.claimed_by = esc.claimed_at = esc.first_response_at = None
            esc.last_alert_at = esc.escalated_to_charge_at = None
            esc.due_at = now + escalation_target(esc.level)
            esc.trigger_message = message or esc.trigger_message
            esc.save()
        elif raised:  # nobody answered yet: the earlier target stands if it is sooner
            esc.due_at = min(esc.due_at, now + escalation_target(level))
            esc.save()
    events.send_on_commit(
        events.INBOX_GROUP, {"type": "inbox.changed", "escalation_id": esc.pk, "level": esc.level}
    )
    events.send_on_commit(
        events.conversation_group(conversation.pk),
        {"type": "chat.handoff", "escalation_id": esc.pk},
    )
    return esc

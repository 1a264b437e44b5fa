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

from portal.audit import audit_record

from . import events
from .api import webhooks
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
    triage: dict | None = None,
) -> Escalation:
    """Open (or join and raise) the unresolved escalation of `conversation`; tell nurses.

    `triage` is the gate's explanation of the message (`Decision.explanation()`); it is kept
    with the escalation and written to the audit log whenever it sets or raises the level.

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
            triage=triage or {},
            due_at=now + escalation_target(level),
        )
        _audit_triage(esc, message=message, triage=triage, action="escalation.open")
        webhooks.escalation_event(webhooks.OPENED, esc, key=f"{esc.pk}:{esc.level}")
    else:
        esc = current
        raised = priority < esc.priority  # e.g. a new emergency in a thread waiting as urgent
        if raised:
            esc.level, esc.priority = level, priority
            esc.rule_id, esc.rule_title, esc.matched = rule_id, rule_title, list(matched)
            esc.reason, esc.trigger_message = reason, message
            esc.triage = triage or {}
            _audit_triage(esc, message=message, triage=triage, action="escalation.raise")
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
            # A new worry nobody has seen: integrators hear of it as of a new escalation.
            key = f"{esc.pk}:{esc.level}:{int(esc.due_at.timestamp())}"
            webhooks.escalation_event(webhooks.OPENED, esc, key=key)
        elif raised:  # nobody answered yet: the earlier target stands if it is sooner
            esc.due_at = min(esc.due_at, now + escalation_target(level))
            esc.save()
            webhooks.escalation_event(webhooks.OPENED, esc, key=f"{esc.pk}:{esc.level}")
    events.send_on_commit(
        events.INBOX_GROUP, {"type": "inbox.changed", "escalation_id": esc.pk, "level": esc.level}
    )
    events.send_on_commit(
        events.conversation_group(conversation.pk),
        {"type": "chat.handoff", "escalation_id": esc.pk},
    )
    return esc


def _audit_triage(esc: Escalation, *, message: Message | None, triage: dict | None, action: str):
    """The audit log keeps why the gate escalated (level, layers, rule, probability, nearest
    labelled messages), never the patient's words: an audit reader is not a thread reader."""
    if not triage:
        return
    audit_record(
        request_or_actor=None,
        action=action,
        object_type="escalation",
        object_id=esc.pk,
        patient_id=esc.conversation.patient_id,
        detail={
            "message_id": getattr(message, "pk", None),
            "triage": {k: v for k, v in triage.items() if k != "matched"},
        },
    )

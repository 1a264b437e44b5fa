"""Reads for the nurse inbox. Who may see what is decided here and only here.

- Nurses (and charge nurses) work the queue: every escalation, every thread, the canned replies.
- Admins read threads and conversations (read-only: they follow dashboard links to knowledge gaps
  and feedback) and the audit log; they never claim, reply or resolve.
- The dashboard is for the nurse lead (charge nurse) and admins.
- Patients see none of it.
Staff reads of a thread are audited by the view that shows it (assistant/audit.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Case, OuterRef, Q, QuerySet, Subquery, Value, When
from django.urls import reverse
from django.utils import timezone

from portal import roles
from portal.models import AuditEvent, Patient

from ..models import (
    Alert,
    CannedReply,
    Conversation,
    DraftReply,
    Escalation,
    Feedback,
    KnowledgeGap,
    Message,
)

QUEUE_LIMIT = 500  # the queue is a worklist, not an archive
THREAD_MESSAGE_LIMIT = 500


# --- who may do what -------------------------------------------------------------------------


def can_work_queue(user) -> bool:
    """Claim, reply, resolve, see the live queue."""
    return bool(getattr(user, "is_active", False)) and roles.is_nurse(user)


def can_read_threads(user) -> bool:
    return bool(getattr(user, "is_active", False)) and (
        roles.is_nurse(user) or roles.is_admin(user)
    )


def can_view_dashboard(user) -> bool:
    if not getattr(user, "is_active", False):
        return False
    held = roles.user_roles(user)
    return roles.CHARGE_NURSE in held or roles.ADMIN in held


def can_read_audit(user) -> bool:
    return bool(getattr(user, "is_active", False)) and roles.is_admin(user)


def can_manage_canned_replies(user) -> bool:
    return can_work_queue(user)


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


# --- escalations -----------------------------------------------------------------------------


def overdue_q(now: datetime) -> Q:
    """Unresolved, past its target and not yet acknowledged: nobody has claimed it, or nobody
    has answered the patient yet. Only a nurse resolving it takes it out of this set."""
    return Q(due_at__lte=now) & ~Q(status=Escalation.Status.RESOLVED) & awaiting_response_q()


def _last_message_id(role: str) -> Subquery:
    return Subquery(
        Message.objects.filter(conversation=OuterRef("conversation"), role=role)
        .order_by("-pk")
        .values("pk")[:1]
    )


def _escalations() -> QuerySet[Escalation]:
    return Escalation.objects.select_related(
        "conversation__patient", "claimed_by", "resolved_by", "trigger_message"
    ).annotate(
        last_nurse_message_id=_last_message_id(Message.Role.NURSE),
        last_patient_message_id=_last_message_id(Message.Role.PATIENT),
    )


def patient_wrote_since_reply(esc: Escalation) -> bool:
    """The patient wrote again after a nurse's last reply in an unresolved thread: the queue
    shows it, as the target column says "answered" and nothing else would tell."""
    if esc.status == Escalation.Status.RESOLVED:
        return False
    if hasattr(esc, "last_nurse_message_id"):  # loaded through _escalations()
        nurse, patient = esc.last_nurse_message_id, esc.last_patient_message_id
    else:
        nurse = _last_id(esc.conversation_id, Message.Role.NURSE)
        patient = _last_id(esc.conversation_id, Message.Role.PATIENT)
    return nurse is not None and patient is not None and patient > nurse


def _last_id(conversation_id: int, role: str) -> int | None:
    return (
        Message.objects.filter(conversation_id=conversation_id, role=role)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )


def awaiting_response_q() -> Q:
    """Unclaimed, or claimed with no reply to its latest worry yet: a nurse must act."""
    return Q(status=Escalation.Status.OPEN) | Q(first_response_at__isnull=True)


def escalations_open_for_queue(*, user) -> list[Escalation]:
    """Unresolved escalations, most urgent first; within a level those waiting for a nurse
    before those already answered (an emergency raised in an answered thread comes first
    again), then the longest waiting."""
    _require(can_work_queue(user))
    awaiting = Case(When(awaiting_response_q(), then=Value(0)), default=Value(1))
    return list(
        _escalations()
        .exclude(status=Escalation.Status.RESOLVED)
        .annotate(answered_rank=awaiting)
        .order_by("priority", "answered_rank", "created_at", "pk")[:QUEUE_LIMIT]
    )


def escalations_recently_resolved(*, user, limit: int = 20) -> list[Escalation]:
    _require(can_work_queue(user))
    return list(
        _escalations()
        .filter(status=Escalation.Status.RESOLVED)
        .order_by("-resolved_at", "-pk")[:limit]
    )


def escalation_get_for_staff(*, user, escalation_id: int) -> Escalation:
    """The escalation, for staff allowed to read threads. Raises PermissionDenied for everyone
    else (before looking it up, so the answer never says whether it exists) and
    Escalation.DoesNotExist for a missing one."""
    _require(can_read_threads(user))
    return _escalations().get(pk=escalation_id)


def escalation_for_queue_user(*, user, escalation_id: int) -> Escalation | None:
    """For the live queue socket: the escalation if `user` works the queue, else None."""
    if not can_work_queue(user):
        return None
    return _escalations().filter(pk=escalation_id).first()


def escalations_of_conversation(*, conversation: Conversation) -> list[Escalation]:
    return list(
        Escalation.objects.filter(conversation=conversation)
        .select_related("claimed_by", "resolved_by")
        .order_by("-created_at", "-pk")
    )


def conversation_get_for_staff(*, user, conversation_id: int) -> Conversation:
    _require(can_read_threads(user))
    return Conversation.objects.select_related("patient").get(pk=conversation_id)


def thread_messages(*, conversation: Conversation) -> list[Message]:
    newest = (
        Message.objects.filter(conversation=conversation)
        .select_related("author")
        .order_by("-created_at", "-pk")[:THREAD_MESSAGE_LIMIT]
    )
    return list(reversed(newest))


def message_for_watcher(*, user, message_id: int, conversation_id: int) -> Message | None:
    if not can_read_threads(user):
        return None
    return (
        Message.objects.select_related("author")
        .filter(pk=message_id, conversation_id=conversation_id)
        .first()
    )


def patient_questions_since_open(*, escalation: Escalation, limit: int = 3) -> list[Message]:
    """The patient's own words that the escalation is about: the trigger message and what they
    wrote after it (newest `limit`), oldest first."""
    base = Message.objects.filter(
        conversation_id=escalation.conversation_id, role=Message.Role.PATIENT
    )
    if escalation.trigger_message_id:
        base = base.filter(pk__gte=escalation.trigger_message_id)
    else:
        base = base.filter(created_at__gte=escalation.created_at - timedelta(minutes=5))
    rows = list(base.order_by("-pk")[:limit])
    if not rows:  # e.g. trigger removed: fall back to the last thing the patient said
        rows = list(
            Message.objects.filter(
                conversation_id=escalation.conversation_id, role=Message.Role.PATIENT
            ).order_by("-pk")[:1]
        )
    return list(reversed(rows))


def last_patient_message(*, conversation: Conversation) -> Message | None:
    return (
        Message.objects.filter(conversation=conversation, role=Message.Role.PATIENT)
        .order_by("-pk")
        .first()
    )


def draft_latest(*, escalation: Escalation) -> DraftReply | None:
    return DraftReply.objects.filter(escalation=escalation).order_by("-created_at", "-pk").first()


def draft_get(*, escalation: Escalation, draft_id: int) -> DraftReply | None:
    return DraftReply.objects.filter(escalation=escalation, pk=draft_id).first()


# --- how an escalation is shown in the queue ---------------------------------------------------


def _minutes_text(minutes: float) -> str:
    minutes = abs(minutes)
    if minutes < 1:
        return "under a minute"
    if minutes < 90:
        return f"{int(minutes)} min"
    hours = minutes / 60
    if hours < 48:
        return f"{hours:.1f} h".replace(".0 h", " h")
    return f"{int(hours // 24)} days"


def sla_text(esc: Escalation, *, now: datetime | None = None) -> str:
    """ "due in 3 min" / "overdue by 12 min" / "answered" for the target column."""
    now = now or timezone.now()
    if esc.status == Escalation.Status.RESOLVED:
        return "resolved"
    if esc.first_response_at and esc.status != Escalation.Status.OPEN:
        return "answered"
    delta = (esc.due_at - now).total_seconds() / 60
    if delta >= 0:
        return f"due in {_minutes_text(delta)}"
    return f"overdue by {_minutes_text(delta)}"


def is_overdue(esc: Escalation, *, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return (
        esc.status != Escalation.Status.RESOLVED
        and esc.due_at <= now
        and (esc.status == Escalation.Status.OPEN or esc.first_response_at is None)
    )


def escalation_to_inbox_dict(esc: Escalation, *, now: datetime | None = None) -> dict[str, Any]:
    """What the queue shows about one escalation (raw text: the page uses textContent)."""
    now = now or timezone.now()
    patient = esc.conversation.patient
    trigger = esc.trigger_message
    return {
        "id": esc.pk,
        "url": reverse("inbox:thread", args=[esc.pk]),
        "level": esc.level,
        "level_label": esc.get_level_display(),
        "priority": esc.priority,
        "status": esc.status,
        "status_label": esc.get_status_display(),
        "patient_name": patient.full_name,
        "patient_id": patient.pk,
        "rule_title": esc.rule_title,
        "rule_id": esc.rule_id,
        "matched": list(esc.matched or []),
        "reason": esc.reason,
        "excerpt": (trigger.text[:200] if trigger else ""),
        "created_at": esc.created_at.isoformat(),
        "due_at": esc.due_at.isoformat(),
        "sla_text": sla_text(esc, now=now),
        "overdue": is_overdue(esc, now=now),
        "awaiting_response": esc.status == Escalation.Status.OPEN or esc.first_response_at is None,
        "claimed_by_id": esc.claimed_by_id,
        "claimed_by_name": str(esc.claimed_by) if esc.claimed_by else "",
        "first_response_at": (esc.first_response_at.isoformat() if esc.first_response_at else None),
        "alert_count": esc.alert_count,
        "reopened_count": esc.reopened_count,
        "patient_wrote": patient_wrote_since_reply(esc),
    }


# --- alerts ----------------------------------------------------------------------------------


def alerts_unread_for_user(*, user, limit: int = 20) -> list[Alert]:
    if not can_work_queue(user):
        return []
    return list(
        Alert.objects.filter(recipient=user, read_at__isnull=True)
        .select_related("escalation")
        .order_by("-created_at", "-pk")[:limit]
    )


def alert_to_dict(alert: Alert) -> dict[str, Any]:
    return {
        "id": alert.pk,
        "kind": alert.kind,
        "text": alert.text,
        "escalation_id": alert.escalation_id,
        "url": reverse("inbox:thread", args=[alert.escalation_id]),
        "created_at": alert.created_at.isoformat(),
    }


# --- canned replies --------------------------------------------------------------------------


def canned_replies_for_user(*, user) -> list[CannedReply]:
    _require(can_manage_canned_replies(user))
    return list(CannedReply.objects.order_by("title"))


def canned_reply_get_for_user(*, user, canned_id: int) -> CannedReply:
    _require(can_manage_canned_replies(user))
    return CannedReply.objects.get(pk=canned_id)


# --- audit log -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilter:
    actor_id: int | None = None
    action: str = ""
    patient_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None  # inclusive


def audit_events_filtered(*, user, filters: AuditFilter) -> QuerySet[AuditEvent]:
    _require(can_read_audit(user))
    qs = AuditEvent.objects.select_related("patient", "actor").order_by("-at", "-pk")
    if filters.actor_id:
        qs = qs.filter(actor_id=filters.actor_id)
    if filters.action:
        qs = qs.filter(action=filters.action)
    if filters.patient_id:
        qs = qs.filter(patient_id=filters.patient_id)
    tz = timezone.get_current_timezone()
    if filters.date_from:
        start = datetime.combine(filters.date_from, datetime.min.time(), tzinfo=tz)
        qs = qs.filter(at__gte=start)
    if filters.date_to:
        end = datetime.combine(filters.date_to + timedelta(days=1), datetime.min.time(), tzinfo=tz)
        qs = qs.filter(at__lt=end)
    return qs


def audit_filter_choices(*, user) -> dict[str, Any]:
    """Actors, actions and patients that occur in the log, for the filter form."""
    _require(can_read_audit(user))
    actor_ids = AuditEvent.objects.exclude(actor=None).values_list("actor_id", flat=True).distinct()

    actors = list(get_user_model().objects.filter(pk__in=actor_ids).order_by("username"))
    actions = sorted(set(AuditEvent.objects.values_list("action", flat=True).distinct()))
    patient_ids = AuditEvent.objects.exclude(patient=None).values_list("patient_id", flat=True)
    patients = list(Patient.objects.filter(pk__in=patient_ids.distinct()))
    return {"actors": actors, "actions": actions, "patients": patients}


# --- dashboard -------------------------------------------------------------------------------


def dashboard_source_rows(*, user, since: datetime) -> dict[str, Any]:
    """Plain rows for assistant/dashboard.py, which does the arithmetic without the ORM."""
    _require(can_view_dashboard(user))
    now = timezone.now()
    conversations = list(
        Conversation.objects.filter(created_at__gte=since).values_list("created_at", flat=True)
    )
    escalations = list(
        Escalation.objects.filter(created_at__gte=since)
        .select_related("conversation__patient")
        .order_by("-created_at")
    )
    feedback = list(
        Feedback.objects.filter(created_at__gte=since)
        .select_related("message__conversation")
        .order_by("-created_at")
    )
    gaps = list(
        KnowledgeGap.objects.filter(created_at__gte=since, closed=False)
        .select_related("message__conversation")
        .order_by("-created_at")[:100]
    )
    overdue = list(
        _escalations().filter(overdue_q(now)).order_by("priority", "due_at")[:QUEUE_LIMIT]
    )
    drafts = list(
        DraftReply.objects.filter(created_at__gte=since, used__isnull=False).values_list(
            "used", "similarity"
        )
    )
    return {
        "now": now,
        "conversation_times": conversations,
        "escalations": escalations,
        "feedback": feedback,
        "gaps": gaps,
        "overdue": overdue,
        "drafts": drafts,
    }

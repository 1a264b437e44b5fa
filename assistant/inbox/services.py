"""Writes of the nurse inbox: claim, reply, resolve, reopen, drafts, canned replies (the SLA
re-alerts are in `alerts`).

State changes are compare-and-set updates ("claim it if it is still open"), so two nurses
clicking at once get one winner and one clear conflict, on SQLite and PostgreSQL alike. Every
staff action is audited here (not in the views) so no entry point can skip the trail. Realtime
events go out only after the commit (assistant/events.py).
"""

from __future__ import annotations

import difflib
import logging
import re
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from portal import roles
from portal.audit import audit_record

from .. import events
from ..handoff import escalation_target
from ..models import Alert, CannedReply, Conversation, Disposition, DraftReply, Escalation, Message
from . import drafts
from .selectors import can_manage_canned_replies, can_work_queue, patient_questions_since_open

log = logging.getLogger(__name__)

REPLY_MAX_CHARS = 4000
# What the care team (or the hand-off) last said when a patient's next message is a reply to it.
HANDOFF_EXCHANGE_KINDS = frozenset(
    {Message.Kind.NURSE_REPLY, Message.Kind.HANDOFF, Message.Kind.SAFETY}
)


class InboxConflict(Exception):
    """The escalation is no longer in a state that allows the action (someone got there first,
    or it was resolved meanwhile). The message is safe to show to the nurse."""


def _require_nurse(user) -> None:
    if not can_work_queue(user):
        raise PermissionDenied


def _announce(esc: Escalation) -> None:
    """Tell the open inbox pages and the patient's chat that the escalation changed."""
    events.send_on_commit(
        events.INBOX_GROUP, {"type": "inbox.changed", "escalation_id": esc.pk, "level": esc.level}
    )
    events.send_on_commit(
        events.conversation_group(esc.conversation_id),
        {"type": "chat.handoff", "escalation_id": esc.pk},
    )


def _audit_source(request, actor):
    return request if request is not None else actor


def _is_charge(user) -> bool:
    return roles.CHARGE_NURSE in roles.user_roles(user)


# --- claim / unclaim -------------------------------------------------------------------------


@transaction.atomic
def escalation_claim(*, escalation: Escalation, nurse, request=None) -> Escalation:
    """Take the escalation: the patient sees "a nurse is looking at this"."""
    _require_nurse(nurse)
    now = timezone.now()
    won = Escalation.objects.filter(pk=escalation.pk, status=Escalation.Status.OPEN).update(
        status=Escalation.Status.CLAIMED, claimed_by=nurse, claimed_at=now
    )
    escalation.refresh_from_db()
    if not won:
        if escalation.status == Escalation.Status.CLAIMED and escalation.claimed_by_id == nurse.pk:
            return escalation  # a double click: already ours
        if escalation.status == Escalation.Status.RESOLVED:
            raise InboxConflict("This escalation has already been resolved.")
        raise InboxConflict(f"{escalation.claimed_by} has already claimed this escalation.")
    audit_record(
        request_or_actor=_audit_source(request, nurse),
        action="escalation.claim",
        object_type="escalation",
        object_id=escalation.pk,
        patient=escalation.conversation.patient,
        detail={"level": escalation.level},
    )
    _announce(escalation)
    return escalation


@transaction.atomic
def escalation_unclaim(*, escalation: Escalation, nurse, request=None) -> Escalation:
    """Put it back in the queue. The claimer may, and so may a charge nurse (reassigning work
    of a nurse who went off shift)."""
    _require_nurse(nurse)
    allowed = Q(claimed_by=nurse) if not _is_charge(nurse) else Q()
    released = (
        Escalation.objects.filter(pk=escalation.pk, status=Escalation.Status.CLAIMED)
        .filter(allowed)
        .update(status=Escalation.Status.OPEN, claimed_by=None, claimed_at=None)
    )
    previous = escalation.claimed_by
    escalation.refresh_from_db()
    if not released:
        if escalation.status == Escalation.Status.OPEN:
            return escalation
        if escalation.status == Escalation.Status.RESOLVED:
            raise InboxConflict("This escalation has already been resolved.")
        raise InboxConflict(f"Only {escalation.claimed_by} or a charge nurse can release it.")
    audit_record(
        request_or_actor=_audit_source(request, nurse),
        action="escalation.unclaim",
        object_type="escalation",
        object_id=escalation.pk,
        patient=escalation.conversation.patient,
        detail={"previous_claimer": str(previous) if previous else ""},
    )
    _announce(escalation)
    return escalation


# --- reply -----------------------------------------------------------------------------------


def _draft_similarity(draft_text: str, sent_text: str) -> float:
    return round(difflib.SequenceMatcher(None, draft_text, sent_text, autojunk=False).ratio(), 4)


def _citations_still_referenced(citations: list[dict[str, Any]], text: str) -> list[dict]:
    """Keep the draft's citations whose [n] marker survived the nurse's edit."""
    present = {int(n) for n in re.findall(r"\[(\d+)\]", text)}
    return [c for c in citations if c.get("n") in present]


@transaction.atomic
def _lock_for_reply(escalation: Escalation, nurse) -> Escalation:
    """The escalation, locked, if this nurse may reply to it now."""
    esc = Escalation.objects.select_for_update().get(pk=escalation.pk)
    if esc.status == Escalation.Status.RESOLVED:
        raise InboxConflict(
            "This escalation has been resolved; it reopens when the patient writes."
        )
    if (
        esc.status == Escalation.Status.CLAIMED
        and esc.claimed_by_id != nurse.pk
        and not _is_charge(nurse)
    ):
        raise InboxConflict(f"{esc.claimed_by} has claimed this escalation.")
    return esc


def _drafts_settle(
    esc: Escalation, draft: DraftReply | None, *, message: Message, text: str, now
) -> float | None:
    """Record how much of the draft the nurse kept (its similarity to what was sent); drafts
    shown but not used count as "not used" (how often drafts help is a dashboard figure)."""
    similarity = None
    if draft is not None and draft.escalation_id == esc.pk:
        similarity = _draft_similarity(draft.text, text)
        DraftReply.objects.filter(pk=draft.pk).update(
            used=True, sent_message=message, similarity=similarity, sent_at=now
        )
    DraftReply.objects.filter(escalation=esc, used__isnull=True).exclude(
        pk=getattr(draft, "pk", None)
    ).update(used=False)
    return similarity


def nurse_reply_send(
    *,
    escalation: Escalation,
    nurse,
    text: str,
    draft: DraftReply | None = None,
    request=None,
) -> Message:
    """Send `text` to the patient as a message from `nurse`.

    Replying to an unclaimed escalation claims it (a reply is the strongest acknowledgement).
    `draft` is the drafted reply the text started from, if the nurse used one: how much of it
    was changed is recorded on the draft.
    """
    _require_nurse(nurse)
    text = text.strip()
    if not text:
        raise ValueError("empty reply")
    esc = _lock_for_reply(escalation, nurse)
    now = timezone.now()
    conversation = esc.conversation
    last_patient = (
        Message.objects.filter(conversation=conversation, role=Message.Role.PATIENT)
        .order_by("-pk")
        .first()
    )
    citations: list[dict[str, Any]] = []
    meta: dict[str, Any] = {"escalation_id": esc.pk}
    if draft is not None and draft.escalation_id == esc.pk:
        citations = _citations_still_referenced(list(draft.citations or []), text)
        meta["draft_id"] = draft.pk
    message = Message.objects.create(
        conversation=conversation,
        role=Message.Role.NURSE,
        kind=Message.Kind.NURSE_REPLY,
        author=nurse,
        text=text,
        reply_to=last_patient,
        citations=citations,
        meta=meta,
    )
    updates: dict[str, Any] = {}
    if esc.first_response_at is None:
        updates["first_response_at"] = now
    if esc.status == Escalation.Status.OPEN:
        updates.update(status=Escalation.Status.CLAIMED, claimed_by=nurse, claimed_at=now)
    if updates:
        Escalation.objects.filter(pk=esc.pk).update(**updates)
    Conversation.objects.filter(pk=conversation.pk).update(updated_at=now)
    similarity = _drafts_settle(esc, draft, message=message, text=text, now=now)
    escalation.refresh_from_db()
    audit_record(
        request_or_actor=_audit_source(request, nurse),
        action="escalation.reply",
        object_type="message",
        object_id=message.pk,
        patient=conversation.patient,
        detail={
            "escalation_id": esc.pk,
            "chars": len(text),
            "draft_id": getattr(draft, "pk", None),
            "draft_similarity": similarity,
        },
    )
    events.send_on_commit(
        events.conversation_group(conversation.pk),
        {"type": "chat.message", "message_id": message.pk},
    )
    _announce(escalation)
    return message


# --- resolve / reopen ------------------------------------------------------------------------


@transaction.atomic
def escalation_resolve(
    *, escalation: Escalation, nurse, disposition: str, note: str = "", request=None
) -> Escalation:
    """Close the escalation with how it was handled. The only way an escalation ends."""
    _require_nurse(nurse)
    if disposition not in Disposition.values:
        raise ValueError(f"unknown disposition {disposition!r}")
    now = timezone.now()
    allowed = Q(status=Escalation.Status.OPEN) | Q(claimed_by=nurse)
    if _is_charge(nurse):
        allowed = Q()
    done = (
        Escalation.objects.filter(pk=escalation.pk)
        .exclude(status=Escalation.Status.RESOLVED)
        .filter(allowed)
        .update(
            status=Escalation.Status.RESOLVED,
            resolved_at=now,
            resolved_by=nurse,
            disposition=disposition,
            resolution_note=note.strip(),
            # Calling the patient or sending them to the ED is a response even without a message.
            first_response_at=Coalesce(F("first_response_at"), now),
            claimed_by=Coalesce(F("claimed_by"), nurse.pk),
            claimed_at=Coalesce(F("claimed_at"), now),
        )
    )
    escalation.refresh_from_db()
    if not done:
        if escalation.status == Escalation.Status.RESOLVED:
            raise InboxConflict("This escalation has already been resolved.")
        raise InboxConflict(f"{escalation.claimed_by} has claimed this escalation.")
    Alert.objects.filter(escalation=escalation, read_at__isnull=True).update(read_at=now)
    audit_record(
        request_or_actor=_audit_source(request, nurse),
        action="escalation.resolve",
        object_type="escalation",
        object_id=escalation.pk,
        patient=escalation.conversation.patient,
        detail={"disposition": disposition, "note": note.strip()[:500]},
    )
    _announce(escalation)
    return escalation


@transaction.atomic
def escalation_reopen_if_resolved(
    *, conversation: Conversation, message: Message
) -> Escalation | None:
    """A patient's reply to the care team in a thread whose escalation was resolved reopens it.

    Called by the chat service for every saved patient message that says more than a courtesy
    ("thank you" to the nurse's answer reopens nothing). Only a message that continues the
    hand-off reopens: the last thing said to the patient before it was the nurse's reply or the
    hand-off notice. A later, new question ("what is a colonoscopy?") is the assistant's to answer
    and would only bring back a closed worry; a worrying one opens a new escalation through the
    gate. Does nothing when the conversation never escalated, already has an unresolved
    escalation, or `message` is not from the patient. The reopened escalation keeps its level
    (the thread was about that worry; a new worrying message raises it through escalation_open),
    goes back to the queue unclaimed with a fresh target, and nurses and patient are told.
    """
    if message.role != Message.Role.PATIENT:
        return None
    said_before = (
        Message.objects.filter(conversation=conversation, pk__lt=message.pk)
        .exclude(role=Message.Role.PATIENT)
        .order_by("-pk")
        .values_list("kind", flat=True)
        .first()
    )
    if said_before not in HANDOFF_EXCHANGE_KINDS:
        return None
    if (
        Escalation.objects.filter(conversation=conversation)
        .exclude(status=Escalation.Status.RESOLVED)
        .exists()
    ):
        return None
    latest = (
        Escalation.objects.select_for_update()
        .filter(conversation=conversation, status=Escalation.Status.RESOLVED)
        .order_by("-resolved_at", "-pk")
        .first()
    )
    if latest is None or (latest.resolved_at and message.created_at < latest.resolved_at):
        return None  # no hand-off yet, or a message the nurse had already seen
    now = timezone.now()
    try:
        with transaction.atomic():
            Escalation.objects.filter(pk=latest.pk, status=Escalation.Status.RESOLVED).update(
                status=Escalation.Status.OPEN,
                claimed_by=None,
                claimed_at=None,
                resolved_at=None,
                resolved_by=None,
                disposition="",
                due_at=now + escalation_target(latest.level),
                reopened_count=F("reopened_count") + 1,
                last_alert_at=None,
            )
    except IntegrityError:  # another message reopened or opened one at the same moment
        return None
    latest.refresh_from_db()
    _announce(latest)
    return latest


# --- drafts ----------------------------------------------------------------------------------


def draft_reply_build(
    *, escalation: Escalation, nurse=None, retriever=None, composer=None
) -> DraftReply:
    """Draft a reply grounded in approved content, with its citations, for a nurse to edit.

    Uses the same retrieval and composer as the assistant's answers. The draft is stored, never
    sent: only nurse_reply_send puts text in front of the patient.
    """

    questions = patient_questions_since_open(escalation=escalation)
    question = "\n".join(m.text for m in questions).strip()
    result = drafts.compose_draft(
        escalation=escalation,
        question=question,
        nurse=nurse,
        retriever=retriever,
        composer=composer,
    )
    return DraftReply.objects.create(
        escalation=escalation,
        created_for=nurse if getattr(nurse, "is_authenticated", False) else None,
        question=question,
        text=result.text,
        citations=result.citations,
        meta=result.meta,
    )


# --- canned replies --------------------------------------------------------------------------


def _require_canned(user) -> None:
    if not can_manage_canned_replies(user):
        raise PermissionDenied


@transaction.atomic
def canned_reply_create(*, actor, title: str, body: str, request=None) -> CannedReply:
    _require_canned(actor)
    canned = CannedReply.objects.create(
        title=title.strip(), body=body.strip(), created_by=actor, updated_by=actor
    )
    audit_record(
        request_or_actor=_audit_source(request, actor),
        action="canned_reply.create",
        object_type="canned_reply",
        object_id=canned.pk,
        detail={"title": canned.title},
    )
    return canned


@transaction.atomic
def canned_reply_update(
    *, canned: CannedReply, actor, title: str, body: str, request=None
) -> CannedReply:
    _require_canned(actor)
    before = {"title": canned.title, "body": canned.body}
    canned.title, canned.body, canned.updated_by = title.strip(), body.strip(), actor
    canned.save()
    audit_record(
        request_or_actor=_audit_source(request, actor),
        action="canned_reply.update",
        object_type="canned_reply",
        object_id=canned.pk,
        detail={"before": before, "title": canned.title},
    )
    return canned


@transaction.atomic
def canned_reply_delete(*, canned: CannedReply, actor, request=None) -> None:
    _require_canned(actor)
    audit_record(
        request_or_actor=_audit_source(request, actor),
        action="canned_reply.delete",
        object_type="canned_reply",
        object_id=canned.pk,
        detail={"title": canned.title, "body": canned.body},
    )
    canned.delete()

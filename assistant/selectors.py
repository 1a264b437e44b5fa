"""Reads for the patient chat. Access scoping lives here and only here.

The chat is a patient-only surface: a conversation is visible through these selectors only to the
patient it belongs to. Staff read threads through the nurse inbox, whose every read is audited;
nothing in this module serves staff, so nothing here needs an audit trail.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db.models import QuerySet

from portal import roles
from portal.models import Patient

from .models import Conversation, Escalation, Feedback, Message

HISTORY_LIMIT = 200  # newest messages sent on connect / rendered on the page
HISTORY_TURNS = 12  # earlier messages an answer reads as the conversation so far


def patient_for_user(user) -> Patient | None:
    """The patient record a chat user acts for, or None (anonymous, staff, no linked record,
    or a deceased patient whose login must not work)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if not roles.is_patient(user):
        return None
    try:
        patient = user.patient
    except Patient.DoesNotExist:
        return None
    if patient is None or patient.is_deceased:
        return None
    return patient


def conversation_get_for_user(*, user, conversation_id: int) -> Conversation | None:
    """The conversation if `user` is the patient it belongs to, else None (never says which)."""
    patient = patient_for_user(user)
    if patient is None:
        return None
    return (
        Conversation.objects.select_related("patient")
        .filter(pk=conversation_id, patient=patient)
        .first()
    )


def conversation_latest_for_patient(*, patient: Patient) -> Conversation | None:
    return Conversation.objects.filter(patient=patient).order_by("-updated_at", "-pk").first()


def conversation_list_for_patient(*, patient: Patient, limit: int = 20) -> list[Conversation]:
    return list(Conversation.objects.filter(patient=patient).order_by("-updated_at", "-pk")[:limit])


def conversation_messages(
    *, conversation: Conversation, limit: int = HISTORY_LIMIT
) -> list[Message]:
    """The newest `limit` messages of a conversation, oldest first."""
    newest = (
        Message.objects.filter(conversation=conversation)
        .select_related("author")
        .order_by("-created_at", "-pk")[:limit]
    )
    return list(reversed(newest))


# Replies after which the patient may ask for a nurse: the assistant had no answer.
HANDOFF_OFFER_KINDS = frozenset({Message.Kind.ABSTAIN, Message.Kind.ERROR})


def nurse_offer_open(*, message: Message, earlier: list[Message] | None = None) -> Message | None:
    """The assistant's offer of a nurse that a patient's `message` may be replying to: the last
    reply before it, when that reply offered a nurse and its question was not sent yet.

    `earlier`: `message_history_before(message=message)` if the caller has it (the reply is
    usually among those, which saves a read)."""
    last = next((m for m in reversed(earlier or ()) if m.role != Message.Role.PATIENT), None)
    if last is None and (earlier is None or len(earlier) >= HISTORY_TURNS):
        last = (
            Message.objects.filter(conversation_id=message.conversation_id, pk__lt=message.pk)
            .exclude(role=Message.Role.PATIENT)
            .order_by("-pk")
            .only("pk", "role", "kind", "reply_to_id")
            .first()
        )
    if last is None or last.role != Message.Role.ASSISTANT or last.kind not in HANDOFF_OFFER_KINDS:
        return None
    offer = Message.objects.select_related("reply_to").get(pk=last.pk)
    if offer.reply_to is not None and (offer.reply_to.meta or {}).get("handoff_requested_at"):
        return None
    return offer


def message_history_before(*, message: Message, limit: int = HISTORY_TURNS) -> list[Message]:
    """The messages that came before `message` in its conversation (context for the answer),
    oldest first."""
    earlier = (
        Message.objects.filter(conversation_id=message.conversation_id, pk__lt=message.pk)
        .order_by("-pk")
        .only("role", "kind", "text", "reply_to_id")[:limit]
    )
    return list(reversed(earlier))


def message_get_in_conversation(*, conversation: Conversation, message_id: int) -> Message | None:
    return (
        Message.objects.select_related("author", "conversation")
        .filter(pk=message_id, conversation=conversation)
        .first()
    )


def message_get_for_user(*, user, message_id: int) -> Message | None:
    """A message of one of `user`'s own conversations, or None."""
    patient = patient_for_user(user)
    if patient is None:
        return None
    return (
        Message.objects.select_related("conversation", "author")
        .filter(pk=message_id, conversation__patient=patient)
        .first()
    )


def message_by_client_id(*, conversation: Conversation, client_id: str) -> Message | None:
    return Message.objects.filter(conversation=conversation, client_id=client_id).first()


def message_answer_for(*, message: Message) -> Message | None:
    """The reply saved for a patient message (assistant answer or error notice), if any."""
    return (
        Message.objects.select_related("author")
        .filter(reply_to=message)
        .exclude(role=Message.Role.PATIENT)
        .order_by("pk")
        .first()
    )


def messages_pending_before(*, conversation: Conversation, before: datetime) -> list[int]:
    """Ids of patient messages still waiting for an answer that were saved before `before`."""
    return list(
        Message.objects.filter(
            conversation=conversation,
            role=Message.Role.PATIENT,
            answer_state=Message.AnswerState.PENDING,
            created_at__lt=before,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def messages_pending(*, conversation: Conversation | None = None) -> QuerySet[Message]:
    """Patient messages still waiting for an answer (in one conversation, or anywhere)."""
    pending = Message.objects.filter(
        role=Message.Role.PATIENT, answer_state=Message.AnswerState.PENDING
    )
    return pending if conversation is None else pending.filter(conversation=conversation)


def patient_messages_since(*, user, since: datetime) -> list[datetime]:
    """When `user` sent each of their chat messages since `since` (for the rate limit)."""
    return list(
        Message.objects.filter(author=user, role=Message.Role.PATIENT, created_at__gte=since)
        .order_by("created_at")
        .values_list("created_at", flat=True)
    )


def escalation_unresolved(*, conversation: Conversation) -> Escalation | None:
    """The conversation's unresolved escalation (at most one), if a nurse is handling or about
    to handle it."""
    return (
        Escalation.objects.filter(conversation=conversation)
        .exclude(status=Escalation.Status.RESOLVED)
        .only("pk", "level", "status", "conversation_id")
        .first()
    )


def escalation_states(*, conversation: Conversation) -> list[Escalation]:
    """Every escalation of the conversation (pk, level and status only; there are few)."""
    return list(
        Escalation.objects.filter(conversation=conversation).only(
            "pk", "level", "status", "conversation_id"
        )
    )


def escalation_current(*, conversation: Conversation) -> Escalation | None:
    """The escalation whose status the patient should see: the unresolved one, else the latest."""
    base = Escalation.objects.select_related("claimed_by", "resolved_by").filter(
        conversation=conversation
    )
    return (
        base.exclude(status=Escalation.Status.RESOLVED).first()
        or base.order_by("-created_at", "-pk").first()
    )


def escalation_get_in_conversation(
    *, conversation_id: int, escalation_id: int
) -> Escalation | None:
    return (
        Escalation.objects.select_related("claimed_by", "resolved_by")
        .filter(pk=escalation_id, conversation_id=conversation_id)
        .first()
    )


def escalation_last_nurse_reply(*, escalation: Escalation) -> Message | None:
    """The latest nurse reply in the escalation's conversation since it was opened."""
    return (
        Message.objects.select_related("author")
        .filter(
            conversation_id=escalation.conversation_id,
            role=Message.Role.NURSE,
            created_at__gte=escalation.created_at,
        )
        .order_by("-created_at", "-pk")
        .first()
    )


def feedback_by_message(*, user, message_ids: Iterable[int]) -> dict[int, Feedback]:
    """`user`'s feedback on each of `message_ids` that has some."""
    rows = Feedback.objects.filter(user=user, message_id__in=list(message_ids))
    return {f.message_id: f for f in rows}

"""Writes of the patient chat: receive a message, answer it, record feedback, hand off to nurses.

Order of things, always: save to the database first, then (on commit) enqueue work and notify the
open pages. Services assume their input was validated by the view or consumer that calls them.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

# The module, not its names: tests and the process wiring swap its factories.
from knowledge import wiring
from portal.models import Patient

from . import escalation, events, handoff, ratelimit, selectors
from .answer import courtesy, llm
from .answer.pipeline import answer_question
from .answer.types import Answer, PatientContext
from .context import patient_context
from .delivery import answer_enqueue, answer_failed, lock_pending
from .inbox import services as inbox_services
from .models import Conversation, Escalation, Feedback, KnowledgeGap, Message

log = logging.getLogger(__name__)

TITLE_CHARS = 80

ANSWER_KINDS = {
    "answer": Message.Kind.ANSWER,
    "record": Message.Kind.RECORD,
    "abstain": Message.Kind.ABSTAIN,
    "safety": Message.Kind.SAFETY,
    "handoff": Message.Kind.HANDOFF,
    "courtesy": Message.Kind.COURTESY,
}

HANDOFF_TEXT = (
    "Your question was sent to your care team. A nurse will reply in this conversation. "
    "If you feel worse or think it is an emergency, call 911."
)


# --- conversations ---------------------------------------------------------------------------


def conversation_start(*, patient: Patient) -> Conversation:
    return Conversation.objects.create(patient=patient)


def conversation_resume_or_start(*, patient: Patient) -> Conversation:
    """The patient's most recent conversation, or a new one if they have none."""
    return selectors.conversation_latest_for_patient(patient=patient) or conversation_start(
        patient=patient
    )


# --- receiving -------------------------------------------------------------------------------

CONTROL_CHARS_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def clean_text(text: str) -> str:
    """Text as every entry point stores it: line ends unified, control characters dropped,
    trimmed (the gate's own normalisation of Unicode happens when it reads it)."""
    return CONTROL_CHARS_RE.sub("", text.replace("\r\n", "\n")).strip()


@dataclass(frozen=True)
class Submission:
    """What became of a patient's message: stored (new, or found again by its client_id), or
    refused ("empty", "too_long", "rate_limited") with what the sender needs to know."""

    message: Message | None
    created: bool = False
    refused: str = ""
    retry_after: int = 0  # seconds, when rate-limited
    limit: int = 0  # characters allowed, when too long
    length: int = 0  # characters sent, when too long


def message_submit(
    *, conversation: Conversation, user, text: str, client_id: str, origin_channel: str = ""
) -> Submission:
    """The receive policy of every entry point (the page's form, the socket, the API): the text
    cleaned and checked, a resend found by its client_id (never rate-limited: it is the same
    message), the patient's rate limit, then `message_receive`."""
    text = clean_text(text)
    limit = settings.CHAT_MAX_MESSAGE_CHARS
    if not text:
        return Submission(None, refused="empty")
    if len(text) > limit:
        return Submission(None, refused="too_long", limit=limit, length=len(text))
    existing = selectors.message_by_client_id(conversation=conversation, client_id=client_id)
    if existing is not None:
        return Submission(existing)
    allowed = ratelimit.message_rate_check(user=user)
    if not allowed.allowed:
        return Submission(None, refused="rate_limited", retry_after=allowed.retry_after)
    message, created = _message_save(
        conversation=conversation,
        user=user,
        text=text,
        client_id=client_id,
        origin_channel=origin_channel,
    )
    return Submission(message, created=created)


def message_receive(
    *,
    conversation: Conversation,
    user,
    text: str,
    client_id: str,
    origin_channel: str = "",
) -> tuple[Message, bool]:
    """Save a patient message (idempotent on `client_id`) and, after the commit, announce it and
    enqueue its answer. Returns (message, created): a resend returns the stored message.

    `origin_channel` is the socket that sent it: it acknowledges directly, so the group
    notification skips it.
    """
    existing = selectors.message_by_client_id(conversation=conversation, client_id=client_id)
    if existing is not None:
        return existing, False
    return _message_save(
        conversation=conversation,
        user=user,
        text=text,
        client_id=client_id,
        origin_channel=origin_channel,
    )


def _message_save(
    *, conversation: Conversation, user, text: str, client_id: str, origin_channel: str
) -> tuple[Message, bool]:
    """`message_receive` once no stored message has this client_id (a race is still caught)."""
    # The gate first: pure and cheap. Its decision is kept with the message, so that the answer
    # step (another process, maybe later) goes on from it rather than classifying again.
    decision = escalation.classify(text)
    with transaction.atomic():
        try:
            with transaction.atomic():  # a savepoint: a lost race must not poison the outer block
                message = Message.objects.create(
                    conversation=conversation,
                    role=Message.Role.PATIENT,
                    kind=Message.Kind.QUESTION,
                    author=user,
                    text=text,
                    client_id=client_id,
                    answer_state=Message.AnswerState.PENDING,
                    meta={"gate": decision.to_dict()},
                )
        except IntegrityError:  # the same client_id arrived twice at once: the first one won
            return selectors.message_by_client_id(
                conversation=conversation, client_id=client_id
            ), False
        _conversation_touch(conversation=conversation, first_text=text)
        _tell_care_team(conversation=conversation, message=message)
        announce = {
            "type": "chat.message",
            "message_id": message.pk,
            "skip_channel": origin_channel,
        }
        events.send_on_commit(events.conversation_group(conversation.pk), announce)
        # The gate is pure and cheap: an emergency or urgent message opens its escalation, and
        # gets its instructions, in the transaction that saves it. No lost task, broker outage
        # or failing answer step can then leave it unseen by the care team or the patient.
        if _gate_at_receive(message=message, decision=decision, skip_channel=origin_channel):
            return message, True
        # The answer is coming: the conversation's other pages show "thinking" on the same event
        # (sent at the commit, so it still takes this; one channel-layer send per message, not two).
        announce["thinking_client_id"] = client_id
        transaction.on_commit(functools.partial(answer_enqueue, message.pk))
    return message, True


class _GateOnlyRetriever:
    """The pipeline's gated answers never search; anything else is not for the receive path."""

    def search(self, query, *, k=10, topics=()):
        raise _NotGated


class _NotGated(Exception):
    pass


def _gate_answer(text: str, decision):
    """The pipeline's own reply to an escalated message (emergency instructions, or the urgent
    hand-off text), computed without the record or the index; None if it would need them."""

    try:
        answer = answer_question(
            text=text,
            patient=PatientContext(),
            retriever=_GateOnlyRetriever(),
            decision=decision,
            reply_target_minutes=settings.ESCALATION_TARGET_MINUTES,
        )
    except Exception:
        log.exception("the gated answer could not be built for %r", decision.rule_id)
        answer = None
    if answer is not None and answer.escalate and answer.kind in ("safety", "handoff"):
        return answer
    if decision.level == Escalation.Level.EMERGENCY and decision.instructions:
        # What the pipeline says to an emergency: the rule's instructions and nothing else.
        return Answer(
            kind="safety",
            text=decision.instructions,
            citations=[],
            decision=decision,
            escalate=True,
            level=decision.level,
            meta={"rule_id": decision.rule_id},
        )
    return None


def _gate_at_receive(*, message: Message, decision, skip_channel: str) -> Message | None:
    """Act on the gate's decision about a message being saved. For an emergency or urgent one,
    open (or join and raise) the escalation and save the gate's reply; returns that reply, or
    None when the message is routine (or its reply must come from the answer task)."""
    if not decision.escalates or decision.level not in Escalation.PRIORITY:
        return None
    answer = _gate_answer(message.text, decision)
    reply = None
    if answer is not None:
        reply = _reply_record(
            message=message, answer=answer, skip_channel=skip_channel, open_escalation=False
        )
    _escalation_open_for(message=message, decision=decision, level=decision.level)
    return reply


def _escalation_open_for(*, message: Message, decision, level: str) -> Escalation:
    return handoff.escalation_open(
        conversation=message.conversation,
        message=message,
        level=level,
        rule_id=getattr(decision, "rule_id", "") or "",
        rule_title=getattr(decision, "rule_title", "") or "",
        matched=tuple(getattr(decision, "matched", ()) or ()),
        reason=getattr(decision, "rationale", "") or "",
        triage=_jsonable(decision.explanation()) if hasattr(decision, "explanation") else None,
    )


def _tell_care_team(*, conversation: Conversation, message: Message) -> None:
    """A patient writing in a handed-off thread is seen in the nurse inbox: a reply to the
    care team in a resolved thread reopens it (a courtesy like "thank you" does not), and the
    queue row of an unresolved one shows that the patient wrote."""
    # One read for the common case, a thread that never escalated: nothing to tell or reopen.
    escalations = selectors.escalation_states(conversation=conversation)
    if not escalations:
        return
    unresolved = next((e for e in escalations if e.status != Escalation.Status.RESOLVED), None)
    if unresolved is not None:
        events.send_on_commit(
            events.INBOX_GROUP,
            {"type": "inbox.changed", "escalation_id": unresolved.pk, "level": unresolved.level},
        )
    elif courtesy.courtesy_of(message.text) is None:
        inbox_services.escalation_reopen_if_resolved(conversation=conversation, message=message)


def _conversation_touch(*, conversation: Conversation, first_text: str) -> None:
    updates: dict[str, Any] = {"updated_at": timezone.now()}
    if not conversation.title:
        title = " ".join(first_text.split())
        updates["title"] = title if len(title) <= TITLE_CHARS else title[: TITLE_CHARS - 1] + "…"
        conversation.title = updates["title"]
    # update() and not save(): concurrent answers must not overwrite each other's fields.
    Conversation.objects.filter(pk=conversation.pk).update(**updates)


# --- answering -------------------------------------------------------------------------------


@functools.cache
def composer_from_settings():
    """The LLM composer when LLM_PROVIDER and LLM_MODEL are set, else None (offline composer)."""
    if not (settings.LLM_PROVIDER and settings.LLM_MODEL):
        return None

    return llm.llm_composer_from_env(
        settings.LLM_PROVIDER,
        settings.LLM_MODEL,
        timeout_seconds=settings.LLM_TIMEOUT_SECONDS,
        max_attempts=settings.LLM_MAX_ATTEMPTS,
    )


@functools.cache
def triage_from_settings():
    """The LLM second opinion on the gate when an LLM is configured (and LLM_TRIAGE is on)."""
    if not (settings.LLM_PROVIDER and settings.LLM_MODEL and settings.LLM_TRIAGE):
        return None

    chat_model = llm.chat_model_from_env(
        settings.LLM_PROVIDER, settings.LLM_MODEL, timeout_seconds=settings.LLM_TIMEOUT_SECONDS
    )
    if chat_model is None:
        return None
    return llm.LLMTriage(
        chat_model,
        timeout_seconds=settings.LLM_TIMEOUT_SECONDS,
        max_attempts=settings.LLM_MAX_ATTEMPTS,
    )


def _retriever():

    return wiring.get_retriever()


def _history_of(earlier: list[Message]) -> tuple[tuple[str, str], ...]:
    """Earlier turns of the conversation as (role, text) pairs, oldest first."""
    return tuple((m.role, m.text) for m in earlier if m.kind != Message.Kind.ERROR)


def message_answer(*, message_id: int) -> Message | None:
    """Answer one patient message; idempotent (an answered message is left alone).

    The pipeline runs outside any transaction (an LLM call is network I/O); the result is saved
    under a row lock so that two deliveries of the same task can never both save an answer.
    """

    message = (
        Message.objects.select_related("conversation__patient")
        .filter(pk=message_id, role=Message.Role.PATIENT)
        .first()
    )
    if message is None:
        log.warning("answer requested for unknown patient message %s", message_id)
        return None
    if message.answer_state != Message.AnswerState.PENDING:
        return None
    earlier = selectors.message_history_before(message=message)
    offer = selectors.nurse_offer_open(message=message, earlier=earlier)
    try:
        answer = answer_question(
            text=message.text,
            patient=patient_context(message.conversation.patient),
            retriever=_retriever(),
            history=_history_of(earlier),
            composer=composer_from_settings(),
            care_team_active=selectors.escalation_unresolved(conversation=message.conversation)
            is not None,
            nurse_offered=offer is not None,
            second_opinion=triage_from_settings(),
            reply_target_minutes=settings.ESCALATION_TARGET_MINUTES,
            # The gate's decision made when the message was received (None: classify now).
            decision=escalation.Decision.from_dict((message.meta or {}).get("gate")),
        )
    except Exception:
        log.exception("the answer pipeline failed for message %s", message_id)
        return answer_failed(message_id=message_id)
    if answer.kind == "accept_offer" and offer is not None:
        return _offer_accept(message_id=message_id, offer=offer)
    return _answer_save(message_id=message_id, answer=answer)


@transaction.atomic
def _offer_accept(*, message_id: int, offer: Message) -> Message | None:
    """The patient said "yes" to the assistant's offer of a nurse: send the offered question to
    the care team, as the offer's button does; the hand-off notice is the reply to the "yes"."""
    message = lock_pending(message_id)
    if message is None:
        return None
    message.answer_state = Message.AnswerState.ANSWERED
    message.save(update_fields=["answer_state"])
    handoff_request(conversation=message.conversation, message=offer, acknowledge=message)
    return Message.objects.filter(reply_to=message, kind=Message.Kind.HANDOFF).first()


@transaction.atomic
def _answer_save(*, message_id: int, answer) -> Message | None:
    message = lock_pending(message_id)
    if message is None:  # another delivery of this task answered first
        return None
    return _reply_record(message=message, answer=answer)


def _reply_record(
    *, message: Message, answer, skip_channel: str = "", open_escalation: bool = True
) -> Message:
    """Save `answer` as the reply to `message` (locked or just created, in a transaction)."""
    decision = answer.decision
    level = answer.level or getattr(decision, "level", "") or ""
    reply = Message.objects.create(
        conversation=message.conversation,
        role=Message.Role.ASSISTANT,
        kind=ANSWER_KINDS.get(answer.kind, Message.Kind.ANSWER),
        text=answer.text,
        reply_to=message,
        citations=[_citation_json(c) for c in answer.citations],
        meta=_jsonable(
            {
                "level": level,
                "escalate": bool(answer.escalate),
                "decision": _decision_json(decision),
                **(answer.meta or {}),
            }
        ),
    )
    message.answer_state = Message.AnswerState.ANSWERED
    message.save(update_fields=["answer_state"])
    Conversation.objects.filter(pk=message.conversation_id).update(updated_at=timezone.now())
    # The answer first, then the hand-off status: the page shows them in that order.
    events.send_on_commit(
        events.conversation_group(message.conversation_id),
        {"type": "chat.message", "message_id": reply.pk, "skip_channel": skip_channel},
    )
    if open_escalation and answer.escalate and level in Escalation.PRIORITY:
        _escalation_open_for(message=message, decision=decision, level=level)
    if answer.kind == "abstain":
        KnowledgeGap.objects.get_or_create(
            message=message,
            defaults={
                "question": message.text,
                "best_score": _float_or_none((answer.meta or {}).get("best_score")),
                "topics": list((answer.meta or {}).get("topics", [])),
            },
        )
    return reply


def _citation_json(citation) -> dict[str, Any]:
    get = citation.get if isinstance(citation, dict) else functools.partial(getattr, citation)
    question = get("question", "") or ""
    return {
        "n": get("n", None),
        "section_id": get("section_id", ""),
        "version": get("version", None),
        "title": get("title", "") or question,
        "question": question,
        "focus": get("focus", "") or "",
        "source": get("source", "") or "",
        "url": get("url", "") or "",
        "text": get("text", "") or "",
        "kind": get("kind", "section") or "section",
    }


def _decision_json(decision) -> dict[str, Any]:
    if decision is None:
        return {}
    if isinstance(decision, escalation.Decision):
        return decision.to_dict()
    return {
        k: getattr(decision, k, None)
        for k in ("level", "rule_id", "rule_title", "matched", "rationale", "category")
    }


def _jsonable(value: Any) -> Any:
    """Pipeline metadata may hold numpy floats or tuples: store what JSON can hold."""

    def default(obj):
        if hasattr(obj, "item"):  # numpy scalars
            return obj.item()
        if dataclasses.is_dataclass(obj):
            return dataclasses.asdict(obj)
        if isinstance(obj, set | frozenset):
            return sorted(obj)
        return str(obj)

    return json.loads(json.dumps(value, default=default))


def _float_or_none(value) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


# --- feedback and hand-off -------------------------------------------------------------------


def feedback_record(*, user, message: Message, helpful: bool, comment: str = "") -> Feedback:
    """One rating per user per message; rating again changes it."""
    try:
        feedback, _ = Feedback.objects.update_or_create(
            message=message, user=user, defaults={"helpful": helpful, "comment": comment}
        )
    except IntegrityError:  # two tabs rated at once: the row exists now, update it
        feedback = Feedback.objects.get(message=message, user=user)
        feedback.helpful, feedback.comment = helpful, comment
        feedback.save(update_fields=["helpful", "comment", "updated_at"])
    return feedback


@transaction.atomic
def handoff_request(
    *, conversation: Conversation, message: Message, acknowledge: Message | None = None
) -> Escalation:
    """The patient asked to send a question the assistant could not answer to the care team.

    `message` is the patient's question or the reply that could not answer it. Asking twice for
    the same question opens nothing new. `acknowledge`: the patient's message that asked (a
    "yes" to the offer), which the hand-off notice then replies to, even on a second asking.
    """
    question = message.reply_to if message.role != Message.Role.PATIENT else message
    question = question or message
    question = Message.objects.select_for_update().get(pk=question.pk)
    already = bool((question.meta or {}).get("handoff_requested_at"))
    esc = handoff.escalation_open(
        conversation=conversation,
        message=question,
        level=Escalation.Level.ROUTINE,
        rule_id="patient_request",
        rule_title="Patient asked for a nurse",
        reason="The assistant could not answer; the patient asked for the care team to reply.",
    )
    if not already:
        question.meta = {
            **(question.meta or {}),
            "handoff_requested_at": timezone.now().isoformat(),
        }
        question.save(update_fields=["meta"])
    if not already or acknowledge is not None:
        notice = Message.objects.create(
            conversation=conversation,
            role=Message.Role.SYSTEM,
            kind=Message.Kind.HANDOFF,
            text=HANDOFF_TEXT,
            reply_to=acknowledge or question,
        )
        events.send_on_commit(
            events.conversation_group(conversation.pk),
            {"type": "chat.message", "message_id": notice.pk},
        )
    return esc

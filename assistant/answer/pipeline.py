"""From one patient message to one answer: the answer pipeline.

Pure Python (no ORM, Channels or Celery): the caller loads the record into a `PatientContext`,
passes a retriever over approved content and, optionally, an LLM composer, and saves what comes
back. The steps, in an order nothing in the message can change:

1. **Escalation gate, first, on the raw text** (`assistant.escalation.classify`). An emergency
   gets the emergency instructions and nothing else (no retrieved content that could distract or
   reassure); an urgent message is handed to the care team. Later steps only ever run for routine
   messages, and the level they return is the gate's: no wording ("ignore your rules", "this is
   not an emergency") can lower it, because the gate has already decided before anything reads
   the message for meaning.
2. **Courtesies** ("thank you", "hi", "ok", "bye", and nothing more) get a short reply
   (`assistant.answer.courtesy`), not a search that could only fail. In a conversation a nurse is
   handling (`care_team_active`), that reply and any abstention say that the nurse sees it,
   instead of offering a nurse. A plain "yes" just after the assistant offered a nurse
   (`nurse_offered`) accepts the offer: the answer's kind is "accept_offer" and the caller sends
   the offered question to the care team, as the offer's button does.
3. **Questions about the patient's own record** ("what medicines am I on?", "what are my next
   steps?", "what screenings am I due for?") are answered from the record, with related
   approved education content cited (`assistant.answer.record_answers`).
4. **Everything else: approved content, personalised.** "My diagnosis" / "my condition" is
   rewritten with the patient's condition names, and the names steer the ranking (`topics=`).
5. **Abstain** when nothing approved answers well (`judge_relevance`): the retriever's best
   semantic similarity is below the calibrated `MIN_SIMILARITY`, or no topic word of the question
   occurs in the top passages (with a lexical-only retriever: too little of the question's words,
   `MIN_QUESTION_COVERAGE` / `MIN_KEY_COVERAGE`), or no sentence of them speaks to it. The
   answer says so plainly and offers a nurse; `meta["best_score"]` lets the caller record a
   knowledge gap.
6. **Composition**: extractive by default (`assistant.answer.compose`); an LLM composer when
   given, whose every sentence is checked against the passages it cites (`assistant.answer.llm`).
7. **Final safety check** on the outgoing text (`assistant.answer.safety`): dosing instructions and
   statements diagnosing the patient are removed; if nothing useful remains, abstain.

Automated-assistant disclosure: the chat page always shows a banner. The text adds one short line
("I'm the portal's automated assistant ...") only where it matters: in the first reply of a
conversation, and whenever the reply offers or announces a person (abstain, hand-off), so the
patient knows who they are talking to at the moment they decide whether to ask a human. Repeating
it in every answer would only push the content down. Emergency instructions carry no extra line:
nothing may dilute them.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Mapping, Sequence
from typing import Any

from assistant import escalation
from assistant.answer import courtesy, intents, record_answers, safety
from assistant.answer.compose import Composer
from assistant.answer.grounding import ground, section_citation, turns_of
from assistant.answer.types import Answer, Citation, PatientContext, SecondOpinion
from assistant.escalation.second_opinion import raise_with
from knowledge.passages import Retriever
from knowledge.sources import publishers_in_sentence

log = logging.getLogger(__name__)

DEFAULT_REPLY_TARGET_MINUTES = {"emergency": 5, "urgent": 240, "routine": 24 * 60}

AUTOMATED_LINE = "I'm the portal's automated assistant."
ABSTAIN_TEXT = (
    "I don't have approved information that answers this well, and I'd rather not guess. "
    "I can send your question to a nurse on your care team, who will reply here."
)
# The same, in a conversation a nurse is already handling (see `answer_question`).
ABSTAIN_WITH_NURSE_TEXT = (
    "I don't have approved information that answers this well, and I'd rather not guess. "
    "The nurse handling your conversation sees this question and will reply here."
)


# ------------------------------------------------------------------------------ helpers


def _is_first_reply(history: Sequence[Any]) -> bool:
    return not any(role == "assistant" for role, _ in turns_of(history))


def _with_disclosure(text: str, *, first: bool, always: bool = False) -> str:
    return f"{AUTOMATED_LINE} {text}" if (first or always) else text


def general_information_note(sources: Sequence[str]) -> str:
    return (
        f"This is general information from {publishers_in_sentence(sources)}, not advice for "
        "your own situation. Your care team can tell you what it means for you."
    )


def _format_wait(minutes: int) -> str:
    if minutes < 60:
        return f"{minutes} minutes"
    if minutes < 24 * 60:
        hours = round(minutes / 60)
        return "1 hour" if hours == 1 else f"{hours} hours"
    days = round(minutes / (24 * 60))
    return "1 day" if days == 1 else f"{days} days"


def _reply_targets(overrides: Mapping[str, int] | None) -> Mapping[str, int]:
    # The caller passes the site's configured targets; the pipeline reads no settings itself.
    return DEFAULT_REPLY_TARGET_MINUTES if overrides is None else overrides


def _rule_citation(n: int, source: record_answers.RuleSource) -> Citation:
    return Citation(
        n=n,
        section_id=source.key,
        version=source.year,
        title=source.name,
        focus=source.title,
        source=source.organisation,
        url=source.url,
        text=source.text,
        kind="rule",
    )


_MARKER_RE = re.compile(r"(\s?)\[(\d+)\]")


def _renumber(text: str, cited: Sequence[Any]) -> tuple[str, list[Any]]:
    """Renumber [n] markers 1, 2, ... in order of appearance; drop items no longer cited
    (a sentence removed by the safety check takes its markers with it)."""
    mapping: dict[int, int] = {}
    kept: list[Any] = []

    def replace(match: re.Match[str]) -> str:
        old = int(match.group(2))
        if not 1 <= old <= len(cited):
            return ""
        if old not in mapping:
            kept.append(cited[old - 1])
            mapping[old] = len(kept)
        return f"{match.group(1)}[{mapping[old]}]"

    return _MARKER_RE.sub(replace, text), kept


def _abstain(
    *,
    decision: Any,
    first: bool,
    reason: str,
    best_score: float | None,
    topics: Sequence[str],
    meta: dict[str, Any],
    care_team_active: bool,
) -> Answer:
    text = ABSTAIN_WITH_NURSE_TEXT if care_team_active else ABSTAIN_TEXT
    return Answer(
        kind="abstain",
        text=_with_disclosure(text, first=first, always=True),
        citations=[],
        decision=decision,
        escalate=False,
        level="routine",
        meta={
            **meta,
            "abstain_reason": reason,
            "best_score": best_score,
            "topics": list(topics),
            "offer_nurse": True,
        },
    )


def _courtesy_answer(
    kind: courtesy.Courtesy, *, decision: Any, first: bool, care_team_active: bool
) -> Answer:
    """A short reply to "thank you", "hi", "ok" or "bye": nothing to search, nothing to cite.
    The first reply of a conversation still says who is talking."""
    return Answer(
        kind="courtesy",
        text=courtesy.courtesy_reply(
            kind, care_team_active=care_team_active, disclosure=AUTOMATED_LINE if first else ""
        ),
        citations=[],
        decision=decision,
        escalate=False,
        level="routine",
        meta={"courtesy": kind.value},
    )


# ------------------------------------------------------------------------------ the steps


def _gate_answer(decision: Any, *, reply_target_minutes: Mapping[str, int] | None) -> Answer | None:
    level = getattr(decision, "level", "routine")
    if level == "emergency":
        return Answer(
            kind="safety",
            text=decision.instructions,
            citations=[],
            decision=decision,
            escalate=True,
            level="emergency",
            meta={"rule_id": decision.rule_id},
        )
    if level == "urgent":
        wait = _format_wait(int(_reply_targets(reply_target_minutes).get("urgent", 240)))
        instructions = (decision.instructions or "").strip()
        if "sent this to your care team" in instructions.lower():
            # The rule's reviewed text already says it was sent and when to expect a reply.
            text = f"{AUTOMATED_LINE} {instructions}"
        else:
            text = (
                f"{AUTOMATED_LINE} I've sent this to your care team. A nurse will reply here, "
                f"usually within {wait}. If it gets worse before then: {instructions}"
            ).strip()
        return Answer(
            kind="handoff",
            text=text,
            citations=[],
            decision=decision,
            escalate=True,
            level="urgent",
            meta={"rule_id": decision.rule_id, "reply_within": wait},
        )
    return None


def _record_answer(
    intent: intents.Intent, *, text: str, patient: PatientContext, retriever: Retriever
) -> record_answers.RecordReply:
    if intent is intents.Intent.MEDICATIONS:
        return record_answers.medications_reply(patient=patient, retriever=retriever)
    if intent is intents.Intent.CONDITIONS:
        return record_answers.conditions_reply(patient=patient, retriever=retriever)
    if intent is intents.Intent.NEXT_STEPS:
        return record_answers.next_steps_reply(patient=patient, retriever=retriever)
    if intent is intents.Intent.ALLERGIES:
        return record_answers.allergies_reply(patient=patient, retriever=retriever)
    return record_answers.preventive_reply(patient=patient, retriever=retriever, question=text)


def _finish_record(
    reply: record_answers.RecordReply, *, decision: Any, first: bool, intent: str
) -> Answer:
    checked = safety.check_lines(reply.text)
    text, cited = _renumber("\n".join(checked.kept).strip(), reply.cited)
    citations = [
        _rule_citation(i, item)
        if isinstance(item, record_answers.RuleSource)
        else section_citation(i, item)
        for i, item in enumerate(cited, start=1)
    ]
    sources = [c.source for c in citations if c.kind == "section"]
    if sources:
        text += (
            f"\nThe linked pages are general information from {publishers_in_sentence(sources)}, "
            "not advice for your own situation."
        )
    offer_nurse = bool(reply.meta.get("offer_nurse"))
    return Answer(
        kind="record",
        text=_with_disclosure(text, first=first, always=offer_nurse),
        citations=citations,
        decision=decision,
        escalate=False,
        level="routine",
        meta={
            **reply.meta,
            "intent": intent,
            "safety_removed": [r.reason for r in checked.removed],
        },
    )


def _content_answer(
    *,
    text: str,
    patient: PatientContext,
    retriever: Retriever,
    history: Sequence[Any],
    composer: Composer | None,
    decision: Any,
    first: bool,
    timings: dict[str, float],
    care_team_active: bool,
) -> Answer:
    grounded = ground(
        text=text,
        conditions=patient.conditions,
        retriever=retriever,
        composer=composer,
        history=history,
        private_terms=patient.private_terms,
    )
    meta = dict(grounded.meta)
    for key in ("retrieval_ms", "compose_ms"):
        if key in meta:
            timings[key] = meta.pop(key)
    meta["intent"] = "general"
    if grounded.abstain:
        return _abstain(
            decision=decision,
            first=first,
            reason=grounded.abstain,
            best_score=grounded.best_score,
            topics=grounded.topics,
            meta=meta,
            care_team_active=care_team_active,
        )
    note = general_information_note([c.source for c in grounded.citations])
    return Answer(
        kind="answer",
        text=_with_disclosure(f"{grounded.body}\n{note}", first=first),
        citations=grounded.citations,
        decision=decision,
        escalate=False,
        level="routine",
        meta=meta,
    )


def _decide(text: str, decision: Any, second_opinion: SecondOpinion | None) -> Any:
    """The gate's decision (the caller's, or classified now), raised by a second opinion when
    one is given and the gate did not already call an emergency."""
    if decision is None:
        decision = escalation.classify(text)
    if second_opinion is not None and decision.level != "emergency":
        decision = raise_with(
            decision, second_opinion.assess(text), text=text, source=second_opinion.name
        )
    return decision


def answer_question(
    *,
    text: str,
    patient: PatientContext,
    retriever: Retriever,
    history: Sequence[Any] = (),
    composer: Composer | None = None,
    reply_target_minutes: Mapping[str, int] | None = None,
    care_team_active: bool = False,
    nurse_offered: bool = False,
    decision: escalation.Decision | None = None,
    second_opinion: SecondOpinion | None = None,
) -> Answer:
    """Answer one patient message (see the module docstring for the steps).

    `history`: earlier turns, oldest first, as (role, text) pairs (role "patient", "assistant",
    "nurse"...). `composer`: an LLM composer (`assistant.answer.llm.LLMComposer`) or None for the
    extractive one. `reply_target_minutes`: the care team's reply targets by level, used in the
    hand-off message (the site passes settings.ESCALATION_TARGET_MINUTES; defaults otherwise).
    `care_team_active`: a nurse is handling this conversation (an unresolved escalation): the
    replies that would offer a nurse say instead that the nurse sees the conversation.
    `nurse_offered`: the assistant's last reply offered to send the question to a nurse, and it
    was not sent yet; a plain "yes" now accepts that offer.
    `decision`: the gate's decision on `text` when the caller already has it (the receive path
    classifies before saving); the gate is deterministic, so this only saves running it twice.
    `second_opinion`: an LLM triage (`assistant.answer.llm.LLMTriage`) asked about a message the
    gate did not call an emergency; it may raise the level, never lower it, and its failure
    changes nothing.
    """
    started = time.perf_counter()
    decision = _decide(text, decision, second_opinion)
    gated = _gate_answer(decision, reply_target_minutes=reply_target_minutes)
    if gated is not None:
        gated.meta["total_ms"] = round((time.perf_counter() - started) * 1000, 2)
        return gated

    first = _is_first_reply(history)
    timings: dict[str, float] = {}
    understanding = intents.understand(text)
    kind_of_courtesy = courtesy.courtesy_of(text)
    if nurse_offered and not care_team_active and courtesy.accepts_offer(text):
        answer = Answer(
            kind="accept_offer",
            text="",
            citations=[],
            decision=decision,
            escalate=False,
            level="routine",
        )
    elif kind_of_courtesy is not None:
        answer = _courtesy_answer(
            kind_of_courtesy, decision=decision, first=first, care_team_active=care_team_active
        )
    elif understanding.intent is not intents.Intent.GENERAL:
        reply = _record_answer(
            understanding.intent, text=text, patient=patient, retriever=retriever
        )
        answer = _finish_record(
            reply, decision=decision, first=first, intent=understanding.intent.value
        )
    else:
        answer = _content_answer(
            text=text,
            patient=patient,
            retriever=retriever,
            history=history,
            composer=composer,
            decision=decision,
            first=first,
            timings=timings,
            care_team_active=care_team_active,
        )
    # The gate's verdict stands whatever the later steps produced.
    answer.level = getattr(decision, "level", "routine") or "routine"
    answer.meta.update(timings)
    answer.meta["total_ms"] = round((time.perf_counter() - started) * 1000, 2)
    return answer

"""A reply drafted for the nurse: the assistant's approved content, in a nurse's voice.

The patient's answer pipeline stops at its escalation gate (an escalated message gets safety
instructions, never content), but the nurse answering that same message benefits from the
approved content on it. So the draft runs the same retrieval (knowledge.services.get_retriever)
and the same composer (assistant.answer.compose, or the configured LLM composer) with the same
relevance and safety checks, *without* the gate, and frames the result as a message from the
nurse. It is only ever shown to the nurse, who edits it; nothing here sends anything.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .answer import intents, safety
from .answer.compose import ExtractiveComposer, answer_pool
from .models import Escalation
from .serializers import safe_url

log = logging.getLogger(__name__)

SEARCH_K = 8
COMPOSE_PASSAGES = 4
EMERGENCY_FALLBACK = "If this is happening now, call 911 or go to the nearest emergency room."


@dataclass
class DraftResult:
    text: str
    citations: list[dict[str, Any]]
    meta: dict[str, Any] = field(default_factory=dict)


def _nurse_name(nurse) -> str:
    if nurse is None:
        return ""
    return (getattr(nurse, "first_name", "") or str(nurse)).strip()


def _opening(*, given_name: str, nurse_name: str) -> str:
    hello = f"Hello {given_name}," if given_name else "Hello,"
    me = f"this is {nurse_name} from your care team" if nurse_name else "this is your care team"
    return f"{hello} {me}. I have read your message."


# Sentences of the patient instructions that speak for the assistant's hand-off ("your care team
# has been alerted", "a nurse will reply"): wrong in a message that *is* the care team's reply.
_HANDOFF_SENTENCE_RE = re.compile(
    r"care team|nurse will reply|I've sent|alerted|equipo de atenci|responder", re.IGNORECASE
)


def _nurse_voice(instructions: str) -> str:
    sentences = re.split(r"(?<=[.!?])\s+", instructions.strip())
    return " ".join(s for s in sentences if s and not _HANDOFF_SENTENCE_RE.search(s))


def _safety_lines(esc: Escalation, question: str) -> list[str]:
    """What the nurse will most likely want to repeat first for an emergency or urgent worry:
    the instructions of the rule that fired on the patient's words (the ones they were shown),
    in the nurse's voice. The more severe of the escalation's level and the rules' verdict wins."""
    decision = None
    if question:
        from . import escalation as escalation_rules

        decision = escalation_rules.classify(question)
    decided = getattr(decision, "level", "routine") or "routine"
    level = min((esc.level, decided), key=lambda name: Escalation.PRIORITY.get(name, 2))
    instructions = _nurse_voice(getattr(decision, "instructions", "") or "")
    if level == "emergency":
        return [instructions if decided == "emergency" and instructions else EMERGENCY_FALLBACK]
    if level == "urgent" and instructions:
        return [instructions]
    return []


def _citation(n: int, passage, used: Sequence[str]) -> dict[str, Any]:
    from .answer.pipeline import safe_excerpt

    text = " ".join(s for s in used if not safety.sentence_problem(s)) or safe_excerpt(passage.text)
    return {
        "n": n,
        "section_id": passage.section_id,
        "version": passage.version,
        "title": passage.question,
        "focus": passage.focus,
        "source": passage.source,
        # Only http(s) links reach the nurse's page (an index built before import-time
        # cleaning may still hold another scheme).
        "url": safe_url(passage.url or ""),
        "text": text,
        "kind": "section",
    }


def grounded_paragraph(
    *,
    question: str,
    conditions: Sequence[str],
    retriever,
    composer=None,
    private_terms: Sequence[str] = (),
) -> tuple[str, list[dict[str, Any]], dict[str, Any]]:
    """Approved content on `question` as sentences with [n] markers, and what they cite.

    Empty text when nothing approved is relevant enough: the pipeline's own relevance judgement
    (assistant.answer.pipeline.judge_relevance) decides, so drafts and answers abstain alike.
    Identifiers are removed from the question before it is searched or sent to a composer.
    """
    from .answer.pipeline import judge_relevance, redact_identifiers

    meta: dict[str, Any] = {}
    cleaned = re.sub(
        r"\s*\[redacted\]\s*", " ", redact_identifiers(question, private_terms)
    ).strip()
    query, used_conditions = intents.resolve_own_condition(cleaned, conditions)
    topics = intents.condition_topics(conditions)
    started = time.perf_counter()
    passages = retriever.search(query, k=SEARCH_K, topics=tuple(topics))
    meta["retrieval_ms"] = round((time.perf_counter() - started) * 1000, 2)
    meta["query"] = query
    meta["best_score"] = passages[0].score if passages else None
    verdict = judge_relevance(query, passages)
    meta.update(verdict.meta())
    if verdict.reason:
        meta["no_content"] = verdict.reason
        return "", [], meta
    pool = answer_pool(passages, COMPOSE_PASSAGES)
    chosen = composer or ExtractiveComposer()
    try:
        composition = chosen.compose(
            question=cleaned,
            query=query,
            passages=pool,
            conditions=used_conditions or topics,
        )
    except Exception as exc:  # a model outage falls back to the offline composer
        log.warning("draft composer failed, using the extractive one: %s", exc)
        composition = ExtractiveComposer().compose(
            question=cleaned, query=query, passages=pool, conditions=used_conditions or topics
        )
        meta["composer_error"] = type(exc).__name__
    meta["composer"] = composition.composer
    checked = safety.filter_sentences(s.text for s in composition.statements)
    removed = {r.sentence for r in checked.removed}
    numbers: dict[int, int] = {}
    used: dict[int, list[str]] = {}
    sentences: list[tuple[str, str]] = []
    for statement in composition.statements:
        if statement.text in removed:
            continue
        markers = []
        for index in statement.sources:
            if 0 <= index < len(pool):
                numbers.setdefault(index, len(numbers) + 1)
                used.setdefault(index, []).append(statement.text)
                markers.append(f"[{numbers[index]}]")
        sentences.append((statement.text, "".join(markers)))
    # A run of sentences from the same source gets its marker once, at the end: easier to edit.
    parts = [
        f"{text} {markers}".strip()
        if i + 1 == len(sentences) or sentences[i + 1][1] != markers
        else text
        for i, (text, markers) in enumerate(sentences)
    ]
    citations = [
        _citation(n, pool[index], used.get(index, ()))
        for index, n in sorted(numbers.items(), key=lambda item: item[1])
    ]
    meta["cited_sections"] = [f"{c['section_id']}@{c['version']}" for c in citations]
    return " ".join(parts), citations, meta


def compose_draft(
    *, escalation: Escalation, question: str, nurse=None, retriever=None, composer=None
) -> DraftResult:
    """The whole draft: greeting, the rule's safety instructions for emergencies and urgent
    worries, the approved content with citations, and a closing signed by the nurse."""
    from .context import patient_context

    patient = escalation.conversation.patient
    if retriever is None:
        from knowledge.services import get_retriever

        retriever = get_retriever()
    if composer is None:
        from .services import composer_from_settings

        composer = composer_from_settings()
    context = patient_context(patient)
    body, citations, meta = ("", [], {"no_content": "no_question"})
    if question:
        body, citations, meta = grounded_paragraph(
            question=question,
            conditions=list(context.conditions),
            retriever=retriever,
            composer=composer,
            private_terms=tuple(getattr(context, "private_terms", ()) or ()),
        )
    nurse_name = _nurse_name(nurse)
    paragraphs = [_opening(given_name=patient.given_name, nurse_name=nurse_name)]
    paragraphs.extend(_safety_lines(escalation, question))
    if body:
        paragraphs.append(body)
    paragraphs.append("Please reply here if anything changes or you have more questions.")
    if nurse_name:
        paragraphs.append(f"— {nurse_name}")
    meta["level"] = escalation.level
    return DraftResult(text="\n\n".join(paragraphs), citations=citations, meta=meta)

"""A reply drafted for the nurse: the assistant's approved content, in a nurse's voice.

The patient's answer pipeline stops at its escalation gate (an escalated message gets safety
instructions, never content), but the nurse answering that same message benefits from the
approved content on it. So the draft runs the patient answer's own grounding path
(`assistant.answer.grounding.ground`: the same retrieval, relevance judgement, composer, safety
check and citations) *without* the gate, and frames the result as a message from the nurse. It
is only ever shown to the nurse, who edits it; nothing here sends anything.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from dataclasses import dataclass, field
from typing import Any

# The module, not its names: tests and the process wiring swap its factories.
from knowledge import wiring
from knowledge.text import split_sentences

from .. import escalation as escalation_rules

# The module, not its names: assistant.services reaches the inbox, which drafts with this.
from .. import services
from ..answer.grounding import ground
from ..context import patient_context
from ..models import Escalation
from ..serializers import safe_url

log = logging.getLogger(__name__)

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
    sentences = [s.text for s in split_sentences(instructions)]
    return " ".join(s for s in sentences if s and not _HANDOFF_SENTENCE_RE.search(s))


def _safety_lines(esc: Escalation, question: str) -> list[str]:
    """What the nurse will most likely want to repeat first for an emergency or urgent worry:
    the instructions of the rule that fired on the patient's words (the ones they were shown),
    in the nurse's voice. The more severe of the escalation's level and the rules' verdict wins."""
    decision = None
    if question:
        decision = escalation_rules.classify(question)
    decided = getattr(decision, "level", "routine") or "routine"
    level = min((esc.level, decided), key=lambda name: Escalation.PRIORITY.get(name, 2))
    instructions = _nurse_voice(getattr(decision, "instructions", "") or "")
    if level == "emergency":
        return [instructions if decided == "emergency" and instructions else EMERGENCY_FALLBACK]
    if level == "urgent" and instructions:
        return [instructions]
    return []


def _citation_dict(citation) -> dict[str, Any]:
    return {
        **dataclasses.asdict(citation),
        # Only http(s) links reach the nurse's page (an index built before import-time cleaning
        # may still hold another scheme).
        "url": safe_url(citation.url or ""),
    }


def compose_draft(
    *, escalation: Escalation, question: str, nurse=None, retriever=None, composer=None
) -> DraftResult:
    """The whole draft: greeting, the rule's safety instructions for emergencies and urgent
    worries, the approved content with citations, and a closing signed by the nurse."""

    patient = escalation.conversation.patient
    if retriever is None:
        retriever = wiring.get_retriever()
    if composer is None:
        composer = services.composer_from_settings()
    context = patient_context(patient)
    body, citations, meta = ("", [], {"no_content": "no_question"})
    if question:
        # The very path the patient's answer takes (same search, relevance judgement,
        # composer, safety check and citations), without the gate and the patient's framing.
        grounded = ground(
            text=question,
            conditions=context.conditions,
            retriever=retriever,
            composer=composer,
            private_terms=context.private_terms,
        )
        body = grounded.body
        citations = [_citation_dict(c) for c in grounded.citations]
        meta = {**grounded.meta, **({"no_content": grounded.abstain} if grounded.abstain else {})}
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

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
from dataclasses import dataclass
from typing import Any

from assistant import escalation
from assistant.answer import courtesy, intents, record_answers, safety
from assistant.answer.compose import (
    ASPECT_TERMS,
    Composer,
    Composition,
    ExtractiveComposer,
    answer_pool,
    content_terms,
    coverage,
    key_terms,
    topical_terms,
)
from assistant.answer.readability import split_sentences
from assistant.answer.types import Answer, Citation, PatientContext, SecondOpinion
from assistant.escalation.second_opinion import raise_with
from knowledge.passages import Passage, Retriever
from knowledge.sources import publishers_in_sentence

log = logging.getLogger(__name__)

# Best semantic similarity (cosine, all-MiniLM-L6-v2) of the question to the top passages'
# curated questions or text below which nothing approved answers it. Calibrated on the hybrid
# retriever over the full corpus: off-topic messages ("best pizza in town", "reset my password",
# "capital of France") reach at most 0.38-0.43, the 60 dev questions (both wordings) at least 0.45
# except one whose judged answers are not in the corpus (0.28). See bench/pipeline_bench.py.
MIN_SIMILARITY = 0.40
SIMILARITY_SIGNALS = ("question", "passage")
# Without similarity signals (a lexical retriever): share of the question's (weighted) content
# words the top passages must contain, and share of the words naming the topic.
MIN_QUESTION_COVERAGE = 0.34
MIN_KEY_COVERAGE = 0.5
SEARCH_K = 8
COMPOSE_PASSAGES = 5
RELEVANCE_PASSAGES = 3
CITATION_TEXT_CHARS = 400

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


def _turns(history: Sequence[Any]) -> list[tuple[str, str]]:
    """History as (role, text) pairs; accepts pairs, mappings or objects with role/text."""
    turns: list[tuple[str, str]] = []
    for turn in history:
        if isinstance(turn, Mapping):
            turns.append((str(turn.get("role", "")), str(turn.get("text", ""))))
        elif isinstance(turn, tuple | list) and len(turn) >= 2:
            turns.append((str(turn[0]), str(turn[1])))
        else:
            turns.append((str(getattr(turn, "role", "")), str(getattr(turn, "text", ""))))
    return turns


def _is_first_reply(history: Sequence[Any]) -> bool:
    return not any(role == "assistant" for role, _ in _turns(history))


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


def safe_excerpt(text: str, *, limit: int = CITATION_TEXT_CHARS) -> str:
    """The first quotable, safety-checked sentences of a passage, up to `limit` characters."""
    kept: list[str] = []
    size = 0
    for sentence in split_sentences(text):
        if sentence.is_fragment or safety.sentence_problem(sentence.text):
            continue
        if size + len(sentence.text) > limit and kept:
            break
        kept.append(sentence.text)
        size += len(sentence.text) + 1
    excerpt = " ".join(kept)
    return excerpt if len(excerpt) <= limit else excerpt[: limit - 1].rsplit(" ", 1)[0] + "…"


def _section_citation(n: int, passage: Passage, *, used: Sequence[str] = ()) -> Citation:
    text = " ".join(s for s in used if not safety.sentence_problem(s)) or safe_excerpt(passage.text)
    return Citation(
        n=n,
        section_id=passage.section_id,
        version=passage.version,
        title=passage.question,
        focus=passage.focus,
        source=passage.source,
        url=passage.url,
        text=text,
        kind="section",
    )


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

_MONTHS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_IDENTIFIER_RES = (
    re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+"),  # e-mail
    re.compile(r"\b\d{1,4}[/.-]\d{1,2}[/.-]\d{2,4}\b"),  # numeric dates
    re.compile(rf"\b{_MONTHS}\.? \d{{1,2}}(?:st|nd|rd|th)?,? \d{{4}}\b", re.IGNORECASE),
    re.compile(rf"\b\d{{1,2}}(?:st|nd|rd|th)? (?:of )?{_MONTHS},? \d{{4}}\b", re.IGNORECASE),
    re.compile(r"\+?\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}\b"),  # phone numbers
    re.compile(r"\b(?:mrn|ssn|member id|patient id|record number)\W{0,3}[\w-]+", re.IGNORECASE),
    re.compile(r"\b\d{6,}\b"),  # record numbers and other long identifiers
)


def redact_identifiers(text: str, private_terms: Sequence[str] = ()) -> str:
    """`text` without identifiers: the patient's own `private_terms` (name, birth date...) and
    anything shaped like a date, e-mail, phone or record number. Used before an external model
    sees the question."""
    for term in sorted((t for t in private_terms if t and t.strip()), key=len, reverse=True):
        text = re.sub(rf"(?i)\b{re.escape(term.strip())}\b", "[redacted]", text)
    for pattern in _IDENTIFIER_RES:
        text = pattern.sub("[redacted]", text)
    return text


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


# ------------------------------------------------------------------------------ relevance


@dataclass(frozen=True)
class Relevance:
    """Whether the retrieved passages answer the question, and the evidence."""

    reason: str | None  # None: good enough to answer; else why to abstain
    similarity: float | None  # best semantic similarity reported by the retriever, if any
    coverage: float  # weighted share of the question's words in the top passages
    key_coverage: float  # share of the words naming the topic found there

    def meta(self) -> dict[str, Any]:
        return {
            "best_similarity": None if self.similarity is None else round(self.similarity, 3),
            "question_coverage": round(self.coverage, 3),
            "key_coverage": round(self.key_coverage, 3),
        }


def _best_similarity(passages: Sequence[Passage]) -> float | None:
    values = [
        value
        for p in passages[:RELEVANCE_PASSAGES]
        for name in SIMILARITY_SIGNALS
        if (value := p.scores.get(name)) is not None
    ]
    return max(values) if values else None


def _present(term: str, terms: set[str]) -> bool:
    # Tolerates a misspelt or truncated ending ("diabete", "arthritus") on longer words.
    return term in terms or (len(term) >= 5 and any(t.startswith(term[:5]) for t in terms))


def _repair_spelling(query: str, passages: Sequence[Passage]) -> str:
    """Add the passages' spelling of question words they match only loosely ("whats diabete"
    -> also "diabet"), so the composer finds the sentences about them."""
    top_terms: set[str] = set()
    for passage in passages:
        top_terms.update(content_terms(f"{passage.focus} {passage.question} {passage.text}"))
    extra = []
    for term in topical_terms(content_terms(query)):
        if term in top_terms or len(term) < 5:
            continue
        extra.extend(sorted(t for t in top_terms if t.startswith(term[:5]))[:2])
    return f"{query} {' '.join(extra)}" if extra else query


def judge_relevance(query: str, passages: Sequence[Passage]) -> Relevance:
    """Decide whether to answer from `passages` or abstain (see the module docstring).

    With a semantic retriever (passages report a "question"/"passage" cosine similarity) the
    calibrated similarity threshold decides, plus at least one of the question's topic words in
    the top passages. A retriever that reports no similarity (a lexical one) is judged on word
    overlap alone, more strictly: most of the question's words, and half of the words naming
    its topic ("Fabry" in "what causes Fabry disease?"), must be there.
    """
    query_terms = content_terms(query)
    top_terms: set[str] = set()
    for passage in passages[:RELEVANCE_PASSAGES]:
        top_terms.update(content_terms(f"{passage.focus} {passage.question} {passage.text}"))
    question_coverage = coverage(query_terms, top_terms)
    keys = key_terms(query_terms)
    key_coverage = sum(1 for t in keys if _present(t, top_terms)) / len(keys) if keys else 1.0
    topical = topical_terms(query_terms)
    topical_hit = not topical or any(_present(t, top_terms) for t in topical)
    similarity = _best_similarity(passages)

    def verdict(reason: str | None) -> Relevance:
        return Relevance(reason, similarity, question_coverage, key_coverage)

    if not passages:
        return verdict("no_passages")
    if similarity is not None:
        if similarity < MIN_SIMILARITY:
            return verdict("low_score")
        return verdict(None if topical_hit else "no_overlap")
    if (
        not topical_hit
        or question_coverage < MIN_QUESTION_COVERAGE
        or key_coverage < MIN_KEY_COVERAGE
    ):
        return verdict("no_overlap")
    return verdict(None)


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
        else _section_citation(i, item)
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


def _query_for(
    text: str, *, patient: PatientContext, history: Sequence[Any]
) -> tuple[str, list[str]]:
    """The search query: "my condition" resolved, a bare follow-up joined to the last question."""
    query, used = intents.resolve_own_condition(text, patient.conditions)
    if used and intents.asks_what_comes_next(text):
        # "What happens next with my diagnosis?" is a question about treatment and outlook.
        query = f"{query} treatment outlook"
    if intents.is_follow_up(query, len(topical_terms(content_terms(query)))):
        earlier = [t for role, t in _turns(history) if role == "patient" and t.strip()]
        if earlier:
            # Carry over the earlier question's topic ("gout"), not what it asked about it
            # ("treated"): "what causes it?" must not be answered with treatments.
            topic = [
                w
                for w in re.findall(r"[A-Za-z][A-Za-z'-]+", earlier[-1])
                if (t := content_terms(w)) and topical_terms(t) and t[0] not in ASPECT_TERMS
            ]
            if topic:
                query = f"{query} {' '.join(topic)}"
    return query, used


def _compose(
    composer: Composer | None,
    *,
    text: str,
    query: str,
    passages: Sequence[Passage],
    conditions: Sequence[str],
) -> tuple[Composition, dict[str, Any]]:
    extractive = ExtractiveComposer()
    if composer is None:
        return extractive.compose(
            question=text, query=query, passages=passages, conditions=conditions
        ), {}
    try:
        return composer.compose(
            question=text, query=query, passages=passages, conditions=conditions
        ), {}
    except Exception as exc:  # a model outage must never cost the patient their answer
        log.warning("composer failed, using the extractive answer: %s", exc)
        composition = extractive.compose(
            question=text, query=query, passages=passages, conditions=conditions
        )
        return composition, {"composer_error": type(exc).__name__}


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
    # Identifiers say nothing about the topic and must not travel further (search logs, model).
    redacted = redact_identifiers(text, patient.private_terms)
    query, used = _query_for(
        re.sub(r"\s*\[redacted\]\s*", " ", redacted).strip(), patient=patient, history=history
    )
    topic_conditions = intents.condition_topics(patient.conditions)
    topics: list[str] = []
    for condition in topic_conditions:
        for name in (condition, intents.lay_name(condition)):
            if name.lower() not in {t.lower() for t in topics}:
                topics.append(name)
    started = time.perf_counter()
    passages = retriever.search(query, k=SEARCH_K, topics=tuple(topics))
    timings["retrieval_ms"] = round((time.perf_counter() - started) * 1000, 2)
    best_score = passages[0].score if passages else None
    meta: dict[str, Any] = {"query": query, "resolved_conditions": used, "intent": "general"}

    meta["best_score"] = best_score
    verdict = judge_relevance(query, passages)
    meta.update(verdict.meta())
    if verdict.reason:
        return _abstain(
            decision=decision,
            first=first,
            reason=verdict.reason,
            best_score=best_score,
            topics=topics,
            meta=meta,
            care_team_active=care_team_active,
        )

    query = _repair_spelling(query, passages[:RELEVANCE_PASSAGES])
    started = time.perf_counter()
    pool = answer_pool(passages, COMPOSE_PASSAGES)
    composition, compose_meta = _compose(
        composer,
        text=redacted,
        query=query,
        passages=pool,
        conditions=used or topic_conditions,
    )
    timings["compose_ms"] = round((time.perf_counter() - started) * 1000, 2)
    meta.update(compose_meta)
    meta["composer"] = composition.composer
    meta.update({f"composer_{k}": v for k, v in composition.meta.items()})

    checked = safety.filter_sentences(s.text for s in composition.statements)
    removed = {r.sentence for r in checked.removed}
    statements = [s for s in composition.statements if s.text not in removed]
    meta["safety_removed"] = [r.reason for r in checked.removed]
    if not statements:
        reason = "safety_removed_all" if removed else "no_sentence"
        return _abstain(
            decision=decision,
            first=first,
            reason=reason,
            best_score=best_score,
            topics=topics,
            meta=meta,
            care_team_active=care_team_active,
        )

    # Number the passages in order of first use.
    numbers: dict[int, int] = {}
    used_sentences: dict[int, list[str]] = {}
    parts: list[str] = []
    all_markers: list[str] = []
    for statement in statements:
        markers = []
        valid = [index for index in statement.sources if 0 <= index < len(pool)]
        if not valid:
            continue  # a sentence that cannot be cited is not said
        for index in valid:
            numbers.setdefault(index, len(numbers) + 1)
            used_sentences.setdefault(index, []).append(statement.text)
            markers.append(f"[{numbers[index]}]")
        parts.append(statement.text)
        all_markers.append("".join(markers))
    # One marker after a run of sentences from the same passage reads better than one each.
    for i, markers in enumerate(all_markers):
        following = all_markers[i + 1] if i + 1 < len(all_markers) else None
        if markers and markers != following:
            parts[i] = f"{parts[i]} {markers}"
    citations = [
        _section_citation(n, pool[index], used=used_sentences.get(index, ()))
        for index, n in sorted(numbers.items(), key=lambda item: item[1])
    ]
    body = " ".join(parts)
    note = general_information_note([c.source for c in citations])
    answer_text = _with_disclosure(f"{body}\n{note}", first=first)
    meta["cited_sections"] = [f"{c.section_id}@{c.version}" for c in citations]
    return Answer(
        kind="answer",
        text=answer_text,
        citations=citations,
        decision=decision,
        escalate=False,
        level="routine",
        meta=meta,
    )


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
    if decision is None:
        decision = escalation.classify(text)
    if second_opinion is not None and decision.level != "emergency":
        decision = raise_with(
            decision, second_opinion.assess(text), text=text, source=second_opinion.name
        )
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

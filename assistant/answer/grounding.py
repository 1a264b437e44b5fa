"""Grounding: from a question to cited sentences of approved content, or a reason not to answer.

The one path by which anything the portal writes is grounded in approved content, shared by the
patient's answer (`pipeline.answer_question`, which adds the disclosure, the general-information
note and the abstention text) and the nurse's draft (`assistant.inbox.drafts`, which frames the
same sentences in the nurse's voice). Steps: identifiers removed, "my condition" resolved and a
bare follow-up joined to the earlier question, the search steered by the patient's conditions
(and their lay names), the relevance judgement (abstain when nothing approved answers well),
spelling repair, composition (the configured composer, the extractive one if it fails), the
outgoing safety check per sentence, and [n] markers numbered in order of first use.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.answer import intents, safety
from assistant.answer.compose import (
    ASPECT_TERMS,
    Composer,
    Composition,
    ExtractiveComposer,
    answer_pool,
    content_terms,
    coverage,
    key_terms,
    topic_key,
    topical_terms,
)
from assistant.answer.types import Citation
from knowledge.passages import Passage, Retriever
from knowledge.retrieval.names import article_of
from knowledge.text import split_sentences, words

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
# An answer is written from the best answering section and those close behind it: a passage
# whose fused score is within this share of the best one's, of the same article (the parts of
# one answer, the article's neighbouring answer) or about another topic the question names.
# Sentences from loosely related sections of other articles read as a patchwork that answers
# nothing (one sentence each on a neighbouring condition, a drug's storage, an organ).
ANSWER_MARGIN = 0.05
ANSWER_PASSAGES = 3
# How far behind the best passage one that answers the question's *type* may be and still be
# preferred to it (the best one says what X is; the question asked how X is treated).
TYPE_MARGIN = 0.2
RELEVANCE_PASSAGES = 3
CITATION_TEXT_CHARS = 400


def turns_of(history: Sequence[Any]) -> list[tuple[str, str]]:
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


def section_citation(n: int, passage: Passage, *, used: Sequence[str] = ()) -> Citation:
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


def _close(passage: Passage, top: Passage, margin: float) -> bool:
    return passage.score >= top.score - margin * abs(top.score)


def answering_pool(passages: Sequence[Passage]) -> tuple[list[Passage], str | None]:
    """The passages to compose from (best first), or why none answers (`wrong_type`).

    - The best passage, unless it does not answer the kind of question asked (its `qtype`
      signal is 0: asked how X is treated, it says what X is) while one within TYPE_MARGIN does:
      then that one. If none does, abstain: a nearby section on another question is not an
      answer (a question about taking two medicines together is not answered by how to take
      one of them).
    - Then passages of the same article within ANSWER_MARGIN of it, and the best passage of
      each other topic the question names (a question about two conditions gets both).
    A retriever that reports no question-type signal (a lexical one, a stand-in) gives nothing to
    tell an answering section from a neighbouring one: its first COMPOSE_PASSAGES passages are
    used, as they come."""
    if not passages:
        return [], "no_passages"
    if not any("qtype" in p.scores for p in passages):
        return answer_pool(passages, COMPOSE_PASSAGES), None
    top = passages[0]
    qtype = top.scores.get("qtype")
    if qtype is not None and qtype <= 0:
        answering = [
            p for p in passages if p.scores.get("qtype", 0) > 0 and _close(p, top, TYPE_MARGIN)
        ]
        if not answering:
            return [], "wrong_type"
        top = answering[0]
    similarity = _best_similarity([top])
    if similarity is not None and similarity < MIN_SIMILARITY:
        return [], "low_score"
    pool = [top]
    topics = {topic_key(top)}
    article = article_of(top.section_id)
    for p in passages:
        if len(pool) >= ANSWER_PASSAGES:
            break
        if p is top or p.scores.get("qtype", 1) <= 0:
            continue
        key = topic_key(p)
        if article_of(p.section_id) == article and _close(p, top, ANSWER_MARGIN):
            pool.append(p)
        elif key is not None and key not in topics:
            # Another topic the question names often ranks below a run of the first one's
            # sections, whatever the margin: its best section answers its half of the question.
            pool.append(p)
            topics.add(key)
    return pool, None


def query_for(
    text: str, *, conditions: Sequence[str], history: Sequence[Any]
) -> tuple[str, list[str]]:
    """The search query: "my condition" resolved, a bare follow-up joined to the last question."""
    query, used = intents.resolve_own_condition(text, conditions)
    if used and intents.asks_what_comes_next(text):
        # "What happens next with my diagnosis?" is a question about treatment and outlook.
        query = f"{query} treatment outlook"
    if intents.is_follow_up(query, len(topical_terms(content_terms(query)))):
        earlier = [t for role, t in turns_of(history) if role == "patient" and t.strip()]
        if earlier:
            # Carry over the earlier question's topic ("gout"), not what it asked about it
            # ("treated"): "what causes it?" must not be answered with treatments.
            topic = [
                w
                for w in words(earlier[-1])
                if (t := content_terms(w)) and topical_terms(t) and t[0] not in ASPECT_TERMS
            ]
            if topic:
                query = f"{query} {' '.join(topic)}"
    return query, used


def compose_safely(
    composer: Composer | None,
    *,
    text: str,
    query: str,
    passages: Sequence[Passage],
    conditions: Sequence[str],
) -> tuple[Composition, dict[str, Any]]:
    # The passages were chosen as answering (`answering_pool`): their opening may be quoted.
    extractive = ExtractiveComposer(quote_opening=True)
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


@dataclass
class Grounded:
    """Cited sentences on a question, or why there are none (`abstain`)."""

    body: str  # sentences with [n] markers; "" when abstaining
    citations: list[Citation]
    meta: dict[str, Any]
    abstain: str | None = None  # no_passages, low_score, no_overlap, safety_removed_all, ...
    topics: list[str] = field(default_factory=list)

    @property
    def best_score(self) -> float | None:
        return self.meta.get("best_score")


def _topics(conditions: Sequence[str]) -> tuple[list[str], list[str]]:
    """The patient's conditions as search topics, each with its lay name ("hypertension",
    "high blood pressure"), and the conditions themselves."""
    topic_conditions = intents.condition_topics(conditions)
    topics: list[str] = []
    for condition in topic_conditions:
        for name in (condition, intents.lay_name(condition)):
            if name.lower() not in {t.lower() for t in topics}:
                topics.append(name)
    return topics, topic_conditions


def _cite(statements, pool: Sequence[Passage]) -> tuple[str, list[Citation]]:
    """The statements as text with [n] markers, passages numbered in order of first use; a
    sentence that cannot be cited is not said, and a run of sentences from the same passage
    gets one marker at its end (it reads better than one each)."""
    numbers: dict[int, int] = {}
    used_sentences: dict[int, list[str]] = {}
    parts: list[str] = []
    all_markers: list[str] = []
    for statement in statements:
        valid = [index for index in statement.sources if 0 <= index < len(pool)]
        if not valid:
            continue
        markers = []
        for index in valid:
            numbers.setdefault(index, len(numbers) + 1)
            used_sentences.setdefault(index, []).append(statement.text)
            markers.append(f"[{numbers[index]}]")
        parts.append(statement.text)
        all_markers.append("".join(markers))
    for i, markers in enumerate(all_markers):
        following = all_markers[i + 1] if i + 1 < len(all_markers) else None
        if markers and markers != following:
            parts[i] = f"{parts[i]} {markers}"
    citations = [
        section_citation(n, pool[index], used=used_sentences.get(index, ()))
        for index, n in sorted(numbers.items(), key=lambda item: item[1])
    ]
    return " ".join(parts), citations


def ground(
    *,
    text: str,
    conditions: Sequence[str],
    retriever: Retriever,
    composer: Composer | None = None,
    history: Sequence[Any] = (),
    private_terms: Sequence[str] = (),
) -> Grounded:
    """Approved content on `text`, as cited sentences (see the module docstring)."""
    # Identifiers say nothing about the topic and must not travel further (search logs, model).
    redacted = redact_identifiers(text, private_terms)
    query, used = query_for(
        re.sub(r"\s*\[redacted\]\s*", " ", redacted).strip(),
        conditions=conditions,
        history=history,
    )
    topics, topic_conditions = _topics(conditions)
    started = time.perf_counter()
    passages = retriever.search(query, k=SEARCH_K, topics=tuple(topics))
    meta: dict[str, Any] = {
        "retrieval_ms": round((time.perf_counter() - started) * 1000, 2),
        "query": query,
        "resolved_conditions": used,
        "best_score": passages[0].score if passages else None,
    }
    verdict = judge_relevance(query, passages)
    meta.update(verdict.meta())
    if verdict.reason:
        return Grounded("", [], meta, abstain=verdict.reason, topics=topics)

    query = _repair_spelling(query, passages[:RELEVANCE_PASSAGES])
    started = time.perf_counter()
    pool, unanswered = answering_pool(passages)
    if unanswered:
        return Grounded("", [], meta, abstain=unanswered, topics=topics)
    composition, compose_meta = compose_safely(
        composer, text=redacted, query=query, passages=pool, conditions=used or topic_conditions
    )
    meta["compose_ms"] = round((time.perf_counter() - started) * 1000, 2)
    meta.update(compose_meta)
    meta["composer"] = composition.composer
    meta.update({f"composer_{k}": v for k, v in composition.meta.items()})

    checked = safety.filter_sentences(s.text for s in composition.statements)
    removed = {r.sentence for r in checked.removed}
    statements = [s for s in composition.statements if s.text not in removed]
    meta["safety_removed"] = [r.reason for r in checked.removed]
    body, citations = _cite(statements, pool)
    if not body:
        reason = "safety_removed_all" if removed else "no_sentence"
        return Grounded("", [], meta, abstain=reason, topics=topics)
    meta["cited_sections"] = [f"{c.section_id}@{c.version}" for c in citations]
    return Grounded(body, citations, meta, topics=topics)

"""Writing an answer from approved passages, offline: the extractive composer.

The extractive composer never writes a medical sentence of its own. It picks the two to four
sentences of the top approved passages that best match what was asked and keeps each one with the
passage it came from, so every sentence the patient reads can be cited and checked.

How sentences are chosen (all cheap, a few milliseconds for ten passages):
- candidates are full prose sentences, cut free of a sub-heading the corpus glued to their front
  ("Affects Both Men and Women Heart attacks are ...", see `glued_headings`): headings, list
  fragments, questions, link lines, attribution lines ("NIH: National Heart, Lung, and Blood
  Institute"), very short or very long sentences and anything the outgoing safety check would
  remove (dosing, diagnosis) are skipped;
- score = how much of the query the sentence covers (content words, lightly stemmed; words that
  say little such as "information" count less) x a rank factor favouring higher passages, plus a
  small bonus for a passage's opening sentence (usually the definition), minus penalties for long
  or hard-to-read sentences (the answers aim at a grade-8 reading level);
- the best sentences are taken greedily, skipping near-duplicates and limiting how many come from
  one passage, then put back in reading order (passage rank, then position in the passage);
- a question naming two topics ("can an abscessed tooth cause a heart attack?") gets a sentence
  about each: the best sentence of each named topic is taken first, whatever its rank. Which
  topics the question names is the retriever's judgment (a passage's `focus` signal).

The composer also exposes the word-level helpers (`content_terms`, `stem`) that the pipeline's
relevance check and the LLM support check use, so all three agree on what "overlap" means.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from assistant.answer.glued_headings import PassageWords, strip_glued_heading
from assistant.answer.safety import sentence_problem
from knowledge.passages import Passage
from knowledge.retrieval.fusion import NAMED_COVERAGE
from knowledge.text import FUNCTION_WORDS, flesch_kincaid_grade, split_sentences, stem, words

# Words that appear in questions about anything: they count, but little.
_GENERIC_TEXT = """
    information info know tell learn explain mean means meaning question questions answer thing
    things way ways good best bad better need needs want like make made take use used using help
    helps people person someone something anything everything kind type types common normal new
    old happen happens happened next find found look looking give given keep able call called
    say said go going come day days time times year years lot lots many much little really
    actually possible please thanks think feel feeling get got work works doctor doctors
"""
GENERIC_WORDS = frozenset(_GENERIC_TEXT.split())
_HEADING_PREFIX_RE = re.compile(r"^(?:[A-Z][A-Za-z'’ ,/()-]{1,50}?)\s+:\s+")
# A sentence pointing at something the patient cannot see here (a table, a figure, a list).
_POINTER_RE = re.compile(
    r"\b(?:table|figure|chart|diagram|illustration|the following|listed below|shown below|"
    r"see below|see above|click|this page|this section|this fact sheet|this booklet|go to|"
    r"for more (?:details|information)|to learn more|learn more about)\b",
    re.IGNORECASE,
)
_LINK_RE = re.compile(r"https?://|www\.|\.gov\b|\.com\b|\.org\b", re.IGNORECASE)
_ATTRIBUTION_RE = re.compile(
    r"^(?:NIH|NLM|Source|From|See|Espa[nñ]ol|Espaol|Related|Read more|For more information|"
    r"Learn more|Summary|Also called|Updated|Reviewed|Copyright)\b",
    re.IGNORECASE,
)

# A sentence opening like this leans on the one before it; alone it reads as a non sequitur.
_DEPENDENT_OPENING_RE = re.compile(
    r"^(?:this|these|that|those|it|its|they|their|such|however|also|but|and|or|so|thus|"
    r"therefore|then|in addition|additionally|for example|for instance|other|another|both|"
    r"either|neither|here|there|as a result|because of this|in turn|instead|likewise|similarly|"
    r"otherwise|even so|in this case|in that case)\b",
    re.IGNORECASE,
)

# "...one or more of these nonspecific health problems", "ACE inhibitors block this process": a
# sentence pointing back at what came before it in its passage, wherever the pointer stands, reads
# as a riddle on its own.
_BACK_REFERENCE_RE = re.compile(
    r"\b(?:these|those|this (?:process|step|change|effect|reason|action|vaccine|medicine|"
    r"medication|drug))\b",
    re.IGNORECASE,
)

# "X is a ...", "X (say-it) are the ...": a sentence defining its subject.
_DEFINITION_RE = re.compile(r"^(?P<subject>[^,;:]{1,60}?)\s+(?:is|are)\s+(?:a|an|the|one)\b", re.I)

MIN_WORDS = 6
MAX_WORDS = 38
TARGET_WORDS = 20
TARGET_GRADE = 9.0  # Flesch-Kincaid grade the composed answer should not exceed when avoidable


_GENERIC_STEMS = frozenset(stem(w) for w in GENERIC_WORDS)


def content_terms(text: str) -> list[str]:
    """The stems of the words of `text` that carry meaning (no stopwords, no 1-2 letter words).

    Numbers are kept when they have 2+ characters (ages, readings); order is preserved and
    repeats are removed.
    """
    seen: dict[str, None] = {}
    for word in words(text):
        lowered = word.lower().replace("’", "'")
        if lowered in FUNCTION_WORDS or len(lowered) <= 2:
            continue
        seen.setdefault(stem(lowered), None)
    return list(seen)


def term_weight(term: str) -> float:
    """How much a query term counts when measuring coverage."""
    if term.isdigit():
        return 0.3
    if term in _GENERIC_STEMS:
        return 0.3
    return 1.0


def coverage(query_terms: Sequence[str], text_terms: Iterable[str]) -> float:
    """Weighted share of `query_terms` present in `text_terms` (0..1)."""
    if not query_terms:
        return 0.0
    present = set(text_terms)
    total = sum(term_weight(t) for t in query_terms)
    found = sum(term_weight(t) for t in query_terms if t in present)
    return found / total if total else 0.0


def topical_terms(terms: Iterable[str]) -> list[str]:
    """The terms that name a topic (not generic question words, not numbers)."""
    return [t for t in terms if term_weight(t) >= 1.0]


_ASPECT_TEXT = """
cause causes caused treat treated treatment treatments symptom symptoms sign signs prevent
prevention risk risks diagnose diagnosed diagnosis test tests outlook side effects effect cure
cured inherited inheritance genetic research complications long term happen next steps
"""
_KIND_TEXT = """
cancer cancers disease diseases disorder disorders syndrome condition conditions infection
infections screening vaccine vaccines vaccination shot chronic acute type health care plan
management education therapy problem problems illness medicine medicines medication drug
"""
# What a question asks *about* a topic ("causes", "treatment"), and words naming a kind of thing
# rather than which one ("disease", "cancer"). Neither tells which topic a question is about.
ASPECT_TERMS = frozenset(content_terms(_ASPECT_TEXT))
KIND_TERMS = frozenset(content_terms(_KIND_TEXT))


def key_terms(terms: Iterable[str]) -> list[str]:
    """The terms that say *which* topic ("fabry" in "what causes Fabry disease?")."""
    return [t for t in topical_terms(terms) if t not in ASPECT_TERMS and t not in KIND_TERMS]


def topic_key(passage: Passage) -> str | None:
    """The topic a passage is about when the question names it (its `focus` signal reaches the
    retriever's own threshold for a named topic), else None."""
    if passage.scores.get("focus", 0.0) < NAMED_COVERAGE:
        return None
    return passage.focus.casefold()


def answer_pool(passages: Sequence[Passage], size: int, *, extra: int = 2) -> list[Passage]:
    """The passages an answer is written from: the first `size`, and the first passage of each
    topic the question names that has none among them (at most `extra` more). A second topic
    often ranks below a run of the first one's sections."""
    pool = list(passages[:size])
    present = {topic_key(p) for p in pool}
    for passage in passages[size:]:
        key = topic_key(passage)
        if key is not None and key not in present and len(pool) < size + extra:
            pool.append(passage)
            present.add(key)
    return pool


# ------------------------------------------------------------------------------ the contract


@dataclass(frozen=True)
class Statement:
    """One sentence of an answer and the passages (indexes into the composer's input) it is from."""

    text: str
    sources: tuple[int, ...]


@dataclass
class Composition:
    """What a composer produced: statements in reading order, each tied to its passages."""

    statements: list[Statement]
    composer: str  # "extractive" or "llm"
    meta: dict = field(default_factory=dict)


class Composer(Protocol):
    def compose(
        self,
        *,
        question: str,
        query: str,
        passages: Sequence[Passage],
        conditions: Sequence[str] = (),
    ) -> Composition:
        """Compose an answer to `question` from `passages` only.

        `query` is the personalised search query (the question with "my condition" resolved to
        the patient's condition names); `conditions` the patient's condition names, the only
        part of the record a composer ever sees.
        """
        ...


# ------------------------------------------------------------------------------ extractive


@dataclass(frozen=True)
class _Candidate:
    text: str
    passage: int
    position: int
    terms: frozenset[str]
    coverage: float
    score: float
    defines: str | None  # what the sentence defines, if it is a definition (`defined_subject`)


class _Pick:
    """The sentences chosen so far, and what they use up."""

    def __init__(self) -> None:
        self.chosen: list[_Candidate] = []
        self.reserved: list[_Candidate] = []
        self.per_passage: dict[int, int] = {}
        self.total_words = 0

    def add(self, cand: _Candidate, *, reserved: bool = False) -> None:
        self.chosen.append(cand)
        if reserved:
            self.reserved.append(cand)
        self.per_passage[cand.passage] = self.per_passage.get(cand.passage, 0) + 1
        self.total_words += len(words(cand.text))


def defined_subject(text: str) -> str | None:
    """What a sentence like "Asthma (AZ-ma) is a chronic lung disease ..." defines ("asthma").

    Sources word the same definition differently ("Asthma is a breathing disorder that affects
    the airways"); an answer needs one of them, not three.
    """
    match = _DEFINITION_RE.match(text)
    if match is None:
        return None
    subject = " ".join(re.sub(r"\([^)]*\)", " ", match["subject"]).lower().split())
    return subject if 0 < len(subject.split()) <= 5 else None


def clean_sentence(text: str) -> str:
    """Strip a leading "Heading : " label (A.D.A.M. and MedlinePlus use them), extra spaces and
    a stray closing bracket at the end."""
    text = _HEADING_PREFIX_RE.sub("", text.strip())
    return _without_stray_bracket(re.sub(r"\s+", " ", text).strip())


def _without_stray_bracket(text: str) -> str:
    """Every answer of extra_answers.jsonl (A.D.A.M., MedlinePlus drugs and supplements: 1,488
    sections) ends in a ")" that opens nowhere ("... in the urinary bladder.)"): with it, the
    last sentence of each is unbalanced and never quoted, and for a one-sentence answer that is
    the whole answer."""
    if text.endswith(")") and text.count(")") > text.count("("):
        return text[:-1].rstrip()
    return text


def is_quotable(text: str) -> bool:
    """A sentence a patient can read on its own: full prose, plain length, no links or labels."""
    n_words = len(words(text))
    if not MIN_WORDS <= n_words <= MAX_WORDS:
        return False
    if not text[:1].isupper() and not text[:1].isdigit():
        return False  # a piece cut from the middle of a sentence
    if text.endswith(("?", ":")) or _LINK_RE.search(text) or _ATTRIBUTION_RE.match(text):
        return False
    if _POINTER_RE.search(text):
        return False
    if text.count("(") != text.count(")") or text.count('"') % 2:
        return False
    return sentence_problem(text) is None


class ExtractiveComposer:
    """Picks 2-4 sentences of the top passages; see the module docstring."""

    name = "extractive"

    def __init__(
        self,
        *,
        max_passages: int = 3,
        max_sentences: int = 4,
        min_sentences: int = 2,
        max_words: int = 90,
        max_per_passage: int = 3,
        quote_opening: bool = False,
    ) -> None:
        self.max_passages = max_passages
        self.max_sentences = max_sentences
        self.min_sentences = min_sentences
        self.max_words = max_words
        self.max_per_passage = max_per_passage
        # The caller judged the first passage to answer the question (`grounding`): when no
        # sentence repeats the question's words, its opening is quoted rather than nothing.
        self.quote_opening = quote_opening

    def _candidates(
        self,
        query_terms: Sequence[str],
        passages: Sequence[Passage],
        topics: Sequence[str | None],
    ):
        topical = set(topical_terms(query_terms))
        first_of_topic = {topics.index(key) for key in set(topics) if key is not None}
        for rank, passage in enumerate(passages):
            if rank >= self.max_passages and rank not in first_of_topic:
                continue  # beyond the first few, only a named topic's best passage
            rank_factor = 1.0 / (1.0 + 0.35 * rank)
            prose_seen = 0
            own_words = PassageWords(passage.text)
            for sentence in split_sentences(passage.text):
                if sentence.is_fragment:
                    continue
                prose_seen += 1
                text = strip_glued_heading(clean_sentence(sentence.text), own_words)
                if not is_quotable(text):
                    continue
                terms = frozenset(content_terms(text))
                if topical and not topical & terms:
                    continue  # says nothing about what was asked
                cov = coverage(query_terms, terms)
                n_words = len(words(text))
                score = cov * rank_factor
                if prose_seen == 1:
                    score += 0.12 * rank_factor  # the opening sentence usually defines the topic
                score -= 0.006 * max(0, n_words - TARGET_WORDS)
                score -= 0.03 * max(0.0, flesch_kincaid_grade(text) - 8.0)
                if _DEPENDENT_OPENING_RE.match(text):
                    score -= 0.6
                elif _BACK_REFERENCE_RE.search(text):
                    score -= 0.4
                yield _Candidate(
                    text, rank, sentence.position, terms, cov, score, defined_subject(text)
                )

    def compose(
        self,
        *,
        question: str,
        query: str,
        passages: Sequence[Passage],
        conditions: Sequence[str] = (),
    ) -> Composition:
        query_terms = content_terms(query or question)
        topics = [topic_key(p) for p in passages]
        candidates = sorted(
            self._candidates(query_terms, passages, topics), key=lambda c: c.score, reverse=True
        )
        pick = _Pick()
        self._reserve(pick, candidates, topics)
        self._fill(pick, candidates)
        self._readable(pick)
        chosen = sorted(pick.chosen, key=lambda c: (c.passage, c.position))
        statements = [Statement(text=c.text, sources=(c.passage,)) for c in chosen]
        statements = self._with_opening(statements, chosen, query_terms, passages)
        return Composition(
            statements=statements,
            composer=self.name,
            meta={
                "best_sentence_coverage": round(max((c.coverage for c in chosen), default=0.0), 3),
                "candidates": len(candidates),
            },
        )

    def _reserve(self, pick: _Pick, candidates: list[_Candidate], topics: list) -> None:
        """Sentences the answer must have: the opening of the first passage (the section judged
        to answer the question), then, when the question names two or more topics, each one's
        best sentence that speaks to it."""
        first = [c for c in candidates if c.passage == 0 and c.coverage > 0]
        if first and first[0] is not candidates[0]:
            pick.add(first[0], reserved=True)
        named = list(dict.fromkeys(k for k in topics if k is not None))
        if len(named) > 1:
            for key in named[: self.max_sentences]:
                own = [c for c in candidates if topics[c.passage] == key and c.coverage > 0]
                if own and not any(_similar(own[0].terms, other.terms) for other in pick.chosen):
                    pick.add(own[0], reserved=True)

    def _fill(self, pick: _Pick, candidates: list[_Candidate]) -> None:
        """The best other sentences, while they score well, say something new and fit."""
        best = candidates[0].score if candidates else 0.0
        for cand in candidates:
            if cand in pick.chosen:
                continue
            if len(pick.chosen) >= self.max_sentences:
                break
            if not pick.chosen and cand.coverage <= 0:
                break  # nothing here speaks to the question: let the caller abstain
            if len(pick.chosen) >= self.min_sentences and cand.score < 0.5 * best:
                break
            if cand.score <= 0 and len(pick.chosen) >= 1:
                break
            if pick.per_passage.get(cand.passage, 0) >= self.max_per_passage:
                continue
            if any(_similar(cand.terms, other.terms) for other in pick.chosen):
                continue
            if cand.defines and any(cand.defines == other.defines for other in pick.chosen):
                continue  # the same thing defined again, in another source's words
            if pick.chosen and pick.total_words + len(words(cand.text)) > self.max_words:
                continue
            pick.add(cand)

    def _readable(self, pick: _Pick) -> None:
        """Aim at a grade-8 reader: while the whole answer reads too hard, drop its hardest
        sentence (never below the minimum, never the best match, never a topic's own)."""
        while len(pick.chosen) > self.min_sentences and (
            flesch_kincaid_grade(" ".join(c.text for c in pick.chosen)) > TARGET_GRADE
        ):
            droppable = [c for c in pick.chosen[1:] if c not in pick.reserved]
            if not droppable:
                break
            pick.chosen.remove(max(droppable, key=lambda c: flesch_kincaid_grade(c.text)))

    def _with_opening(
        self,
        statements: list[Statement],
        chosen: list[_Candidate],
        query_terms: list[str],
        passages: Sequence[Passage],
    ) -> list[Statement]:
        if passages and not any(c.passage == 0 for c in chosen):
            # The first passage (the answering section) gave no sentence: it may be a list
            # ("X may be caused by any of the following:"), or say it in other words than the
            # question's (asked "genetic", it says "inherited"); quoted, it opens the answer.
            opening = _listed_answer(query_terms, passages[:1])
            if not opening and self.quote_opening:
                opening = _opening(passages[0], self.max_words // 2)
            statements = (opening + statements)[: self.max_sentences]
        if not statements:
            # The answering section may be a list ("X may be caused by any of the following:"):
            # its lead and items, quoted as they stand, answer better than nothing.
            statements = _listed_answer(query_terms, passages[: self.max_passages])
        if not statements and passages and self.quote_opening:
            # Nothing quotes the question's own words, yet the first passage is the section the
            # caller judged to answer it (the patient wrote "genetic", it says "inherited"): its
            # opening, the way its authors introduce the answer.
            statements = _opening(passages[0], self.max_words // 2)
        return statements


MAX_LIST_ITEMS = 8


def _opening(passage: Passage, max_words: int) -> list[Statement]:
    """The first quotable sentences of a passage, whole, up to about `max_words` words."""
    out: list[Statement] = []
    total = 0
    own_words = PassageWords(passage.text)
    for sentence in split_sentences(passage.text):
        if sentence.is_fragment:
            if out:
                break  # a list or heading starts: the opening is over
            continue
        text = strip_glued_heading(clean_sentence(sentence.text), own_words)
        if not is_quotable(text):
            if out:
                break
            continue
        n = len(words(text))
        if out and total + n > max_words:
            break
        out.append(Statement(text=text, sources=(0,)))
        total += n
        if len(out) == 2:
            break
    return out


def _listed_answer(query_terms: Sequence[str], passages: Sequence[Passage]) -> list[Statement]:
    """The first list of the first passage that has one whose lead line ("Symptoms may include:")
    speaks to the question: the lead and up to MAX_LIST_ITEMS items, one statement, each item on
    its own line, every word as the passage has it."""
    best: tuple[float, list[Statement]] = (0.0, [])
    for index, passage in enumerate(passages):
        sentences = split_sentences(passage.text)
        for i, lead in enumerate(sentences):
            if not lead.text.endswith(":"):
                continue
            if not MIN_WORDS - 2 <= len(words(lead.text)) <= MAX_WORDS:
                continue
            items = []
            for item in sentences[i + 1 :]:
                if not item.is_fragment or item.text.endswith(":"):
                    break
                if _LINK_RE.search(item.text) or sentence_problem(item.text):
                    continue
                items.append(_without_stray_bracket(item.text))
                if len(items) == MAX_LIST_ITEMS:
                    break
            if len(items) < 2 or sentence_problem(lead.text) is not None:
                continue
            # The list that speaks most to the question (its lead or its items), the first on
            # a tie; the first passage's lists first.
            cov = coverage(query_terms, content_terms(" ".join([lead.text, *items])))
            if cov > best[0] * (1.0 + 0.5 * index):
                text = "\n".join([lead.text] + [f"- {item}" for item in items])
                best = (cov, [Statement(text=text, sources=(index,))])
    return best[1]


def _similar(a: frozenset[str], b: frozenset[str]) -> bool:
    if not a or not b:
        return False
    return len(a & b) / len(a | b) > 0.5

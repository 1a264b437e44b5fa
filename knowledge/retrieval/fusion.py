"""Fusing the signals of a candidate section into one score, and the final order: each section
drawn toward its article's best score, one answer's parts in reading order, every named topic
given places at the top.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING

from knowledge.passages import PassageHit
from knowledge.query_topics import group_topics
from knowledge.retrieval.names import _NameIndex, article_of, section_number

if TYPE_CHECKING:
    from knowledge.index import SectionMeta


# The signals a candidate's own score is a weighted sum of (see `Candidate.score`).
SIGNALS = ("question", "passage", "bm25", "focus", "qtype", "topic")

# The weights fitted on the training questions (bench/fit_fusion.py fit).
WEIGHTS_FILE = Path(__file__).resolve().parent / "fusion_weights.json"

# Which weights a retriever uses unless told otherwise: "learned" (WEIGHTS_FILE) or "handset".
DEFAULT_WEIGHTS = "handset"


@dataclass(frozen=True)
class FusionWeights:
    """Weights of the re-ranking signals (all signals lie in [0, 1]).

    The defaults are the hand-set weights; `learned()` reads the fitted ones, `named()` either."""

    question: float = 1.0
    passage: float = 1.0
    bm25: float = 0.3
    focus: float = 0.5
    qtype: float = 0.2
    topic: float = 0.15
    article: float = 0.2  # share of the article's best score in each of its sections' score
    # Bonus per place a topic of the message is behind the most served one (see query_topics).
    diversity: float = 0.1
    # Penalty for a section when a better one of its article has the same question (see fuse).
    repeat: float = 0.25

    @classmethod
    def handset(cls) -> FusionWeights:
        return cls()

    @classmethod
    def from_file(cls, path: Path) -> FusionWeights:
        """Weights from a JSON file {"weights": {name: value}}; a name it lacks keeps its
        hand-set value, a name this class does not know is refused (a typo must not pass)."""
        values = json.loads(Path(path).read_text(encoding="utf-8"))["weights"]
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"{path}: unknown fusion weights {sorted(unknown)}")
        return cls(**{name: float(value) for name, value in values.items()})

    @classmethod
    def learned(cls) -> FusionWeights:
        return cls.from_file(WEIGHTS_FILE)

    @classmethod
    def named(cls, name: str = "") -> FusionWeights:
        """ "handset" or "learned" ("" is DEFAULT_WEIGHTS)."""
        name = name or DEFAULT_WEIGHTS
        if name == "handset":
            return cls.handset()
        if name == "learned":
            return cls.learned()
        raise ValueError(f"fusion weights must be 'handset' or 'learned', not {name!r}")


@dataclass
class Candidate:
    section_id: str
    question: float = 0.0
    passage: float = 0.0
    bm25: float = 0.0
    focus: float = 0.0
    qtype: float = 0.0
    topic: float = 0.0
    best_passage: PassageHit | None = None
    meta: SectionMeta | None = None
    # Words of the message found in the section's best-matching article name.
    named_words: frozenset[str] = frozenset()
    # The part of the same answer whose place this one took in reading order (see `fuse`).
    ranked_as: str = ""

    def score(self, w: FusionWeights) -> float:
        return (
            w.question * self.question
            + w.passage * self.passage
            + w.bm25 * self.bm25
            + w.focus * self.focus
            + w.qtype * self.qtype
            + w.topic * self.topic
        )

    def signals(self) -> dict[str, float]:
        return {
            "question": round(self.question, 4),
            "passage": round(self.passage, 4),
            "bm25": round(self.bm25, 4),
            "focus": round(self.focus, 4),
            "qtype": round(self.qtype, 4),
            "topic": round(self.topic, 4),
        }


_VAGUE_RE = re.compile(
    r"\b(?:my|this|that|the|his|her|our) (?:condition|diagnosis|disease|illness|disorder|problem|"
    r"issue|results?)\b",
    re.IGNORECASE,
)


def fuse(candidates: Iterable[Candidate], weights: FusionWeights) -> list[tuple[Candidate, float]]:
    """Final ranking: each section's own score, drawn toward the best score of its article
    (sections of the article that best matches the message belong together).

    NIHSeniorHealth, NIDDK and NHLBI split one answer over several sections titled alike
    ("What is (are) Diabetes?" six times). Such sections are parts of one answer:
    - they are ranked in reading order: the group's best score goes to its first part, which
      opens the answer (what the condition is), the next best to the second part, and so on.
      A later part matches a message best when it shares its details (a subtype, a number),
      but the patient is served by the beginning, and the composer then quotes the answer
      from its start instead of from the middle;
    - every part after the first loses `weights.repeat`: the parts of one answer would
      otherwise push the article's other answers (causes, treatment) out of the top ranks."""
    own = [(c, c.score(weights)) for c in candidates]
    best: dict[str, float] = {}
    for c, score in own:
        article = article_of(c.section_id)
        best[article] = max(best.get(article, score), score)
    share = weights.article
    scored = [(c, (1 - share) * score + share * best[article_of(c.section_id)]) for c, score in own]
    scored.sort(key=lambda item: (-item[1], item[0].section_id))
    scored = _in_reading_order(scored)
    seen: Counter[tuple[str, str]] = Counter()
    penalised = []
    for c, score in scored:
        key = _answer_key(c)
        penalised.append((c, score - weights.repeat if seen[key] else score))
        seen[key] += 1
    penalised.sort(key=lambda item: (-item[1], item[0].section_id))
    return penalised


def _answer_key(c: Candidate) -> tuple[str, str]:
    """Sections with the same key are parts of one answer: same article, same question."""
    return article_of(c.section_id), c.meta.question.casefold() if c.meta else c.section_id


def _in_reading_order(
    scored: Sequence[tuple[Candidate, float]],
) -> list[tuple[Candidate, float]]:
    """`scored` (best first) with the parts of each answer (see `_answer_key`) moved so that
    the places they hold, best first, go to the parts in section order."""
    places: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, (c, _) in enumerate(scored):
        places[_answer_key(c)].append(i)
        c.ranked_as = ""
    out = list(scored)
    for held in places.values():
        if len(held) < 2:
            continue
        in_order = sorted(held, key=lambda i: section_number(scored[i][0].section_id))
        for place, part in zip(held, in_order, strict=True):
            out[place] = (scored[part][0], scored[place][1])
            if part != place:  # for "why" displays: whose score this part now holds
                scored[part][0].ranked_as = scored[place][0].section_id
    return out


# An open question about a topic ("what is X", "X?") is served, after X's overview, by any of
# X's sections (its causes, its treatment): they get this share of the question-type credit.
OPEN_QUESTION_CREDIT = 0.25


# How many places the message's topics share (a little beyond the ten shown).
DIVERSITY_PLACES = 30


# A section is about a topic of the message when the message covers this much of its name...
TOPIC_COVERAGE = 0.5


# ...and a topic counts only if the message spells out one of its names completely.
NAMED_COVERAGE = 0.8


def _topics_of(candidates: Mapping[str, Candidate], names: _NameIndex) -> dict[str, int]:
    """{section id: topic number} for the candidates about a topic the message names."""
    matched = {
        sid: c.named_words
        for sid, c in candidates.items()
        if c.focus >= TOPIC_COVERAGE and c.named_words
    }
    topics = group_topics(matched, names.generic)
    named = {topics[sid] for sid in topics if candidates[sid].focus >= NAMED_COVERAGE}
    return {sid: topic for sid, topic in topics.items() if topic in named}

"""What retrieval promises its callers: a `Passage` of approved content, a `Retriever` that
finds them, and the `PassageHit` a vector store returns.

A contract module with no behaviour and no imports beyond the standard library, so that the pure
answer pipeline and the ranking code can depend on it without depending on an index, a database
or Django (the import contracts in `.importlinter` hold them to that).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class Passage:
    """One retrieved piece of an approved section (a whole short section, or a window of a
    long one)."""

    section_id: str  # stable external id, e.g. "GHR_0000804_Sec2"
    version: int  # the approved version of that section this passage was cut from
    passage_id: str  # section_id + window index, unique in the index
    text: str  # the passage text (what is shown / quoted)
    question: str  # the curated question or heading of the section
    focus: str  # the article's topic (condition or subject)
    qtype: str  # section type: information, symptoms, causes, treatment, prevention, outlook...
    source: str  # the organisation that wrote it, e.g. "GHR", "NIDDK", "CDC"
    url: str
    score: float = 0.0  # final fused score (higher is better)
    scores: dict[str, float] = field(default_factory=dict)  # per-signal scores, for "why" displays
    # When this section is a part of an answer split over alike-titled sections: the part whose
    # score this one's place came from (parts are ranked in reading order, see `fuse`), if another.
    ranked_as: str = ""


class Retriever(Protocol):
    def search(
        self,
        query: str,
        *,
        k: int = 10,
        topics: Sequence[str] = (),
    ) -> list[Passage]:
        """Best approved passages for `query`; `topics` (e.g. the patient's condition names)
        steer the ranking toward content about them without excluding the rest."""
        ...


@dataclass(frozen=True)
class PassageHit:
    """A stored passage with its similarity to a query vector (cosine, higher is closer)."""

    passage_id: str
    section_id: str
    version: int
    passage_no: int
    text: str
    similarity: float
    meta: dict[str, Any] = field(default_factory=dict, compare=False)

"""Retrieval of approved patient-education content.

The contract every caller relies on: a search returns `Passage` objects, each naming the section
it came from by its stable external id *and* the version that was approved when it was indexed, so
an answer can always cite exactly what it used.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Passage:
    """A retrieved piece of an approved section (short sections whole, long ones in windows)."""

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

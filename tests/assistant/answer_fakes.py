"""Real corpus sections and a small in-memory retriever for the answer-pipeline tests.

The passages are real MedQuAD sections read from the data folder (never copied into the repo);
only the retriever is a stand-in: a plain word-overlap ranking that honours the `Retriever`
protocol (the real hybrid retriever is tested on its own).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from django.conf import settings

from knowledge.corpus import SectionRecord, iter_jsonl, parse_xml_file
from knowledge.passages import Passage

MEDQUAD_DIR = Path(settings.PORTAL_DATA_DIR) / "medquad"
_FOLDERS = {
    "CancerGov": "1_CancerGov_QA",
    "GARD": "2_GARD_QA",
    "GHR": "3_GHR_QA",
    "MPlusHealthTopics": "4_MPlus_Health_Topics_QA",
    "NIDDK": "5_NIDDK_QA",
    "NINDS": "6_NINDS_QA",
    "NIHSeniorHealth": "7_SeniorHealth_QA",
    "NHLBI": "8_NHLBI_QA_XML",
    "CDC": "9_CDC_QA",
}
_ID_RE = re.compile(r"^(?P<source>[A-Za-z]+)_(?P<doc>.+)_Sec\d+$")

# Sections used across the tests: a few topics of the demo patients' records.
HYPERTENSION = (
    "MPlusHealthTopics_0000471_Sec1",  # High Blood Pressure, information
    "NIHSeniorHealth_0000036_Sec20",  # High Blood Pressure, treatment
    "NHLBI_0000071_Sec7",  # High Blood Pressure, treatment
    "NHLBI_0000071_Sec8",  # High Blood Pressure, prevention
)
ASTHMA = ("NHLBI_0000010_Sec1", "NHLBI_0000010_Sec2")
DIABETES = ("MPlusHealthTopics_0000266_Sec1",)
GOUT = ("MPlusHealthTopics_0000409_Sec1", "NIHSeniorHealth_0000028_Sec4")
OSTEOARTHRITIS = ("NIHSeniorHealth_0000049_Sec1",)
FLU = ("MPlusHealthTopics_0000369_Sec1", "MPlusHealthTopics_0000370_Sec1")
COLORECTAL = ("MPlusHealthTopics_0000221_Sec1", "CancerGov_0000037_3_Sec2")
LISINOPRIL = ("MPlusDrugs_0000713_Sec3", "MPlusDrugs_0000713_Sec10", "MPlusDrugs_0000713_Sec6")
ANEMIA = ("MPlusHealthTopics_0000034_Sec1",)
FOLIC_ACID = ("MPlusHealthTopics_0000738_Sec1",)  # says "take 0.4 mg of folic acid every day"
ALL_SECTIONS = (
    HYPERTENSION
    + ASTHMA
    + DIABETES
    + GOUT
    + OSTEOARTHRITIS
    + FLU
    + COLORECTAL
    + LISINOPRIL
    + ANEMIA
    + FOLIC_ACID
)


@functools.cache
def _extra_answers() -> dict[str, SectionRecord]:
    sections: dict[str, SectionRecord] = {}
    for result in iter_jsonl(MEDQUAD_DIR / "extra_answers.jsonl", root=MEDQUAD_DIR):
        for section in result.sections:
            sections[section.external_id] = section
    return sections


@functools.cache
def _xml_sections(source: str, document: str) -> dict[str, SectionRecord]:
    result = parse_xml_file(MEDQUAD_DIR / _FOLDERS[source] / f"{document}.xml", root=MEDQUAD_DIR)
    assert result.ok, result.error
    return {s.external_id: s for s in result.sections}


def corpus_section(section_id: str) -> SectionRecord:
    match = _ID_RE.match(section_id)
    assert match, section_id
    source = match["source"]
    if source in _FOLDERS:
        return _xml_sections(source, match["doc"])[section_id]
    return _extra_answers()[section_id]


def passage(section_id: str, *, version: int = 1, text: str | None = None) -> Passage:
    section = corpus_section(section_id)
    return Passage(
        section_id=section.external_id,
        version=version,
        passage_id=f"{section.external_id}#0",
        text=section.text if text is None else text,
        question=section.question,
        focus=section.focus,
        qtype=section.qtype,
        source=section.source,
        url=section.url,
    )


def corpus_passages(section_ids: Sequence[str] = ALL_SECTIONS) -> list[Passage]:
    # Versions differ per section so a test can see that the cited version is the indexed one.
    return [passage(sid, version=1 + i % 3) for i, sid in enumerate(section_ids)]


_STOP_TEXT = (
    "the a an and or of to in on for with is are am do does what how why when who which my i me "
    "you your it its be can should about this that there any have has at by from as not next "
    "happens happen"
)
_STOP = frozenset(_STOP_TEXT.split())


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) > 2 and w not in _STOP}


class FakeRetriever:
    """Ranks passages by the share of query words they contain, focus words counting double;
    `topics` add a small boost to passages about them. Records every call."""

    def __init__(self, passages: Sequence[Passage]) -> None:
        self.passages = list(passages)
        self.calls: list[tuple[str, tuple[str, ...]]] = []
        self._words = [(_words(f"{p.question} {p.text}"), _words(p.focus)) for p in self.passages]

    def search(self, query: str, *, k: int = 10, topics: Sequence[str] = ()) -> list[Passage]:
        self.calls.append((query, tuple(topics)))
        wanted = _words(query)
        if not wanted:
            return []
        topic_words = [_words(t) for t in topics]
        scored: list[tuple[float, int, Passage]] = []
        for i, (p, (body, focus)) in enumerate(zip(self.passages, self._words, strict=True)):
            hits = len(wanted & body) + 2 * len(wanted & focus)
            if not hits:
                continue
            score = hits / (3 * len(wanted))
            if any(t and t <= focus for t in topic_words):
                score += 0.05
            scored.append((round(score, 4), -i, p))
        scored.sort(key=lambda item: (item[0], item[1]), reverse=True)
        return [replace(p, score=s, scores={"overlap": s}) for s, _, p in scored[:k]]

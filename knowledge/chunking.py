"""How an approved section becomes what the index embeds: its passages (the whole answer cut
into sentence-aligned windows that fit the embedding model, boilerplate dropped) and the inputs
of its passage and question vectors.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from knowledge.corpus import SectionRecord
from knowledge.lexical import PassageRow

if TYPE_CHECKING:
    from knowledge.lexical import SectionMeta


# Window length in word pieces for an answer passage, leaving room for the focus/question header
# that is embedded with it (the model reads at most 256 pieces).
PASSAGE_TOKENS = 224
_SENTENCE_END_RE = re.compile(r"(?<=[.!?:;])\s+(?=\S)")
# Embedding costs time in proportion to the word pieces read. Savings that cost little quality:
# - a section's first window is embedded from its first `HEAD_TOKENS` pieces: all-MiniLM-L6-v2
#   was trained on inputs of 128 pieces, and what follows adds little to the vector;
# - later windows from their first `TAIL_TOKENS` pieces only (a window's opening sentences say
#   what it is about; the rest of a long answer is still found by words, and shown in full);
# - publishers' template sentences, repeated verbatim in thousands of sections (how to read a
#   symptom-frequency table, links to a dictionary, what clinical trials are), are left out of the
#   embedded text: they say nothing about the topic and pull unrelated sections together. They
#   stay in the passage text that is shown and in the lexical index.
HEAD_TOKENS = 128
TAIL_TOKENS = 64
_TEMPLATE_SENTENCES = re.compile(
    # Each pattern runs from the start of a template sentence to its end. They are removed
    # wherever they occur: in the corpus they are often glued to a table without punctuation.
    r"(?:"
    + "|".join(
        (
            r"The Human Phenotype Ontology (?:\(HPO\) )?(?:provides|has collected) ",
            r"If the information is available, the table below ",
            r"You can use the MedlinePlus Medical Dictionary ",
            r"Much of this information comes from Orphanet",
            r"The frequency (?:of a sign or symptom is usually|may also be listed) ",
            r"The first number of the fraction ",
            r"For example, a frequency of 25/25 ",
            r"Because these frequencies are based on a specific study",
            r"Sometimes, no information on frequency is available",
            r"In these cases, the sign or symptom may be rare or common",
            r"These resources from MedlinePlus offer information about the diagnosis and",
            r"Clinical trials are done to find out if new cancer treatments",
            r"Patients who take part in (?:a clinical trial|clinical trials) ",
            r"Even when clinical trials do not lead to effective new treatments",
            r"There are also clinical trials that test new ways to stop cancer",
            r"Many of today's standard treatments for cancer are based on",
            r"For some patients, taking part in a clinical trial may be",
            r"Patients can enter clinical trials before, during, or after",
        )
    )
    + r")[^.!?:]*[.!?:]"
    # Table headings and a fixed list of links, which have no sentence end of their own.
    r"|Signs and Symptoms Approximate number of patients \(when available\)"
    r"|- Diagnostic Tests\s+- Drug Therapy\s+- Surgery and Rehabilitation\s+- Genetic Counseling"
    r"\s+- Palliative Care"
)


def sentences(text: str) -> list[str]:
    """The sentences (or list items ending in ":" / ";") of a text, in order."""
    return [s for s in _SENTENCE_END_RE.split(text.strip()) if s]


@dataclass(frozen=True)
class IndexDoc:
    """One approved section version, as the index needs it."""

    section_id: str  # stable external id, e.g. "GHR_0000804_Sec2"
    version: int  # the approved version (returned with every search result, for citations)
    focus: str  # the article's topic
    question: str  # the curated question / heading
    qtype: str  # information, symptoms, causes, treatment, ...
    text: str  # the approved answer text
    source: str  # "GHR", "NIDDK", a local clinic...
    url: str = ""
    topics: tuple[str, ...] = ()  # other names of the focus (synonyms, "also called")

    @classmethod
    def from_record(cls, record: SectionRecord, *, version: int = 1) -> IndexDoc:
        return cls(
            section_id=record.external_id,
            version=version,
            focus=record.focus,
            question=record.question,
            qtype=record.qtype,
            text=record.text,
            source=record.source,
            url=record.url,
            topics=record.synonyms,
        )


def split_passages(
    text: str, *, count_tokens: Callable[[str], int], max_tokens: int = PASSAGE_TOKENS
) -> list[str]:
    """Cut an answer into consecutive windows of whole sentences, each at most `max_tokens`
    word pieces, covering the whole text. A sentence longer than a window is cut by words with a
    small overlap, so no passage starts mid-thought without context."""
    text = text.strip()
    if not text:
        return []
    if count_tokens(text) <= max_tokens:
        return [text]
    pieces: list[tuple[str, int]] = []
    for sentence in sentences(text):
        n = count_tokens(sentence)
        if n <= max_tokens:
            pieces.append((sentence, n))
        else:
            pieces.extend(_split_long(sentence, count_tokens, max_tokens))
    # Aim at windows of even length rather than full ones and a stub at the end (a passage of
    # one trailing sentence is a poor thing to show): cut near multiples of total / windows.
    total = sum(n for _, n in pieces)
    count = -(-total // max_tokens)
    while True:
        windows = _pack(pieces, max_tokens=max_tokens, step=total / count)
        if len(windows) <= count or count >= len(pieces):
            return windows
        count += 1


def _pack(pieces: list[tuple[str, int]], *, max_tokens: int, step: float) -> list[str]:
    windows: list[str] = []
    current: list[str] = []
    size = done = 0
    for piece, n in pieces:
        boundary = step * (len(windows) + 1)
        if current and (size + n > max_tokens or done + size + n / 2 > boundary):
            windows.append(" ".join(current))
            done += size
            current, size = [], 0
        current.append(piece)
        size += n
    if current:
        windows.append(" ".join(current))
    return windows


def _split_long(
    sentence: str, count_tokens: Callable[[str], int], max_tokens: int
) -> list[tuple[str, int]]:
    tokens = sentence.split()
    # Word pieces per word vary; estimate, then verify each window and shrink if needed.
    ratio = max(1.0, count_tokens(sentence) / max(1, len(tokens)))
    step_words = max(8, int(max_tokens / ratio))
    overlap = max(2, step_words // 10)
    out: list[tuple[str, int]] = []
    start = 0
    while start < len(tokens):
        width = step_words
        while True:
            chunk = " ".join(tokens[start : start + width])
            n = count_tokens(chunk)
            if n <= max_tokens or width <= 8:
                break
            width = int(width * 0.85)
        out.append((chunk, n))
        if start + width >= len(tokens):
            break
        start += max(1, width - overlap)
    return out


def without_templates(text: str) -> str:
    """`text` without publishers' template sentences (see `_TEMPLATE_SENTENCES`)."""
    return " ".join(_TEMPLATE_SENTENCES.sub(" ", text).split())


def passage_input(doc: IndexDoc | SectionMeta, window: str, passage_no: int) -> str:
    """What is embedded for a passage: the focus names the topic of every window (a window of a
    symptom list means nothing without it); the first also carries the question it answers.
    Template sentences are left out (the window itself is stored and shown whole)."""
    window = without_templates(window)
    if passage_no == 0:
        return f"{doc.focus}. {doc.question} {window}"
    return f"{doc.focus}. {window}"


def question_input(doc: IndexDoc | SectionMeta) -> str:
    return f"{doc.focus}. {doc.question}"


@dataclass(frozen=True)
class EmbeddedBatch:
    """Sections cut into passages and embedded, ready to store."""

    docs: list[IndexDoc]
    passages: list[PassageRow]
    passage_counts: dict[str, int]
    passage_vectors: np.ndarray
    question_vectors: np.ndarray


def batches(docs: Iterable[IndexDoc], size: int) -> Iterator[list[IndexDoc]]:
    batch: list[IndexDoc] = []
    for doc in docs:
        batch.append(doc)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def embed_sections(
    docs: list[IndexDoc], embedder: Any, embed: Callable[[list[str]], np.ndarray]
) -> EmbeddedBatch:
    """Cut these sections into passages and embed them and their questions (`embed`: texts ->
    vectors, through the cache). A repeated section id: the last one wins."""
    latest = {d.section_id: d for d in docs}  # a repeated id: the last one wins
    docs = list(latest.values())
    # Measure every sentence in one parallel call; splitting then only adds numbers.
    pieces = list({p for d in docs for p in (d.text.strip(), *sentences(d.text))})
    known = dict(zip(pieces, embedder.count_tokens_batch(pieces), strict=True))

    def count(text: str) -> int:
        return known[text] if text in known else embedder.count_tokens(text)

    passages: list[PassageRow] = []
    passage_counts: dict[str, int] = {}
    texts: list[str] = []
    budgets: list[int] = []
    for doc in docs:
        windows = split_passages(doc.text, count_tokens=count) or [doc.question]
        passage_counts[doc.section_id] = len(windows)
        for number, window in enumerate(windows):
            texts.append(passage_input(doc, window, number))
            budgets.append(TAIL_TOKENS if number else HEAD_TOKENS)
            passages.append(PassageRow(f"{doc.section_id}#{number}", doc.section_id, window))
    inputs: dict[str, int] = {}  # embedding input -> row in the batch (repeats embed once)
    rows_of = [
        inputs.setdefault(text, len(inputs)) for text in embedder.truncate_batch(texts, budgets)
    ]
    for doc in docs:
        inputs.setdefault(question_input(doc), len(inputs))
    # Passages and questions in one call: the embedder batches them by length together.
    vectors = embed(list(inputs))
    return EmbeddedBatch(
        docs=docs,
        passages=passages,
        passage_counts=passage_counts,
        passage_vectors=vectors[rows_of] if rows_of else vectors[:0],
        question_vectors=vectors[[inputs[question_input(d)] for d in docs]],
    )

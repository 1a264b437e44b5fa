"""Lexical (keyword) index of approved sections: SQLite FTS5 with BM25 ranking.

Lives in one SQLite file next to the vector store. Sections are added, replaced and removed one by
one (no rebuild needed to approve or retire one), and ranking is done by SQLite's `bm25()` with
the focus and question weighted above the answer text: a patient who names a condition should
find the sections *about* it before sections that merely mention it.

Queries use OR semantics over the meaningful words (stopwords and message filler removed): a
patient's message is long and chatty, and requiring every word would find nothing.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from knowledge.text import search_terms, search_tokens

# bm25() column weights for (focus, question, text).
FIELD_WEIGHTS = (4.0, 2.0, 1.0)
TOKENIZER = "porter unicode61 remove_diacritics 2"


def match_expression(terms: Sequence[str]) -> str:
    """An FTS5 MATCH expression: any of the terms (each quoted, so no query syntax leaks in)."""
    unique = dict.fromkeys(t.replace('"', "") for t in terms if t)
    return " OR ".join(f'"{t}"' for t in unique if t)


class LexicalDoc(Protocol):
    section_id: str
    version: int
    focus: str
    question: str
    qtype: str
    source: str
    url: str
    text: str
    topics: tuple[str, ...]


class PassageRow(NamedTuple):
    """A window of a section's text, stored for display (the vector store keeps no text)."""

    passage_id: str  # "<section id>#<n>"
    section_id: str
    text: str


@dataclass(frozen=True)
class SectionMeta:
    """What the index knows about a section (kept in the lexical side file)."""

    section_id: str
    version: int
    focus: str
    question: str
    qtype: str
    source: str
    url: str
    topics: tuple[str, ...]
    passages: int = 1  # how many passages the section was cut into (ids "<section>#<n>")

    def passage_ids(self) -> list[str]:
        return [f"{self.section_id}#{n}" for n in range(self.passages)]


@dataclass(frozen=True)
class SectionName:
    """The names under which a section's topic is known (for focus detection)."""

    section_id: str
    focus: str
    topics: tuple[str, ...]
    qtype: str


_SCHEMA = """
CREATE TABLE IF NOT EXISTS sections (
    rowid INTEGER PRIMARY KEY,
    section_id TEXT NOT NULL UNIQUE,
    version INTEGER NOT NULL,
    focus TEXT NOT NULL,
    question TEXT NOT NULL,
    qtype TEXT NOT NULL,
    source TEXT NOT NULL,
    url TEXT NOT NULL,
    topics TEXT NOT NULL,
    passages INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS passages (
    passage_id TEXT PRIMARY KEY, section_id TEXT NOT NULL, text TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS passages_section ON passages (section_id);
CREATE VIRTUAL TABLE IF NOT EXISTS sections_fts USING fts5(
    focus, question, text, tokenize = '__TOKENIZER__'
);
CREATE TABLE IF NOT EXISTS words (word TEXT PRIMARY KEY, df INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS changes (generation INTEGER NOT NULL, section_id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS changes_generation ON changes (generation);
INSERT OR IGNORE INTO state (key, value) VALUES ('generation', '0');
INSERT OR IGNORE INTO state (key, value) VALUES ('reset', '0');
""".replace("__TOKENIZER__", TOKENIZER)
_TOPIC_SEPARATOR = "\x1f"
_SCORES_SQL = (
    "SELECT s.section_id, -bm25(sections_fts, ?, ?, ?)"
    " FROM sections_fts JOIN sections s ON s.rowid = sections_fts.rowid"
    " WHERE sections_fts MATCH ? AND s.section_id IN (__MARKS__)"
)


class LexicalIndex:
    """FTS5 index of sections, keyed by section id. Safe to share between threads."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=30000")
        with self._lock:
            self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- writes ---------------------------------------------------------------------------
    def upsert(self, docs: Iterable[LexicalDoc], *, passages: Sequence[PassageRow] = ()) -> int:
        """Add or replace sections (by section id), with the passages they were cut into.
        Returns how many sections were written."""
        docs = list(docs)
        if not docs:
            return 0
        counts = Counter(p.section_id for p in passages)
        with self._lock, self._transaction():
            self._delete_locked([d.section_id for d in docs])
            added: Counter[str] = Counter()
            for doc in docs:
                cursor = self._db.execute(
                    "INSERT INTO sections (section_id, version, focus, question, qtype, source,"
                    " url, topics, passages) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        doc.section_id,
                        int(doc.version),
                        doc.focus,
                        doc.question,
                        doc.qtype,
                        doc.source,
                        doc.url,
                        _TOPIC_SEPARATOR.join(doc.topics),
                        counts.get(doc.section_id, 0),
                    ),
                )
                self._db.execute(
                    "INSERT INTO sections_fts (rowid, focus, question, text) VALUES (?, ?, ?, ?)",
                    (cursor.lastrowid, with_topics(doc.focus, doc.topics), doc.question, doc.text),
                )
                added.update(set(search_tokens(f"{doc.focus} {doc.question} {doc.text}")))
            self._db.executemany(
                "INSERT INTO passages (passage_id, section_id, text) VALUES (?, ?, ?)",
                [tuple(p) for p in passages],
            )
            self._add_words(added, +1)
            self._bump([d.section_id for d in docs])
        return len(docs)

    def delete(self, section_ids: Iterable[str]) -> int:
        """Remove sections; unknown ids are ignored. Returns how many were removed."""
        with self._lock, self._transaction():
            ids = list(section_ids)
            removed = self._delete_locked(ids)
            if removed:
                self._bump(ids)
        return removed

    def clear(self) -> None:
        with self._lock, self._transaction():
            self._db.execute("DELETE FROM sections")
            self._db.execute("DELETE FROM passages")
            self._db.execute("DELETE FROM sections_fts")
            self._db.execute("DELETE FROM words")
            self._db.execute("DELETE FROM changes")
            generation = self._bump([])
            self._db.execute("UPDATE state SET value = ? WHERE key = 'reset'", (str(generation),))

    def _delete_locked(self, section_ids: list[str]) -> int:
        removed = 0
        gone: Counter[str] = Counter()
        for chunk in _chunks(section_ids, 500):
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                # The focus as written (the column adds its topics), as `upsert` counted it.
                f"SELECT s.rowid, s.focus, f.question, f.text FROM sections s"  # noqa: S608
                f" JOIN sections_fts f ON f.rowid = s.rowid WHERE s.section_id IN ({marks})",
                chunk,
            ).fetchall()
            self._db.execute(
                f"DELETE FROM passages WHERE section_id IN ({marks})",  # noqa: S608
                chunk,
            )
            for rowid, focus, question, text in rows:
                gone.update(set(search_tokens(f"{focus} {question} {text}")))
                self._db.execute("DELETE FROM sections_fts WHERE rowid = ?", (rowid,))
                self._db.execute("DELETE FROM sections WHERE rowid = ?", (rowid,))
            removed += len(rows)
        if gone:
            self._add_words(gone, -1)
        return removed

    def _add_words(self, counts: Counter[str], sign: int) -> None:
        self._db.executemany(
            "INSERT INTO words (word, df) VALUES (?, ?)"
            " ON CONFLICT(word) DO UPDATE SET df = df + excluded.df",
            [(w, sign * n) for w, n in counts.items()],
        )
        if sign < 0:
            self._db.execute("DELETE FROM words WHERE df <= 0")

    def _bump(self, section_ids: Sequence[str]) -> int:
        """Advance the generation and record which sections it changed."""
        self._db.execute(
            "UPDATE state SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'"
        )
        generation = int(
            self._db.execute("SELECT value FROM state WHERE key = 'generation'").fetchone()[0]
        )
        self._db.executemany(
            "INSERT INTO changes (generation, section_id) VALUES (?, ?)",
            [(generation, sid) for sid in section_ids],
        )
        return generation

    def _transaction(self):
        db = self._db

        class _Tx:
            def __enter__(self_inner):
                db.execute("BEGIN IMMEDIATE")

            def __exit__(self_inner, exc_type, exc, tb):
                db.execute("COMMIT" if exc_type is None else "ROLLBACK")
                return False

        return _Tx()

    # -- reads ----------------------------------------------------------------------------
    def search(
        self, terms: Sequence[str], *, limit: int = 100, weights: Sequence[float] = FIELD_WEIGHTS
    ) -> list[tuple[str, float]]:
        """Sections matching any of `terms`, best first, as (section_id, bm25 score > 0)."""
        expression = match_expression(terms)
        if not expression:
            return []
        w_focus, w_question, w_text = (float(w) for w in weights)
        with self._lock:
            rows = self._db.execute(
                "SELECT s.section_id, -bm25(sections_fts, ?, ?, ?) AS score"
                " FROM sections_fts JOIN sections s ON s.rowid = sections_fts.rowid"
                " WHERE sections_fts MATCH ? ORDER BY bm25(sections_fts, ?, ?, ?) LIMIT ?",
                (w_focus, w_question, w_text, expression, w_focus, w_question, w_text, limit),
            ).fetchall()
        return [(section_id, float(score)) for section_id, score in rows]

    def scores(
        self,
        terms: Sequence[str],
        section_ids: Sequence[str],
        *,
        weights: Sequence[float] = FIELD_WEIGHTS,
    ) -> dict[str, float]:
        """BM25 scores (same scale as `search`) of these particular sections; sections that
        match none of the terms are left out."""
        expression = match_expression(terms)
        if not expression or not section_ids:
            return {}
        w_focus, w_question, w_text = (float(w) for w in weights)
        out: dict[str, float] = {}
        with self._lock:
            for chunk in _chunks(list(section_ids), 500):
                marks = ",".join("?" * len(chunk))
                # Only "?" placeholders are spliced into the statement.
                sql = _SCORES_SQL.replace("__MARKS__", marks)
                rows = self._db.execute(
                    sql, (w_focus, w_question, w_text, expression, *chunk)
                ).fetchall()
                out.update((sid, float(score)) for sid, score in rows)
        return out

    def search_query(self, query: str, *, limit: int = 100) -> list[tuple[str, float]]:
        """`search` over the content words of free text."""
        return self.search(search_terms(query), limit=limit)

    def versions(self) -> dict[str, int]:
        with self._lock:
            return dict(self._db.execute("SELECT section_id, version FROM sections").fetchall())

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM sections").fetchone()[0])

    def sections(self, section_ids: Sequence[str] | None = None) -> dict[str, SectionMeta]:
        """Rows of these sections (all when None), by section id."""
        query = (
            "SELECT section_id, version, focus, question, qtype, source, url, topics, passages"
            " FROM sections"
        )
        with self._lock:
            if section_ids is None:
                rows = self._db.execute(query).fetchall()
            else:
                rows = []
                ids = list(section_ids)
                for chunk in _chunks(ids, 500):
                    marks = ",".join("?" * len(chunk))
                    rows += self._db.execute(
                        f"{query} WHERE section_id IN ({marks})", chunk
                    ).fetchall()
        return {
            row[0]: SectionMeta(
                section_id=row[0],
                version=int(row[1]),
                focus=row[2],
                question=row[3],
                qtype=row[4],
                source=row[5],
                url=row[6],
                topics=tuple(t for t in row[7].split(_TOPIC_SEPARATOR) if t),
                passages=int(row[8]),
            )
            for row in rows
        }

    def passage_texts(self, passage_ids: Sequence[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        with self._lock:
            for chunk in _chunks(list(passage_ids), 500):
                marks = ",".join("?" * len(chunk))
                out.update(
                    self._db.execute(
                        f"SELECT passage_id, text FROM passages WHERE passage_id IN ({marks})",  # noqa: S608
                        chunk,
                    ).fetchall()
                )
        return out

    def names(self) -> list[SectionName]:
        with self._lock:
            rows = self._db.execute("SELECT section_id, focus, topics, qtype FROM sections")
            return [
                SectionName(sid, focus, tuple(t for t in topics.split(_TOPIC_SEPARATOR) if t), qt)
                for sid, focus, topics, qt in rows.fetchall()
            ]

    def vocabulary(self, *, min_df: int = 1) -> dict[str, int]:
        """Surface words of the indexed text and in how many sections each occurs."""
        with self._lock:
            rows = self._db.execute("SELECT word, df FROM words WHERE df >= ?", (min_df,))
            return dict(rows.fetchall())

    def changes_since(self, generation: int) -> set[str] | None:
        """Sections added, replaced or removed after `generation`; None when the index was
        cleared since (a reader must then reload everything)."""
        with self._lock:
            reset = int(
                self._db.execute("SELECT value FROM state WHERE key = 'reset'").fetchone()[0]
            )
            if reset > generation:
                return None
            rows = self._db.execute(
                "SELECT DISTINCT section_id FROM changes WHERE generation > ?", (generation,)
            )
            return {row[0] for row in rows.fetchall()}

    def match_count(self, word: str) -> int:
        """In how many sections `word` matches, with its other forms: the index stems words
        ("treating" also finds "treat", "treated", "treats"), so this is often far more than
        the sections holding the word as written (`vocabulary`)."""
        expression = match_expression([word])
        if not expression:
            return 0
        with self._lock:
            row = self._db.execute(
                "SELECT count(*) FROM sections_fts WHERE sections_fts MATCH ?", (expression,)
            ).fetchone()
        return int(row[0])

    def generation(self) -> int:
        """Changes whenever the index content changes (lets readers refresh their caches)."""
        with self._lock:
            row = self._db.execute("SELECT value FROM state WHERE key = 'generation'").fetchone()
        return int(row[0])


# A row's terms: term -> [offsets in focus, question, text; counts in focus, question, text]. The
# offsets are comma-separated numbers ("" where the term is absent): the form a PostgreSQL array
# is written in.
Postings = dict[str, list[Any]]
_COLUMNS = {"focus": 0, "question": 1, "text": 2}


class Fts5Tokens:
    """The terms FTS5 makes of text (lowercased, diacritics removed, Porter-stemmed), read back
    from a scratch in-memory FTS5 table with the index's own tokenizer: another store (the
    PostgreSQL one) then holds and matches exactly the terms this index would, with no second
    tokenizer or stemmer to drift from it. Safe to share between threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._db = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        self._db.executescript(
            "CREATE VIRTUAL TABLE scratch USING fts5(focus, question, text,"
            f" tokenize = '{TOKENIZER}');"
            "CREATE VIRTUAL TABLE scratch_terms USING fts5vocab(scratch, 'instance');"
        )
        self._phrases: dict[str, tuple[str, ...]] = {}

    def documents(self, rows: Sequence[tuple[str, str, str]]) -> list[tuple[Postings, int]]:
        """For each (focus, question, text): its `Postings` and how many tokens it holds in all
        (FTS5's row length for BM25)."""
        postings: list[Postings] = [{} for _ in rows]
        lengths = [0] * len(rows)
        with self._lock:
            self._db.execute("BEGIN")
            try:
                self._db.executemany(
                    "INSERT INTO scratch (rowid, focus, question, text) VALUES (?, ?, ?, ?)",
                    [(n, *row) for n, row in enumerate(rows)],
                )
                # Grouped by SQLite: one Python step per (term, row, column), not per token.
                grouped = self._db.execute(
                    "SELECT term, doc, col, group_concat(offset, ','), count(*)"
                    " FROM scratch_terms GROUP BY term, doc, col"
                )
                for term, doc, col, offsets, n in grouped:
                    columns = postings[doc].get(term)
                    if columns is None:
                        columns = postings[doc][term] = ["", "", "", 0, 0, 0]
                    columns[_COLUMNS[col]] = offsets
                    columns[3 + _COLUMNS[col]] = n
                    lengths[doc] += n
            finally:
                self._db.execute("ROLLBACK")  # the scratch table is left empty
        return list(zip(postings, lengths, strict=True))

    def phrase(self, term: str) -> tuple[str, ...]:
        """The terms FTS5 reads a quoted query word as, in order ("alzheimer's" is the phrase
        "alzheim s": both, next to each other)."""
        known = self._phrases.get(term)
        if known is not None:
            return known
        postings, _ = self.documents([("", "", term)])[0]
        by_offset = sorted(
            (int(offset), t) for t, columns in postings.items() for offset in columns[2].split(",")
        )
        phrase = tuple(t for _, t in by_offset)
        if len(self._phrases) > 50_000:  # bounded: query words are open-ended
            self._phrases.clear()
        self._phrases[term] = phrase
        return phrase


def with_topics(focus: str, topics: Sequence[str]) -> str:
    """What the focus column holds: the focus and its other names."""
    return " ; ".join([focus, *[t for t in topics if t and t != focus]])


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def lexical_name(collection_prefix: str, *, chroma_host: str | None, directory: Path) -> str:
    """Under which name the PostgreSQL lexical index pairs with these vectors. A Chroma server is
    one for every host, and its collections are named by the prefix alone; an embedded Chroma is
    the directory it lives in (two folders, two indexes, even on one database)."""
    if chroma_host:
        return collection_prefix
    return f"{collection_prefix}:{Path(directory).resolve()}"

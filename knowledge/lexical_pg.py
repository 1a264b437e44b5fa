"""The lexical index in PostgreSQL: what `LexicalIndex` keeps in its SQLite file, in tables that
web and worker processes on any host share through the database.

Same interface and same ranking as the SQLite FTS5 index (`knowledge.lexical.LexicalIndex`): the
terms are the ones FTS5's own tokenizer makes (`Fts5Tokens`: lowercased, diacritics removed,
Porter-stemmed), and the score is FTS5's `bm25()` computed in SQL over a posting table, with the
same column weights, k1 = 1.2, b = 0.75, the same IDF floor and phrases for quoted words with an
apostrophe ("alzheimer's" matches "alzheim" followed by "s"). The hybrid retriever normalises
BM25 by the best match and mixes it with other signals, so equal scores keep its ranking equal.

Tables (created here on first use, not by a Django migration: like the SQLite file they are a
rebuildable copy of approved content, which `reindex` fills from the database, and any process
that opens the index, Django's or a benchmark's, gets them on whatever database it names). Several
indexes can share one database, each under its own name (`knowledge_lexical_index`):
- `knowledge_lexical_section`: one row per section (its names and labels, its length in tokens,
  its distinct written words for the vocabulary);
- `knowledge_lexical_posting`: one row per (term, section) with the term's token offsets in each
  column (the term frequency is their count; the offsets serve phrases), keyed by
  (index, term, section) so a query reads each term's postings in one index range;
- `knowledge_lexical_word` (written words and in how many sections each occurs),
  `knowledge_lexical_passage` (passage texts for display), `knowledge_lexical_change` (which
  sections each generation changed).

Writes take the index's row lock first, so writers from any process or host run one at a time and
the generation counter moves in the same transaction as the content it stands for: a reader that
sees generation N sees every change up to N, and `changes_since` never misses one.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from knowledge.lexical import (
    FIELD_WEIGHTS,
    Fts5Tokens,
    LexicalDoc,
    PassageRow,
    SectionMeta,
    SectionName,
    with_topics,
)
from knowledge.text import search_terms, search_tokens

# FTS5's bm25() constants (ext/fts5/fts5_aux.c).
K1 = 1.2
B = 0.75
IDF_FLOOR = 1e-6

_SCHEMA = """
CREATE TABLE IF NOT EXISTS knowledge_lexical_index (
    id serial PRIMARY KEY,
    name text NOT NULL UNIQUE,
    generation bigint NOT NULL DEFAULT 0,
    reset bigint NOT NULL DEFAULT 0,
    sections bigint NOT NULL DEFAULT 0,
    tokens bigint NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS knowledge_lexical_section (
    doc bigserial PRIMARY KEY,
    index_id integer NOT NULL REFERENCES knowledge_lexical_index (id) ON DELETE CASCADE,
    section_id text NOT NULL,
    version integer NOT NULL,
    focus text NOT NULL,
    question text NOT NULL,
    qtype text NOT NULL,
    source text NOT NULL,
    url text NOT NULL,
    topics text[] NOT NULL,
    passages integer NOT NULL,
    length integer NOT NULL,
    words text[] NOT NULL,
    UNIQUE (index_id, section_id)
);
CREATE TABLE IF NOT EXISTS knowledge_lexical_posting (
    index_id integer NOT NULL,
    term text NOT NULL,
    doc bigint NOT NULL,
    length integer NOT NULL,
    tf_focus smallint NOT NULL,
    tf_question smallint NOT NULL,
    tf_text smallint NOT NULL,
    focus integer[] NOT NULL,
    question integer[] NOT NULL,
    text integer[] NOT NULL,
    PRIMARY KEY (index_id, term, doc) INCLUDE (length, tf_focus, tf_question, tf_text)
);
CREATE INDEX IF NOT EXISTS knowledge_lexical_posting_doc ON knowledge_lexical_posting (doc);
CREATE TABLE IF NOT EXISTS knowledge_lexical_word (
    index_id integer NOT NULL,
    word text NOT NULL,
    df integer NOT NULL,
    PRIMARY KEY (index_id, word)
);
CREATE TABLE IF NOT EXISTS knowledge_lexical_passage (
    index_id integer NOT NULL,
    passage_id text NOT NULL,
    section_id text NOT NULL,
    text text NOT NULL,
    PRIMARY KEY (index_id, passage_id)
);
CREATE INDEX IF NOT EXISTS knowledge_lexical_passage_section
    ON knowledge_lexical_passage (index_id, section_id);
CREATE TABLE IF NOT EXISTS knowledge_lexical_change (
    index_id integer NOT NULL,
    generation bigint NOT NULL,
    section_id text NOT NULL
);
CREATE INDEX IF NOT EXISTS knowledge_lexical_change_generation
    ON knowledge_lexical_change (index_id, generation);
"""
# After a write of this many sections, the posting table is vacuumed and analysed at once rather
# than when autovacuum comes round (up to a minute or more): until its pages are marked all-visible,
# a term's postings are read from the table instead of from the key's index alone, and BM25-mode
# searches of common words took up to 6 times as long (p95 152 ms against 26 ms on the full corpus).
VACUUM_AFTER = 500
# Any fixed number: processes opening the index at once create the tables one at a time
# (concurrent CREATE TABLE IF NOT EXISTS can still collide in PostgreSQL's catalogue).
_SCHEMA_LOCK = 0x6C6578


def _copy_text(value: str) -> str:
    """A value as a field of COPY's text format."""
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        value = value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
        value = value.replace("\r", "\\r")
    return value


class PostgresLexicalIndex:
    """The lexical index of sections in PostgreSQL, under `name`. Safe to share between threads;
    a forked child opens connections of its own."""

    def __init__(self, conninfo: str, *, name: str, pool_size: int = 4) -> None:
        self.conninfo = conninfo
        self.name = name
        self._pool_size = pool_size
        self._pool_lock = threading.Lock()
        self._pool: Any = None
        self._pid = 0
        self._inherited: list[Any] = []
        self._tokens = Fts5Tokens()
        with self._connection() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
            conn.execute(_SCHEMA)
            conn.execute(
                "INSERT INTO knowledge_lexical_index (name) VALUES (%s) ON CONFLICT DO NOTHING",
                (name,),
            )
            row = conn.execute(
                "SELECT id FROM knowledge_lexical_index WHERE name = %s", (name,)
            ).fetchone()
        self.index_id = int(row[0])

    # -- connections ----------------------------------------------------------------------
    @contextmanager
    def _connection(self) -> Iterator[Any]:
        with self._current_pool().connection() as conn:
            yield conn

    def _current_pool(self) -> Any:
        """This process's pool: at most `pool_size` connections, back to one when idle."""
        pid = os.getpid()
        with self._pool_lock:
            if self._pool is None or self._pid != pid:
                from psycopg_pool import ConnectionPool

                if self._pool is not None:
                    # Inherited over a fork: its sockets are the parent's. Closing them here
                    # would end the parent's sessions, so the old pool is only kept, unused.
                    self._inherited.append(self._pool)
                self._pool = ConnectionPool(
                    self.conninfo,
                    min_size=1,
                    max_size=self._pool_size,
                    max_idle=30.0,
                    kwargs={"autocommit": True},
                    name=f"lexical-{self.name}",
                    open=True,
                )
                self._pid = pid
            return self._pool

    def close(self) -> None:
        with self._pool_lock:
            if self._pool is not None and self._pid == os.getpid():
                self._pool.close()
            self._pool = None

    def drop(self) -> None:
        """Delete this index's rows and its name (tests, scratch builds)."""
        with self._write() as cur:
            self._delete_all(cur)
            cur.execute("DELETE FROM knowledge_lexical_index WHERE id = %s", (self.index_id,))

    # -- writes ---------------------------------------------------------------------------
    @contextmanager
    def _write(self) -> Iterator[Any]:
        """A transaction holding this index's row lock: one writer at a time, on any host."""
        with self._connection() as conn, conn.transaction(), conn.cursor() as cur:
            cur.execute(
                "SELECT id FROM knowledge_lexical_index WHERE id = %s FOR UPDATE",
                (self.index_id,),
            )
            yield cur

    def upsert(self, docs: Iterable[LexicalDoc], *, passages: Sequence[PassageRow] = ()) -> int:
        """Add or replace sections (by section id), with the passages they were cut into.
        Returns how many sections were written."""
        docs = list(docs)
        if not docs:
            return 0
        counts = Counter(p.section_id for p in passages)
        tokenized = self._tokens.documents(
            [(with_topics(d.focus, d.topics), d.question, d.text) for d in docs]
        )
        surface = [sorted(set(search_tokens(f"{d.focus} {d.question} {d.text}"))) for d in docs]
        ix = self.index_id
        with self._write() as cur:
            self._delete_locked(cur, [d.section_id for d in docs])
            cur.execute(
                "SELECT nextval('knowledge_lexical_section_doc_seq') FROM generate_series(1, %s)",
                (len(docs),),
            )
            numbers = [int(row[0]) for row in cur.fetchall()]
            with cur.copy(
                "COPY knowledge_lexical_section (doc, index_id, section_id, version, focus,"
                " question, qtype, source, url, topics, passages, length, words) FROM STDIN"
            ) as copy:
                for number, doc, (_, length), written in zip(
                    numbers, docs, tokenized, surface, strict=True
                ):
                    copy.write_row(
                        (
                            number,
                            ix,
                            doc.section_id,
                            int(doc.version),
                            doc.focus,
                            doc.question,
                            doc.qtype,
                            doc.source,
                            doc.url,
                            list(doc.topics),
                            counts.get(doc.section_id, 0),
                            length,
                            written,
                        )
                    )
            # Written as COPY text (adapting 100k+ arrays one by one took most of the time),
            # sorted by term: a term's postings from one write share a few pages.
            lines = sorted(
                (
                    term,
                    f"{ix}\t{_copy_text(term)}\t{number}\t{length}\t{nf}\t{nq}\t{nt}"
                    f"\t{{{f}}}\t{{{q}}}\t{{{t}}}\n",
                )
                for number, (postings, length) in zip(numbers, tokenized, strict=True)
                for term, (f, q, t, nf, nq, nt) in postings.items()
            )
            with cur.copy(
                "COPY knowledge_lexical_posting (index_id, term, doc, length, tf_focus,"
                " tf_question, tf_text, focus, question, text) FROM STDIN"
            ) as copy:
                for start in range(0, len(lines), 10_000):
                    copy.write("".join(line for _, line in lines[start : start + 10_000]))
            with cur.copy(
                "COPY knowledge_lexical_passage (index_id, passage_id, section_id, text) FROM STDIN"
            ) as copy:
                for p in passages:
                    copy.write_row((ix, p.passage_id, p.section_id, p.text))
            self._add_words(cur, Counter(w for written in surface for w in written), +1)
            cur.execute(
                "UPDATE knowledge_lexical_index SET sections = sections + %s,"
                " tokens = tokens + %s WHERE id = %s",
                (len(docs), sum(length for _, length in tokenized), ix),
            )
            self._bump(cur, [d.section_id for d in docs])
        if len(docs) >= VACUUM_AFTER:
            self._vacuum()
        return len(docs)

    def delete(self, section_ids: Iterable[str]) -> int:
        """Remove sections; unknown ids are ignored. Returns how many were removed."""
        ids = list(section_ids)
        with self._write() as cur:
            removed = self._delete_locked(cur, ids)
            if removed:
                self._bump(cur, ids)
        if removed >= VACUUM_AFTER:
            self._vacuum()
        return removed

    def clear(self) -> None:
        with self._write() as cur:
            self._delete_all(cur)
            generation = self._bump(cur, [])
            cur.execute(
                "UPDATE knowledge_lexical_index SET reset = %s WHERE id = %s",
                (generation, self.index_id),
            )

    def _vacuum(self) -> None:
        """Mark the posting table's pages all-visible and refresh its statistics (outside any
        transaction; it blocks neither readers nor writers)."""
        with self._connection() as conn:
            conn.execute("VACUUM (ANALYZE) knowledge_lexical_posting")

    def _delete_all(self, cur: Any) -> None:
        ix = self.index_id
        for table in ("posting", "section", "passage", "word", "change"):
            cur.execute(f"DELETE FROM knowledge_lexical_{table} WHERE index_id = %s", (ix,))  # noqa: S608 (fixed names)
        cur.execute(
            "UPDATE knowledge_lexical_index SET sections = 0, tokens = 0 WHERE id = %s", (ix,)
        )

    def _delete_locked(self, cur: Any, section_ids: list[str]) -> int:
        if not section_ids:
            return 0
        ix = self.index_id
        cur.execute(
            "DELETE FROM knowledge_lexical_section WHERE index_id = %s AND section_id = ANY(%s)"
            " RETURNING doc, length, words",
            (ix, section_ids),
        )
        rows = cur.fetchall()
        cur.execute(
            "DELETE FROM knowledge_lexical_passage WHERE index_id = %s AND section_id = ANY(%s)",
            (ix, section_ids),
        )
        if not rows:
            return 0
        cur.execute(
            "DELETE FROM knowledge_lexical_posting WHERE doc = ANY(%s)", ([r[0] for r in rows],)
        )
        self._add_words(cur, Counter(w for _, _, written in rows for w in written), -1)
        cur.execute(
            "UPDATE knowledge_lexical_index SET sections = sections - %s,"
            " tokens = tokens - %s WHERE id = %s",
            (len(rows), sum(r[1] for r in rows), ix),
        )
        return len(rows)

    def _add_words(self, cur: Any, counts: Counter[str], sign: int) -> None:
        if not counts:
            return
        cur.execute(
            "INSERT INTO knowledge_lexical_word (index_id, word, df)"
            " SELECT %s, w, n FROM unnest(%s::text[], %s::integer[]) AS c (w, n)"
            " ON CONFLICT (index_id, word) DO UPDATE"
            " SET df = knowledge_lexical_word.df + excluded.df",
            (self.index_id, list(counts), [sign * n for n in counts.values()]),
        )
        if sign < 0:
            cur.execute(
                "DELETE FROM knowledge_lexical_word WHERE index_id = %s AND df <= 0",
                (self.index_id,),
            )

    def _bump(self, cur: Any, section_ids: Sequence[str]) -> int:
        """Advance the generation and record which sections it changed (same transaction)."""
        cur.execute(
            "UPDATE knowledge_lexical_index SET generation = generation + 1 WHERE id = %s"
            " RETURNING generation",
            (self.index_id,),
        )
        generation = int(cur.fetchone()[0])
        if section_ids:
            cur.execute(
                "INSERT INTO knowledge_lexical_change (index_id, generation, section_id)"
                " SELECT %s, %s, unnest(%s::text[])",
                (self.index_id, generation, list(section_ids)),
            )
        return generation

    # -- BM25 -----------------------------------------------------------------------------
    def _phrases(self, terms: Sequence[str]) -> list[tuple[str, ...]]:
        """The query's phrases as FTS5 reads `match_expression(terms)`: each distinct term,
        quotes removed, tokenized (a term that makes no token is dropped)."""
        unique = dict.fromkeys(t.replace('"', "") for t in terms if t)
        return [p for p in (self._tokens.phrase(t) for t in unique if t) if p]

    def _hits_sql(self, i: int, phrase: tuple[str, ...], params: dict[str, Any]) -> str:
        """SELECT (doc, length, hits in focus, question, text) for every row holding phrase `i`.
        Only numbers and fixed fragments are spliced in; the terms are parameters."""
        params["ix"] = self.index_id
        for j, term in enumerate(phrase):
            params[f"t{i}_{j}"] = term
        joins = "".join(
            f" JOIN knowledge_lexical_posting p{j} ON p{j}.index_id = p0.index_id"
            f" AND p{j}.term = %(t{i}_{j})s AND p{j}.doc = p0.doc"
            for j in range(1, len(phrase))
        )
        rows = f" FROM knowledge_lexical_posting p0{joins}"
        rows += f" WHERE p0.index_id = %(ix)s AND p0.term = %(t{i}_0)s"
        if len(phrase) == 1:  # read from the key's index alone once the table is vacuumed
            return (
                "SELECT p0.doc, p0.length, p0.tf_focus AS cf, p0.tf_question AS cq,"
                f" p0.tf_text AS ct{rows}"
            )
        # A phrase: its first term's offsets followed by the next terms' in order.
        counts = [
            f"(SELECT count(*) FROM unnest(p0.{c}) AS x WHERE "  # noqa: S608 (numbers)
            + " AND ".join(f"x + {j} = ANY(p{j}.{c})" for j in range(1, len(phrase)))
            + ")"
            for c in ("focus", "question", "text")
        ]
        return (
            f"SELECT * FROM (SELECT p0.doc, p0.length, {counts[0]} AS cf, {counts[1]} AS cq,"  # noqa: S608
            f" {counts[2]} AS ct{rows}) AS phrase_rows WHERE cf + cq + ct > 0"
        )

    def _bm25_sql(self, phrases, weights, params, *, where: str = "", limit: bool = True) -> str:
        """(section id, score) of the matching sections, best first: FTS5's bm25().

        Each phrase's IDF is a scalar subquery over its own postings (computed once per
        statement, from the key's index), so the rows are summed in one pass; the section rows
        are read for the best `limit` only (the postings carry the length)."""
        w_focus, w_question, w_text = (float(w) for w in weights)
        params.update(wf=w_focus, wq=w_question, wt=w_text, k1=K1, b=B, floor=IDF_FLOOR)
        params["ix"] = self.index_id
        n = "(SELECT sections::float8 FROM knowledge_lexical_index WHERE id = %(ix)s)"
        avgdl = (
            "(SELECT tokens::float8 / greatest(sections, 1)"
            " FROM knowledge_lexical_index WHERE id = %(ix)s)"
        )
        parts = []
        for i, phrase in enumerate(phrases):
            hits = self._hits_sql(i, phrase, params)
            idf = (
                f"(SELECT greatest(%(floor)s, ln(({n} - c + 0.5) / (c + 0.5)))"  # noqa: S608
                f" FROM (SELECT count(*)::float8 AS c FROM ({hits}) AS m) AS matched)"
            )
            parts.append(
                f"SELECT h.doc, {idf} * (h.freq * (%(k1)s + 1)) / (h.freq + %(k1)s"  # noqa: S608
                f" * (1 - %(b)s + %(b)s * h.length / {avgdl})) AS part"
                " FROM (SELECT doc, length, %(wf)s * cf + %(wq)s * cq + %(wt)s * ct AS freq"
                f" FROM ({hits}) AS r) AS h"
            )
        top = " LIMIT %(limit)s" if limit else ""
        return (
            "SELECT s.section_id, scored.score FROM (SELECT doc, sum(part) AS score"  # noqa: S608
            f" FROM ({' UNION ALL '.join(parts)}) AS parts"
            f" GROUP BY doc ORDER BY score DESC, doc{top}) AS scored"
            f" JOIN knowledge_lexical_section s ON s.doc = scored.doc {where}"
            " ORDER BY scored.score DESC, scored.doc"
        )

    # -- reads ----------------------------------------------------------------------------
    def search(
        self, terms: Sequence[str], *, limit: int = 100, weights: Sequence[float] = FIELD_WEIGHTS
    ) -> list[tuple[str, float]]:
        """Sections matching any of `terms`, best first, as (section_id, bm25 score > 0)."""
        phrases = self._phrases(terms)
        if not phrases:
            return []
        params: dict[str, Any] = {"limit": limit}
        sql = self._bm25_sql(phrases, weights, params)
        with self._connection() as conn:
            rows = conn.execute(sql, params).fetchall()
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
        phrases = self._phrases(terms)
        if not phrases or not section_ids:
            return {}
        params: dict[str, Any] = {"ids": list(section_ids)}
        sql = self._bm25_sql(
            phrases, weights, params, where="WHERE s.section_id = ANY(%(ids)s)", limit=False
        )
        with self._connection() as conn:
            rows = conn.execute(sql, params).fetchall()
        return {sid: float(score) for sid, score in rows}

    def search_query(self, query: str, *, limit: int = 100) -> list[tuple[str, float]]:
        """`search` over the content words of free text."""
        return self.search(search_terms(query), limit=limit)

    def match_count(self, word: str) -> int:
        """In how many sections `word` matches, with its other forms (see
        `LexicalIndex.match_count`)."""
        phrases = self._phrases([word])
        if not phrases:
            return 0
        params: dict[str, Any] = {}
        hits = self._hits_sql(0, phrases[0], params)
        with self._connection() as conn:
            row = conn.execute(f"SELECT count(*) FROM ({hits}) AS h", params).fetchone()  # noqa: S608
        return int(row[0])

    def _rows(self, sql: str, params: Sequence[Any]) -> list[tuple]:
        with self._connection() as conn:
            return conn.execute(sql, params).fetchall()

    def versions(self) -> dict[str, int]:
        return dict(
            self._rows(
                "SELECT section_id, version FROM knowledge_lexical_section WHERE index_id = %s",
                (self.index_id,),
            )
        )

    def count(self) -> int:
        rows = self._rows(
            "SELECT sections FROM knowledge_lexical_index WHERE id = %s", (self.index_id,)
        )
        return int(rows[0][0])

    def sections(self, section_ids: Sequence[str] | None = None) -> dict[str, SectionMeta]:
        """Rows of these sections (all when None), by section id."""
        query = (
            "SELECT section_id, version, focus, question, qtype, source, url, topics, passages"
            " FROM knowledge_lexical_section WHERE index_id = %s"
        )
        if section_ids is None:
            rows = self._rows(query, (self.index_id,))
        else:
            rows = self._rows(
                query + " AND section_id = ANY(%s)", (self.index_id, list(section_ids))
            )
        return {
            row[0]: SectionMeta(
                section_id=row[0],
                version=int(row[1]),
                focus=row[2],
                question=row[3],
                qtype=row[4],
                source=row[5],
                url=row[6],
                topics=tuple(t for t in row[7] if t),
                passages=int(row[8]),
            )
            for row in rows
        }

    def passage_texts(self, passage_ids: Sequence[str]) -> dict[str, str]:
        if not passage_ids:
            return {}
        return dict(
            self._rows(
                "SELECT passage_id, text FROM knowledge_lexical_passage"
                " WHERE index_id = %s AND passage_id = ANY(%s)",
                (self.index_id, list(passage_ids)),
            )
        )

    def names(self) -> list[SectionName]:
        rows = self._rows(
            "SELECT section_id, focus, topics, qtype FROM knowledge_lexical_section"
            " WHERE index_id = %s",
            (self.index_id,),
        )
        return [
            SectionName(sid, focus, tuple(t for t in topics if t), qtype)
            for sid, focus, topics, qtype in rows
        ]

    def vocabulary(self, *, min_df: int = 1) -> dict[str, int]:
        """Surface words of the indexed text and in how many sections each occurs."""
        return dict(
            self._rows(
                "SELECT word, df FROM knowledge_lexical_word WHERE index_id = %s AND df >= %s",
                (self.index_id, min_df),
            )
        )

    def changes_since(self, generation: int) -> set[str] | None:
        """Sections added, replaced or removed after `generation`; None when the index was
        cleared since (a reader must then reload everything). One statement: one snapshot."""
        rows = self._rows(
            "SELECT i.reset, array(SELECT DISTINCT c.section_id FROM knowledge_lexical_change c"
            " WHERE c.index_id = i.id AND c.generation > %s)"
            " FROM knowledge_lexical_index i WHERE i.id = %s",
            (generation, self.index_id),
        )
        reset, changed = rows[0]
        if int(reset) > generation:
            return None
        return set(changed)

    def generation(self) -> int:
        """Changes whenever the index content changes (lets readers refresh their caches)."""
        rows = self._rows(
            "SELECT generation FROM knowledge_lexical_index WHERE id = %s", (self.index_id,)
        )
        return int(rows[0][0])

"""The lexical index behaves the same in SQLite (FTS5, the embedded default) and in PostgreSQL
(what every process and host shares when the site runs on PostgreSQL).

Every check runs against both stores, on real MedQuAD sections: adding, replacing and removing
sections, BM25 ranking (the PostgreSQL store must rank exactly as FTS5 does: the hybrid retriever's
quality rests on those scores), the content generation and its change log, and two processes or
connections seeing each other's writes.
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from knowledge.corpus import load_medquad
from knowledge.index import IndexDoc
from knowledge.lexical import LexicalIndex, PassageRow
from knowledge.lexical_pg import PostgresLexicalIndex
from knowledge.text import search_terms as content_words

MUST_RUN = os.environ.get("CI", "").lower() == "true" or os.environ.get("REQUIRE_SERVICES") == "1"
ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgres")
MEDQUAD = Path(settings.PORTAL_DATA_DIR) / "medquad"
DEV_QUESTIONS = Path(settings.PORTAL_DATA_DIR).parent / "eval" / "retrieval_dev.jsonl"

pytestmark = [
    pytest.mark.services,
    pytest.mark.skipif(
        not ON_POSTGRES and not MUST_RUN,
        reason="services pass only: set DATABASE_URL to PostgreSQL",
    ),
    pytest.mark.skipif(not MEDQUAD.is_dir(), reason="MedQuAD corpus not available"),
]

# Articles asked about below, among random others.
ARTICLES = ("NIDDK_0000088", "GHR_0000163", "GHR_0000804", "NHLBI_0000058", "ADAM_0003967")
FILLER = 400


@pytest.fixture(scope="module")
def corpus() -> list[IndexDoc]:
    sections, _ = load_medquad(MEDQUAD)
    chosen = [s for s in sections if s.article_id in ARTICLES]
    others = random.Random(17).sample([s for s in sections if s.article_id not in ARTICLES], FILLER)
    # Alzheimer's sections too: "alzheimer's" is a phrase for FTS5 ("alzheim" then "s").
    alzheimer = [s for s in sections if s.focus.lower().startswith("alzheimer")][:20]
    unique = {s.external_id: s for s in chosen + others + alzheimer}
    return [IndexDoc.from_record(s) for s in unique.values()]


def _passages(docs: list[IndexDoc]) -> list[PassageRow]:
    return [PassageRow(f"{d.section_id}#0", d.section_id, d.text) for d in docs]


@pytest.fixture
def database(django_db_setup) -> str:
    """The PostgreSQL database pytest made for this run (the lexical tables live beside the
    site's, under a name of their own per index)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.fail(f"the services pass needs PostgreSQL, not {connection.vendor}")
    s = connection.settings_dict
    parts = {"dbname": s["NAME"], "user": s["USER"], "password": s["PASSWORD"]}
    parts |= {"host": s["HOST"] or "127.0.0.1", "port": str(s["PORT"] or "")}
    return " ".join(f"{k}={v}" for k, v in parts.items() if v)


class Store:
    """Opens instances of one lexical index of either kind (each with its own connection)."""

    def __init__(self, kind: str, tmp_path: Path, database: str) -> None:
        self.kind = kind
        self.path = tmp_path / "lexical.sqlite3"
        self.database = database
        self.name = f"test-{uuid.uuid4().hex}"
        self.opened: list = []

    def open(self):
        if self.kind == "sqlite":
            index = LexicalIndex(self.path)
        else:
            index = PostgresLexicalIndex(self.database, name=self.name)
        self.opened.append(index)
        return index

    def open_code(self) -> str:
        """Python that opens the same index in another process."""
        if self.kind == "sqlite":
            path = str(self.path)
            return f"from knowledge.lexical import LexicalIndex; index = LexicalIndex({path!r})"
        return (
            "from knowledge.lexical_pg import PostgresLexicalIndex; "
            f"index = PostgresLexicalIndex({self.database!r}, name={self.name!r})"
        )

    def close(self) -> None:
        if self.kind == "postgres" and self.opened:
            self.opened[0].drop()
        for index in self.opened:
            index.close()


@pytest.fixture(params=["sqlite", "postgres"])
def store(request, tmp_path, database):
    opened = Store(request.param, tmp_path, database)
    yield opened
    opened.close()


@pytest.fixture
def lexical(store, corpus):
    index = store.open()
    index.upsert(corpus, passages=_passages(corpus))
    return index


def _top_focus(index, question: str, n: int = 3) -> list[str]:
    hits = index.search(content_words(question), limit=n)
    metas = index.sections([sid for sid, _ in hits])
    return [metas[sid].focus.lower() for sid, _ in hits]


def test_search_finds_the_sections_about_what_is_asked(lexical, corpus):
    assert lexical.count() == len(corpus)
    assert all("celiac" in f for f in _top_focus(lexical, "Is celiac disease inherited?"))
    assert all("alzheimer" in f for f in _top_focus(lexical, "alzheimer's memory loss"))
    hits = lexical.search(["polycystic", "kidney"], limit=20)
    assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)
    assert all(score > 0 for _, score in hits)
    # Stemmed: other forms of a word match too, and a word found nowhere matches nothing.
    assert lexical.match_count("treating") == lexical.match_count("treated") > 0
    assert lexical.match_count("zzzunknownword") == 0
    assert lexical.search(["zzzunknownword"]) == []


def test_upsert_replaces_a_section_and_delete_removes_it(lexical, corpus):
    doc = next(d for d in corpus if d.section_id.startswith("GHR_0000163") and d.topics)
    before = lexical.vocabulary()
    replaced = dataclasses.replace(doc, version=doc.version + 1, text="Zyxquorb only.")
    assert lexical.upsert([replaced], passages=_passages([replaced])) == 1
    assert lexical.count() == len(corpus)
    assert lexical.versions()[doc.section_id] == doc.version + 1
    assert [sid for sid, _ in lexical.search(["zyxquorb"])] == [doc.section_id]
    assert lexical.passage_texts([f"{doc.section_id}#0"]) == {
        f"{doc.section_id}#0": "Zyxquorb only."
    }
    assert lexical.vocabulary().get("zyxquorb") == 1
    assert "zyxquorb" not in before

    assert lexical.delete([doc.section_id, "no-such-section"]) == 1
    assert lexical.delete(["no-such-section"]) == 0
    assert lexical.search(["zyxquorb"]) == []
    assert "zyxquorb" not in lexical.vocabulary()
    assert doc.section_id not in lexical.sections()
    assert lexical.passage_texts([f"{doc.section_id}#0"]) == {}
    # Putting the original back restores what the vocabulary said about every word.
    lexical.upsert([doc], passages=_passages([doc]))
    assert lexical.vocabulary() == before


def test_generation_and_changes(lexical, corpus):
    start = lexical.generation()
    assert lexical.changes_since(start) == set()
    a, b = corpus[1], corpus[2]
    lexical.upsert([a])
    lexical.delete([b.section_id])
    lexical.delete(["no-such-section"])  # removed nothing: no new generation
    assert lexical.generation() == start + 2
    assert lexical.changes_since(start) == {a.section_id, b.section_id}
    assert lexical.changes_since(start + 1) == {b.section_id}
    lexical.clear()
    assert lexical.count() == 0
    assert lexical.changes_since(start + 2) is None  # cleared since: reload everything
    assert lexical.changes_since(lexical.generation()) == set()


def test_another_process_sees_a_change_at_once(store, lexical, corpus):
    """A write in another process (a worker importing content) is seen here without reopening:
    the generation moves, the change log names the section, and search finds it."""
    start = lexical.generation()
    code = (
        store.open_code()
        + "\nfrom knowledge.index import IndexDoc\n"
        + "index.upsert([IndexDoc(section_id='LOCAL_1', version=1, focus='Quorblax fever',"
        + " question='What is quorblax fever?', qtype='information', text='A made-up fever.',"
        + " source='local')])\n"
    )
    env = {**os.environ, "PYTHONPATH": str(settings.BASE_DIR)}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=120)
    assert lexical.generation() == start + 1
    assert lexical.changes_since(start) == {"LOCAL_1"}
    assert [sid for sid, _ in lexical.search(["quorblax"])] == ["LOCAL_1"]
    assert lexical.sections(["LOCAL_1"])["LOCAL_1"].focus == "Quorblax fever"


def test_concurrent_writers_lose_nothing(store, lexical, corpus):
    """Two connections writing at once: every write gets a generation of its own, in the log."""
    start = lexical.generation()
    writers = [store.open(), store.open()]
    docs = corpus[:20]
    errors: list[BaseException] = []

    def write(index, mine):
        try:
            for doc in mine:
                index.upsert([doc], passages=_passages([doc]))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(w, docs[n::2])) for n, w in enumerate(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    assert lexical.generation() == start + len(docs)
    assert lexical.changes_since(start) == {d.section_id for d in docs}
    assert lexical.count() == len(corpus)
    assert all(lexical.changes_since(start + n) for n in range(len(docs)))


@pytest.mark.skipif(not DEV_QUESTIONS.is_file(), reason="dev questions not available")
def test_postgres_ranks_exactly_as_fts5(tmp_path, database, corpus):
    """Same sections, same order, same BM25 scores, for every dev question in both wordings:
    the hybrid retriever divides by the best score and mixes it with other signals, so equal
    scores keep its ranking (and its measured quality) unchanged."""
    sqlite = LexicalIndex(tmp_path / "lexical.sqlite3")
    postgres = PostgresLexicalIndex(database, name=f"test-{uuid.uuid4().hex}")
    try:
        for index in (sqlite, postgres):
            index.upsert(corpus, passages=_passages(corpus))
        rows = [json.loads(line) for line in DEV_QUESTIONS.read_text().splitlines() if line]
        questions = [row[f] for row in rows for f in ("question", "paraphrase")]
        questions += ["alzheimer's and parkinson's", "crohn's disease"]
        for question in questions:
            terms = content_words(question)
            expected = sqlite.search(terms, limit=50)
            got = postgres.search(terms, limit=50)
            assert [sid for sid, _ in got] == [sid for sid, _ in expected], question
            assert [s for _, s in got] == pytest.approx([s for _, s in expected], rel=1e-9)
        for word in ("treating", "alzheimer's", "kidney", "zzz"):
            assert postgres.match_count(word) == sqlite.match_count(word)
        assert postgres.vocabulary() == sqlite.vocabulary()
        ids = [d.section_id for d in corpus[:40]]
        assert postgres.scores(["celiac", "gluten"], ids) == pytest.approx(
            sqlite.scores(["celiac", "gluten"], ids), rel=1e-9
        )
    finally:
        postgres.drop()
        postgres.close()
        sqlite.close()

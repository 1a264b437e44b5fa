"""The hybrid retriever: candidates from the dense, lexical and name searches, their signals, and
the fused, diversified ranking (see the package docstring).
"""

from __future__ import annotations

import os
import threading
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from knowledge.passages import Passage, PassageHit
from knowledge.query_topics import (
    CAUSE_SIDE_QTYPES,
    EFFECT_SIDE_QTYPES,
    cause_effect,
    diversify,
    side_of,
)
from knowledge.retrieval.fusion import (
    _VAGUE_RE,
    DIVERSITY_PLACES,
    NAMED_COVERAGE,
    OPEN_QUESTION_CREDIT,
    Candidate,
    FusionWeights,
    _topics_of,
    fuse,
)
from knowledge.retrieval.names import (
    BORROWED_NAME_CREDIT,
    _NameIndex,
    article_of,
    name_terms,
    with_equivalents,
)
from knowledge.retrieval.query import (
    MAX_LEXICAL_TERMS,
    clean_query,
    correct_spelling,
    detect_qtypes,
    informative_terms,
)
from knowledge.text import search_terms, search_tokens

if TYPE_CHECKING:
    from knowledge.index import KnowledgeIndex, SectionMeta
    from knowledge.lexical import LexicalIndex


MODES = ("bm25", "dense", "hybrid")


# Words in more than this share of the sections are left to the other signals (each costs a
# long posting-list scan and adds little to BM25).
LEXICAL_MAX_DF = 0.1


# ...and so are words matching, in any of their forms, more than that share and more than this
# many sections: FTS5 scores every section a word matches, several ms per thousand on this
# machine kind. (A small knowledge base never reaches it: there every word is cheap.)
LEXICAL_MAX_MATCHES = 2000


# How many of the best lexical matches get a lexical score (the first `candidates` of them are
# also candidates); a section below them scores 0 on that signal.
LEXICAL_SCORED = 300


_lexical_pools: dict[int, ThreadPoolExecutor] = {}


def _lexical_pool() -> ThreadPoolExecutor:
    """This process's threads for lexical searches (one per process id: threads do not survive
    a fork, and Celery's prefork workers are forked)."""
    pid = os.getpid()
    if pid not in _lexical_pools:
        _lexical_pools[pid] = ThreadPoolExecutor(max_workers=2, thread_name_prefix="lexical")
    return _lexical_pools[pid]


@dataclass
class _Sections:
    """What the retriever keeps in memory about the indexed sections: metadata, question
    vectors and passage vectors (an exact scan of 18k questions takes ~2 ms, and every candidate
    gets exact similarities without a round trip to the store), and the article names.
    Brought up to date from the index whenever its content changes. About 60 MB for MedQuAD."""

    generation: int
    metas: list[SectionMeta]
    matrix: np.ndarray  # question vectors, one row per section
    row: dict[str, int]
    passage_ids: list[str]
    passages: np.ndarray  # passage vectors (float16 halves the memory; cosines move < 1e-3)
    passage_rows: dict[str, list[int]]  # section id -> rows in `passages`
    names: _NameIndex
    # In how many sections a word matches, all its forms included (lexical `match_count`),
    # remembered for this generation of the index: patients' messages reuse common words.
    match_counts: dict[str, int] = field(default_factory=dict)

    @classmethod
    def load(cls, index: KnowledgeIndex) -> _Sections:
        generation = index.generation()
        metas, matrix = index.question_vectors()
        passage_ids, passages = index.all_passage_vectors()
        return cls._assemble(index, generation, metas, matrix, passage_ids, passages)

    @classmethod
    def _assemble(cls, index, generation, metas, matrix, passage_ids, passages) -> _Sections:
        lexical = index.lexical
        names = _NameIndex.build(generation, lexical.names(), lexical.vocabulary())
        row = {m.section_id: i for i, m in enumerate(metas)}
        passage_rows: dict[str, list[int]] = defaultdict(list)
        for i, pid in enumerate(passage_ids):
            passage_rows[pid.rsplit("#", 1)[0]].append(i)
        return cls(
            generation=generation,
            metas=metas,
            matrix=matrix,
            row=row,
            passage_ids=passage_ids,
            passages=passages.astype(np.float16),
            passage_rows=dict(passage_rows),
            names=names,
        )

    def refreshed(self, index: KnowledgeIndex) -> _Sections:
        """This cache brought up to date (itself when nothing changed)."""
        generation = index.generation()
        if generation == self.generation:
            return self
        changed = index.changes_since(self.generation)
        if changed is None or len(changed) > len(self.metas) // 4:
            return _Sections.load(index)
        keep = [i for i, m in enumerate(self.metas) if m.section_id not in changed]
        new_metas, new_matrix = index.question_vectors(sorted(changed))
        metas = [self.metas[i] for i in keep] + new_metas
        matrix = np.vstack([self.matrix[keep], new_matrix])
        kept_passages = [
            i for i, pid in enumerate(self.passage_ids) if pid.rsplit("#", 1)[0] not in changed
        ]
        fresh = index.passage_vectors([pid for m in new_metas for pid in m.passage_ids()])
        passage_ids = [self.passage_ids[i] for i in kept_passages] + [
            h.passage_id for h, _ in fresh
        ]
        fresh_matrix = np.vstack([v for _, v in fresh]) if fresh else np.zeros((0, matrix.shape[1]))
        passages = np.vstack(
            [self.passages[kept_passages].astype(np.float32), fresh_matrix.astype(np.float32)]
        )
        return _Sections._assemble(index, generation, metas, matrix, passage_ids, passages)

    def meta(self, section_id: str) -> SectionMeta:
        return self.metas[self.row[section_id]]

    def match_count(self, word: str, lexical: LexicalIndex) -> int:
        count = self.match_counts.get(word)
        if count is None:
            count = self.match_counts[word] = lexical.match_count(word)
        return count


class HybridRetriever:
    """Search of a `KnowledgeIndex` in one of three modes: "bm25", "dense", "hybrid"."""

    def __init__(
        self,
        *,
        index: KnowledgeIndex,
        mode: str = "hybrid",
        weights: FusionWeights | None = None,
        candidates: int = 60,
        expand_articles: int = 5,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        self.index = index
        self.mode = mode
        self.weights = weights or FusionWeights.named()
        self.candidates = candidates
        self.expand_articles = expand_articles
        self._sections: _Sections | None = None
        self._sections_opened = 0  # the index's `opened` count `_sections` was loaded from
        self._sections_lock = threading.Lock()

    # -- public ---------------------------------------------------------------------------
    def search(
        self,
        query: str,
        *,
        k: int = 10,
        topics: Sequence[str] = (),
        mode: str | None = None,
    ) -> list[Passage]:
        mode = mode or self.mode
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        if not query.strip() and not topics:
            return []
        sections = self._current()
        if not sections.metas:
            return []
        if mode == "bm25":
            return self._search_bm25(query, k=k, sections=sections)
        if mode == "dense":
            return self._search_dense(query, k=k, sections=sections)
        ranked = self.rank(query, topics=topics)[:k]
        texts = self.index.passage_texts(
            [c.best_passage.passage_id for c, _ in ranked if c.best_passage]
        )
        return [
            _passage(c.meta, c, score, texts) for c, score in ranked if c.best_passage and c.meta
        ]

    # -- modes ----------------------------------------------------------------------------
    def _search_bm25(self, query: str, *, k: int, sections: _Sections) -> list[Passage]:
        terms = search_terms(clean_query(query))
        hits = [
            (sid, s) for sid, s in self.index.lexical.search(terms, limit=k) if sid in sections.row
        ]
        if not hits:
            return []
        top = hits[0][1] or 1.0
        metas = {sid: sections.metas[sections.row[sid]] for sid, _ in hits}
        texts = self.index.passage_texts([pid for m in metas.values() for pid in m.passage_ids()])
        wanted = set(terms)
        out = []
        for sid, score in hits:
            # The passage sharing most words with the query (the first on a tie).
            pid = max(
                metas[sid].passage_ids(),
                key=lambda p: (
                    len(wanted & set(search_tokens(texts.get(p, "")))),
                    -int(p.rsplit("#")[1]),
                ),
            )
            hit = _hit(metas[sid], pid)
            out.append(
                _passage(
                    metas[sid], Candidate(sid, bm25=score / top, best_passage=hit), score, texts
                )
            )
        return out

    def _search_dense(self, query: str, *, k: int, sections: _Sections) -> list[Passage]:
        vector = self.index.embed_query(clean_query(query) or query)
        best: dict[str, PassageHit] = {}
        for hit in self.index.nearest_passages(vector, n=max(50, 5 * k)):
            if hit.section_id in sections.row:
                best.setdefault(hit.section_id, hit)  # hits come best first
        top = list(best.items())[:k]
        texts = self.index.passage_texts([hit.passage_id for _, hit in top])
        return [
            _passage(
                sections.meta(sid),
                Candidate(sid, passage=hit.similarity, best_passage=hit),
                hit.similarity,
                texts,
            )
            for sid, hit in top
        ]

    # -- hybrid ---------------------------------------------------------------------------
    def rank(self, query: str, *, topics: Sequence[str] = ()) -> list[tuple[Candidate, float]]:
        """All candidates of the hybrid search with their fused score, best first."""
        candidates = self.collect(query, topics=topics)
        ranked = fuse(candidates.values(), self.weights)
        topic_of = _topics_of(candidates, self._current().names)
        return diversify(
            ranked,
            lambda c: topic_of.get(c.section_id),
            bonus=self.weights.diversity,
            places=DIVERSITY_PLACES,
        )

    def collect(self, query: str, *, topics: Sequence[str] = ()) -> dict[str, Candidate]:
        """Candidate sections for a message, with every signal filled in."""
        sections = self._current()
        if not sections.metas:
            return {}
        q = self._understand(query, topics, sections)
        n = self.candidates
        # The lexical search (SQLite) and the embedding (ONNX Runtime) both run outside the
        # GIL: the first goes on in another thread while the second is computed.
        lexical_future = _lexical_pool().submit(
            self.index.lexical.search, q.lexical_terms, limit=max(n, LEXICAL_SCORED)
        )
        vector = self.index.embed_query(q.cleaned or " ".join(topics))
        pool = _Pool(sections)
        question_sims = sections.matrix @ vector
        top = np.argpartition(-question_sims, min(n, len(question_sims) - 1))[:n]
        for i in top:
            pool.get(sections.metas[i].section_id)
        # Only sections with an approved question vector in `sections` become candidates, so
        # a passage's own metadata need not be read back (see `nearest_passage_ids`).
        for passage_id, similarity in self.index.nearest_passage_ids(vector, n=n):
            c = pool.get(passage_id.rsplit("#", 1)[0])
            if c is not None and similarity > c.passage:
                c.passage, c.best_passage = similarity, _hit(c.meta, passage_id, similarity)
        # One lexical search scores many more sections than it adds as candidates: the others
        # found by other means get their lexical score from it (a second, per-candidate query
        # would re-read every posting list).
        lexical = lexical_future.result()
        top_bm25 = lexical[0][1] if lexical else 0.0
        lexical_scores = {sid: score / top_bm25 for sid, score in lexical}
        for sid, _ in lexical[:n]:
            pool.get(sid)
        self._named_candidates(q, topics, sections.names, pool)
        _features(pool.candidates.values(), q, sections, question_sims)
        added = self._expand_articles(pool, sections.names)
        _features(added, q, sections, question_sims)
        for sid, c in pool.candidates.items():
            c.bm25 = lexical_scores.get(sid, 0.0)
        self._passage_similarities(sections, vector, pool.candidates)
        return pool.candidates

    def _understand(self, query: str, topics: Sequence[str], sections: _Sections) -> _Query:
        """What the message asks, read once: cleaned and spell-corrected, the topic names it
        spells out, the kind of question, its cause and effect sides, its lexical terms."""
        names = sections.names
        cleaned = clean_query(query)
        cleaned = correct_spelling(cleaned, names.vocabulary, max_df=names.sections // 50)
        query_terms = set(name_terms(cleaned))
        name_scores = names.matches(query_terms)
        sides = cause_effect(cleaned)
        qtypes = detect_qtypes(cleaned)
        return _Query(
            cleaned=cleaned,
            vague=not cleaned or bool(_VAGUE_RE.search(cleaned)),
            matching_terms=with_equivalents(query_terms),
            name_scores=name_scores,
            named=[i for i, coverage in name_scores.items() if coverage >= NAMED_COVERAGE],
            lexical_terms=informative_terms(
                cleaned,
                names.vocabulary,
                max_df=max(1, int(names.sections * LEXICAL_MAX_DF)),
                limit=MAX_LEXICAL_TERMS,
                # "diseases" is written in 6% of MedQuAD's sections, but matches ("disease")
                # in 43%.
                matches=lambda word: sections.match_count(word, self.index.lexical),
                max_matches=max(int(names.sections * LEXICAL_MAX_DF), LEXICAL_MAX_MATCHES),
            ),
            qtypes=qtypes,
            other_qtypes=OPEN_QUESTION_CREDIT if set(qtypes) == {"information"} else 0.0,
            has_sides=bool(sides),
            cause_words=set(name_terms(sides[0])) if sides else set(),
            effect_words=set(name_terms(sides[1])) if sides else set(),
        )

    def _named_candidates(
        self, q: _Query, topics: Sequence[str], names: _NameIndex, pool: _Pool
    ) -> None:
        """Every section of an article whose name the message spells out; and, when the
        message is vague or names no topic of its own, those of the patient's conditions."""
        n = self.candidates
        for name_id in q.named:
            for sid in names.names[name_id][1][:n]:
                pool.get(sid)
        if not topics:
            return
        names_its_topic = any(v >= 0.999 for v in q.name_scores.values())
        if q.vague or not names_its_topic:
            topic_terms = set().union(*(set(name_terms(t)) for t in topics))
            q.topic_scores = names.matches(topic_terms)
            for name_id, coverage in q.topic_scores.items():
                if coverage >= 0.999:
                    for sid in names.names[name_id][1][:n]:
                        pool.get(sid)
        # else: the message names its own topic, and the patient's record must not steer.

    def _expand_articles(self, pool: _Pool, names: _NameIndex) -> list[Candidate]:
        """The other sections of the best articles: a patient asking about a topic is often
        served by several sections of one article (causes, treatment...) that the first
        searches may miss."""
        best: dict[str, float] = {}
        for c in pool.candidates.values():
            article = article_of(c.section_id)
            best[article] = max(best.get(article, 0.0), c.score(self.weights))
        added = []
        for article in sorted(best, key=lambda a: -best[a])[: self.expand_articles]:
            for sid in names.articles.get(article, ()):
                if sid not in pool.candidates and pool.get(sid) is not None:
                    added.append(pool.candidates[sid])
        return added

    @staticmethod
    def _passage_similarities(
        sections: _Sections, vector: np.ndarray, candidates: dict[str, Candidate]
    ) -> None:
        """Best passage of every candidate that the nearest-passage search did not reach."""
        missing: list[tuple[Candidate, list[int]]] = []
        for sid, c in list(candidates.items()):
            if c.best_passage is not None:
                continue
            rows = sections.passage_rows.get(sid)
            if not rows:
                del candidates[sid]  # no passage (removed meanwhile): nothing to show
                continue
            missing.append((c, rows))
        if not missing:
            return
        # One product for all of them (a product per candidate costs more in calls than sums).
        flat = [row for _, rows in missing for row in rows]
        sims = (sections.passages[flat].astype(np.float32) @ vector).tolist()
        start = 0
        for c, rows in missing:
            window = sims[start : start + len(rows)]
            best = max(range(len(rows)), key=window.__getitem__)
            start += len(rows)
            c.passage = window[best]
            c.best_passage = _hit(c.meta, sections.passage_ids[rows[best]], c.passage)

    # -- helpers --------------------------------------------------------------------------
    def _current(self) -> _Sections:
        generation = self.index.generation()
        # Another process's import or approval, without a restart.
        self.index.vectors_current(generation)
        current, opened = self._sections, self.index.opened
        if (
            current is not None
            and self._sections_opened == opened
            and current.generation == generation
        ):
            return current
        with self._sections_lock:
            if self._sections is None or self._sections_opened != opened:
                # First use, or the folder was opened again (rebuilt): nothing carries over.
                self._sections_opened = opened
                self._sections = _Sections.load(self.index)
            else:
                self._sections = self._sections.refreshed(self.index)
            return self._sections


@dataclass
class _Query:
    """A message as the ranking reads it (see `HybridRetriever._understand`)."""

    cleaned: str
    vague: bool
    matching_terms: set[str]
    name_scores: Mapping[int, float]
    named: list[int]
    lexical_terms: list[str]
    qtypes: Mapping[str, float]
    other_qtypes: float
    has_sides: bool
    cause_words: set[str]
    effect_words: set[str]
    topic_scores: Mapping[int, float] = field(default_factory=dict)


class _Pool:
    """The candidates of one search, each made once, from the sections read for it."""

    def __init__(self, sections: _Sections) -> None:
        self.sections = sections
        self.candidates: dict[str, Candidate] = {}

    def get(self, sid: str) -> Candidate | None:
        if sid not in self.candidates:
            if sid not in self.sections.row:
                return None  # changed since the cache was read: skip it this time
            self.candidates[sid] = Candidate(sid, meta=self.sections.metas[self.sections.row[sid]])
        return self.candidates[sid]


def _features(
    batch: Iterable[Candidate], q: _Query, sections: _Sections, question_sims: np.ndarray
) -> None:
    """Fill in each candidate's question, focus, topic and question-type signals."""
    names = sections.names
    for c in batch:
        c.question = float(question_sims[sections.row[c.section_id]])
        name_ids = names.section_names.get(c.section_id, ())
        borrowed = names.borrowed.get(c.section_id, frozenset())

        def credit(i: int, borrowed=borrowed) -> float:
            share = BORROWED_NAME_CREDIT if i in borrowed else 1.0
            return share * q.name_scores.get(i, 0.0)

        best_name = max(name_ids, key=credit, default=None)
        c.focus = credit(best_name) if best_name is not None else 0.0
        if c.focus:
            c.named_words = frozenset(names.names[best_name][0]) & q.matching_terms
        c.topic = max((q.topic_scores.get(i, 0.0) for i in name_ids), default=0.0)
        if q.vague:
            # "my condition": the patient's own condition is the topic of the question.
            c.focus = max(c.focus, c.topic)
        side = side_of(c.named_words, q.cause_words, q.effect_words) if q.has_sides else None
        if side == "cause":
            c.qtype = CAUSE_SIDE_QTYPES.get(c.meta.qtype, 0.0)
        elif side == "effect":
            c.qtype = EFFECT_SIDE_QTYPES.get(c.meta.qtype, 0.0)
        else:
            c.qtype = q.qtypes.get(c.meta.qtype, q.other_qtypes)


def _passage(
    meta: SectionMeta, candidate: Candidate, score: float, texts: Mapping[str, str]
) -> Passage:

    hit = candidate.best_passage
    assert hit is not None
    return Passage(
        section_id=meta.section_id,
        version=hit.version,
        passage_id=hit.passage_id,
        text=texts.get(hit.passage_id, hit.text),
        question=meta.question,
        focus=meta.focus,
        qtype=meta.qtype,
        source=meta.source,
        url=meta.url,
        score=float(score),
        scores=candidate.signals(),
        ranked_as=candidate.ranked_as,
    )


def _hit(meta: SectionMeta, passage_id: str, similarity: float = 0.0) -> PassageHit:
    return PassageHit(
        passage_id=passage_id,
        section_id=meta.section_id,
        version=meta.version,
        passage_no=int(passage_id.rsplit("#", 1)[1]),
        text="",
        similarity=similarity,
        meta={
            "question": meta.question,
            "focus": meta.focus,
            "qtype": meta.qtype,
            "source": meta.source,
            "url": meta.url,
        },
    )


def section_ids(passages: Iterable[Passage]) -> list[str]:
    return [p.section_id for p in passages]

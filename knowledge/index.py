"""The search index of approved content: the only module that talks to Chroma.

What it holds, per approved section version:
- its passages (the whole answer cut into sentence-aligned windows that fit the embedding model),
  each with a vector, in the Chroma collection `<prefix>-passages`;
- one "question vector" of "focus. question" in `<prefix>-questions` (patients' questions are
  matched against the curated questions: MedQuAD's question-entailment idea);
- in the lexical index: a BM25 entry, the section's names and labels, and the passage texts
  (Chroma keeps vectors, ids and filterable metadata only), plus the content generation and a
  change log that let readers in other processes refresh their caches. It is `lexical.sqlite3`
  (SQLite FTS5) next to the Chroma directory by default, or tables in PostgreSQL
  (`knowledge.lexical_pg`, same terms and scores) when the site's database is PostgreSQL: then
  processes on several hosts share it through the database (see
  `knowledge.wiring.index_from_settings`).
Vectors are cached by text in EMBEDDING_CACHE_DIR, so re-indexing unchanged content is cheap.

Callers give it only approved content (`IndexDoc`), and replace or remove sections as their review
state changes; `section_versions()` says what the index holds, so it can be checked against the
database. Every stored item also carries `approved=True`, and search drops anything without it.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from knowledge.chunking import (
    EmbeddedBatch,
    IndexDoc,
    batches,
    embed_sections,
    split_passages,
)
from knowledge.embedding import Embedder, EmbeddingCache, embed_with_cache
from knowledge.lexical import LexicalIndex, SectionMeta, lexical_name
from knowledge.lexical_pg import PostgresLexicalIndex
from knowledge.passages import PassageHit
from knowledge.retrieval import HybridRetriever

if TYPE_CHECKING:
    from knowledge.passages import Passage
    from knowledge.retrieval import HybridRetriever

logger = logging.getLogger(__name__)

LEXICAL_FILE = "lexical.sqlite3"
CHROMA_DIR = "chroma"
# Recall of the HNSW graph for the top ~100 grows with ef_search (200: ~98%, 400: ~99.8%). The
# nearest passages are only one source of candidates among four, all re-scored exactly
# afterwards: on the dev questions 200 ranks exactly as 400 does, a millisecond sooner.
HNSW_EF_SEARCH = 200
_CHROMA_BATCH = 4000


@dataclass
class IndexStats:
    sections: int = 0
    passages: int = 0
    seconds: float = 0.0
    embed_seconds: float = 0.0

    @property
    def sections_per_second(self) -> float:
        return self.sections / self.seconds if self.seconds else 0.0


def _metadata(doc: IndexDoc) -> dict[str, Any]:
    """What Chroma stores with each vector: the ids and what one may filter on. The texts
    (question, passages) live in the SQLite side file: Chroma would also build a trigram index of
    every document, which tripled the time to store a passage here."""
    return {
        "section_id": doc.section_id,
        "version": int(doc.version),
        "focus": doc.focus,
        "qtype": doc.qtype,
        "source": doc.source,
        "approved": True,
    }


_embedders: dict[tuple[str, bool], Embedder] = {}
_embedders_lock = threading.Lock()


def shared_embedder(cache_dir: Path, *, quantized: bool = True) -> Embedder:
    """One embedder per process and model file (the ONNX session is thread-safe)."""
    key = (str(Path(cache_dir).resolve()), quantized)
    with _embedders_lock:
        if key not in _embedders:
            _embedders[key] = Embedder(cache_dir=Path(cache_dir), quantized=quantized)
        return _embedders[key]


class KnowledgeIndex:
    """Vector (Chroma) + lexical (BM25: SQLite FTS5 or PostgreSQL) index of approved sections."""

    def __init__(
        self,
        *,
        directory: Path,
        cache_dir: Path = Path("var/models"),
        chroma_host: str | None = None,
        chroma_port: int = 8000,
        collection_prefix: str = "knowledge",
        embedder: Embedder | None = None,
        quantized: bool = True,
        embedding_cache: bool = True,
        lexical_database: str | None = None,
    ) -> None:
        """`lexical_database`: a PostgreSQL connection string to keep the lexical side in (see
        `lexical_name`); without it, the SQLite file in `directory`."""
        import chromadb
        from chromadb.config import Settings

        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.cache_dir = Path(cache_dir)
        self._quantized = quantized
        self._embedder = embedder
        self._use_cache = embedding_cache
        self._cache: EmbeddingCache | None = None
        settings = Settings(anonymized_telemetry=False)
        self._chroma_settings = settings
        self._embedded = not chroma_host
        if chroma_host:
            self._client = chromadb.HttpClient(
                host=chroma_host, port=chroma_port, settings=settings
            )
        else:
            self._client = chromadb.PersistentClient(
                path=str(self.directory / CHROMA_DIR), settings=settings
            )
        self._names = (f"{collection_prefix}-passages", f"{collection_prefix}-questions")
        self._open_collections()
        self.lexical: LexicalIndex | PostgresLexicalIndex
        if lexical_database:
            name = lexical_name(collection_prefix, chroma_host=chroma_host, directory=directory)
            self.lexical = PostgresLexicalIndex(lexical_database, name=name)
        else:
            self.lexical = LexicalIndex(self.directory / LEXICAL_FILE)
        self._folder_id = self._folder_identity()
        # How many times this process opened the folder: a reader's caches of an earlier opening
        # are dropped whatever its generation (a rebuilt folder counts again from the start).
        self.opened = 1
        self._write_lock = threading.Lock()
        self._reopen_lock = threading.Lock()
        self._vectors_generation = self.generation()
        self._retriever: HybridRetriever | None = None

    def _open_collections(self) -> None:
        configuration = {"hnsw": {"space": "cosine", "ef_search": HNSW_EF_SEARCH}}
        self._passages, self._questions = (
            self._client.get_or_create_collection(
                name, embedding_function=None, configuration=configuration
            )
            for name in self._names
        )
        for collection in (self._passages, self._questions):
            # A collection made before a change of ef_search keeps its own: bring it in line.
            with warnings.catch_warnings():  # Chroma warns about its own stored config
                warnings.simplefilter("ignore", DeprecationWarning)
                hnsw = (collection.configuration or {}).get("hnsw") or {}
            if hnsw.get("ef_search") != HNSW_EF_SEARCH:
                collection.modify(configuration={"hnsw": {"ef_search": HNSW_EF_SEARCH}})

    def vectors_current(self, generation: int | None = None) -> None:
        """See the content another process wrote, without a restart.

        Embedded Chroma keeps each collection's vectors in memory, per process: after an import
        or an approval in another process (a worker, a management command) a search here would
        miss the new sections, or return ids this process's copy no longer resolves ("Error
        finding id"). The content generation lives in the lexical index every process shares:
        when it has moved since this process last opened (or wrote) its vectors, the client is
        opened again and reads them from disk. A Chroma server is shared and needs nothing.

        The folder itself may have been deleted and rebuilt (`manage.py reindex` into an empty
        folder): this process's open files then still read the deleted copy, whose generation
        never moves again, and the new one may count up to the same number. A lexical file or a
        Chroma database that is not the one this process opened means the whole folder is opened
        again. While the
        folder is gone, the process goes on serving what it opened (`folder_missing` says so,
        and the health endpoint with it).

        `generation`: the caller's fresh reading of it, if it has one (saves a query)."""
        identity = self._folder_identity()
        if identity is None:
            return
        if identity != self._folder_id:
            self._reopen_folder(identity)
            return
        if not self._embedded:
            return
        if generation is None:
            generation = self.generation()
        if generation == self._vectors_generation:
            return
        with self._reopen_lock, self._write_lock:
            if generation == self._vectors_generation:
                return
            self._reopen_vectors()
            self._vectors_generation = generation
            logger.info("index content changed elsewhere (generation %s): reopened", generation)

    def _reopen_vectors(self) -> None:
        import chromadb
        from chromadb.api.shared_system_client import SharedSystemClient

        # A new System for this path: the old one stays alive for searches still using it.
        SharedSystemClient._identifier_to_system.pop(self._client._identifier, None)
        self._client = chromadb.PersistentClient(
            path=str(self.directory / CHROMA_DIR), settings=self._chroma_settings
        )
        self._open_collections()

    def _reopen_folder(self, identity: tuple) -> None:
        with self._reopen_lock, self._write_lock:
            if identity == self._folder_id:
                return
            # The old connection is left to searches still using it (closed when collected).
            if isinstance(self.lexical, LexicalIndex):
                self.lexical = LexicalIndex(self.directory / LEXICAL_FILE)
            self._folder_id = self._folder_identity()
            if self._embedded:
                self._reopen_vectors()
            self._vectors_generation = self.generation()
            self.opened += 1
            logger.warning("index folder %s was replaced: opened it again", self.directory)

    def _folder_identity(self) -> tuple | None:
        """Which files this folder holds now (device and inode of the lexical file and of the
        embedded Chroma database), None when one is gone. A lexical index in PostgreSQL and a
        Chroma server have no file here to be deleted or replaced."""
        paths = []
        if isinstance(self.lexical, LexicalIndex):
            paths.append(self.lexical.path)
        if self._embedded:
            paths.append(self.directory / CHROMA_DIR / "chroma.sqlite3")
        found = tuple(_file_identity(path) for path in paths)
        return None if any(f is None for f in found) else found

    def folder_missing(self) -> bool:
        """The folder this process opened is gone (deleted, or its volume not mounted): the
        process serves what it had opened until `manage.py reindex` builds it again."""
        return self._folder_identity() is None

    def _wrote(self) -> None:
        """This process's own writes are in its vectors already: nothing to reopen for them."""
        self._vectors_generation = self.generation()

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = shared_embedder(self.cache_dir, quantized=self._quantized)
        return self._embedder

    def _embed(self, texts: list[str]) -> np.ndarray:
        if self._use_cache and self._cache is None:
            kind = "int8" if self.embedder.quantized else "fp32"
            self._cache = EmbeddingCache(
                self.cache_dir / f"embeddings-{kind}.sqlite3", model_key=self.embedder.model_key
            )
        return embed_with_cache(self.embedder, self._cache, texts)

    # -- writes ---------------------------------------------------------------------------
    def upsert(
        self,
        docs: Iterable[IndexDoc],
        *,
        batch_sections: int = 2000,
        progress: Callable[[int], None] | None = None,
    ) -> IndexStats:
        """Index these section versions, replacing whatever the index held for those sections
        (an older version's passages never linger). Give it approved content only.

        Batches go through two stages: one is stored (Chroma, SQLite: mostly one core) while
        the next is embedded (the model: every core). Stores run one at a time and in order,
        so a section repeated in a later batch still ends up as its last version."""
        started = time.perf_counter()
        stats = IndexStats()
        with ThreadPoolExecutor(1, thread_name_prefix="index-store") as store:
            storing: Future[None] | None = None
            for batch in batches(docs, batch_sections):
                embedded = self._embed_batch(batch, stats)
                if storing is not None:
                    storing.result()  # one store at a time; its error stops the upsert here
                storing = store.submit(self._store_batch, embedded, stats, progress)
            if storing is not None:
                storing.result()
        self._wrote()
        stats.seconds = time.perf_counter() - started
        return stats

    def _embed_batch(self, docs: list[IndexDoc], stats: IndexStats) -> EmbeddedBatch:
        """Cut these sections into passages and embed them and their questions."""
        embed_started = time.perf_counter()
        batch = embed_sections(docs, self.embedder, self._embed)
        stats.embed_seconds += time.perf_counter() - embed_started
        return batch

    def _store_batch(
        self,
        batch: EmbeddedBatch,
        stats: IndexStats,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        docs, passages = batch.docs, batch.passages
        ids = [d.section_id for d in docs]
        metas = {d.section_id: _metadata(d) for d in docs}
        with self._write_lock:
            self._delete_passages(ids)
            for start in range(0, len(passages), _CHROMA_BATCH):
                chunk = passages[start : start + _CHROMA_BATCH]
                self._passages.add(
                    ids=[p.passage_id for p in chunk],
                    metadatas=[
                        {**metas[p.section_id], "passage_no": int(p.passage_id.rsplit("#")[1])}
                        for p in chunk
                    ],
                    embeddings=batch.passage_vectors[start : start + len(chunk)],
                )
            for start in range(0, len(docs), _CHROMA_BATCH):
                chunk_ids = ids[start : start + _CHROMA_BATCH]
                self._questions.upsert(
                    ids=chunk_ids,
                    metadatas=[
                        {**metas[sid], "passages": batch.passage_counts[sid]} for sid in chunk_ids
                    ],
                    embeddings=batch.question_vectors[start : start + len(chunk_ids)],
                )
            self.lexical.upsert(docs, passages=passages)
        stats.sections += len(docs)
        stats.passages += len(passages)
        if progress:
            progress(stats.sections)  # from the storing thread, as soon as the batch is stored

    def _delete_passages(self, section_ids: list[str]) -> None:
        """Remove every stored passage of these sections (by id: a `where` delete scans)."""
        for start in range(0, len(section_ids), _CHROMA_BATCH):
            chunk = section_ids[start : start + _CHROMA_BATCH]
            held = self._questions.get(ids=chunk, include=["metadatas"])
            passage_ids = [
                f"{sid}#{n}"
                for sid, meta in zip(held["ids"], held["metadatas"], strict=True)
                for n in range(int((meta or {}).get("passages", 0)))
            ]
            if passage_ids:
                self._passages.delete(ids=passage_ids)

    def remove(self, section_ids: Iterable[str]) -> int:
        """Take sections out of the index (retired, rejected, deleted). Unknown ids are ignored.
        Returns how many sections the index held among them."""
        ids = list(dict.fromkeys(section_ids))
        if not ids:
            return 0
        with self._write_lock:
            held = 0
            for start in range(0, len(ids), _CHROMA_BATCH):
                chunk = ids[start : start + _CHROMA_BATCH]
                held += len(self._questions.get(ids=chunk, include=[])["ids"])
                self._delete_passages(chunk)
                self._questions.delete(ids=chunk)
            self.lexical.delete(ids)
            self._wrote()
        return held

    def clear(self) -> None:
        """Empty the index (collections are dropped and recreated: much faster than deleting)."""
        with self._write_lock:
            for name in self._names:
                try:
                    self._client.delete_collection(name)
                except Exception:
                    logger.debug("collection %s did not exist", name)
            self._open_collections()
            self.lexical.clear()
            self._wrote()

    def rebuild(
        self, docs: Iterable[IndexDoc], *, progress: Callable[[int], None] | None = None
    ) -> IndexStats:
        """Replace the whole content of the index by `docs`."""
        self.clear()
        return self.upsert(docs, progress=progress)

    # -- what the index holds -------------------------------------------------------------
    def section_versions(self) -> dict[str, int]:
        """{section id: version} for every section the index holds. One held in part only (its
        vectors without its lexical entry or the other way round, or at two versions: a write
        cut short, or a lexical index moved to PostgreSQL and not filled yet) is given version
        0, which no approved version has, so reconciling with the database rewrites it."""
        result = self._questions.get(include=["metadatas"])
        vectors = {
            sid: int(meta["version"])
            for sid, meta in zip(result["ids"], result["metadatas"] or [], strict=True)
            if meta and meta.get("approved") is True
        }
        lexical = self.lexical.versions()
        return {
            sid: vectors[sid] if vectors.get(sid) == lexical.get(sid) else 0
            for sid in vectors.keys() | lexical.keys()
        }

    def count(self) -> int:
        """Number of sections held."""
        return self._questions.count()

    def passage_count(self) -> int:
        return self._passages.count()

    def is_empty(self) -> bool:
        return self.count() == 0

    def generation(self) -> int:
        """Changes whenever the content changes (see `LexicalIndex.generation`)."""
        return self.lexical.generation()

    # -- search primitives (used by knowledge.retrieval) --------------------------------
    def embed_query(self, text: str) -> np.ndarray:
        return self.embedder.embed_one(text)

    def nearest_passages(
        self, vector: np.ndarray, *, n: int = 100, with_text: bool = False
    ) -> list[PassageHit]:
        """The `n` passages closest to `vector` (their texts only if asked).

        Approval is checked on the returned metadata rather than with a Chroma `where` filter:
        a filtered query costs ~35 ms over 30k vectors here against ~3 ms unfiltered, and only
        approved content is ever written anyway.
        """
        result = self._passages.query(
            query_embeddings=[vector], n_results=n, include=["distances", "metadatas"]
        )
        texts = self.passage_texts(result["ids"][0]) if with_text else {}
        documents = [texts.get(pid, "") for pid in result["ids"][0]]
        return [
            PassageHit(
                passage_id=pid,
                section_id=str(meta["section_id"]),
                version=int(meta["version"]),
                passage_no=int(meta.get("passage_no", 0)),
                text=document or "",
                similarity=1.0 - float(distance),
                meta=meta,
            )
            for pid, distance, meta, document in zip(
                result["ids"][0],
                result["distances"][0],
                result["metadatas"][0],
                documents,
                strict=True,
            )
            if meta and meta.get("approved") is True
        ]

    def nearest_passage_ids(self, vector: np.ndarray, *, n: int = 100) -> list[tuple[str, float]]:
        """The `n` passages closest to `vector`, as (passage id, cosine similarity) only:
        reading their metadata back from Chroma took 5-6 ms of a 9 ms query here. The caller
        checks approval itself: the hybrid retriever keeps only passages of sections whose
        approved question vector it holds."""
        result = self._passages.query(query_embeddings=[vector], n_results=n, include=["distances"])
        return [
            (pid, 1.0 - float(distance))
            for pid, distance in zip(result["ids"][0], result["distances"][0], strict=True)
        ]

    def question_vectors(
        self, section_ids: Sequence[str] | None = None, *, page: int = 5000
    ) -> tuple[list[SectionMeta], np.ndarray]:
        """Metadata and question vectors of these sections (all when None); absent ids and
        unapproved entries are left out. Rows of the matrix follow the list."""
        ids: list[str] = []
        vectors: list[np.ndarray] = []

        def take(result: dict[str, Any]) -> None:
            for sid, vector, meta in zip(
                result["ids"], result["embeddings"], result["metadatas"], strict=True
            ):
                if meta and meta.get("approved") is True:
                    ids.append(sid)
                    vectors.append(np.asarray(vector, dtype=np.float32))

        if section_ids is not None:
            wanted = list(section_ids)
            for start in range(0, len(wanted), page):
                chunk = wanted[start : start + page]
                take(self._questions.get(ids=chunk, include=["embeddings", "metadatas"]))
        else:
            offset = 0
            while True:
                result = self._questions.get(
                    limit=page, offset=offset, include=["embeddings", "metadatas"]
                )
                take(result)
                if len(result["ids"]) < page:
                    break
                offset += page
        rows = self.lexical.sections(None if section_ids is None else ids)
        metas: list[SectionMeta] = []
        kept: list[np.ndarray] = []
        for sid, vector in zip(ids, vectors, strict=True):
            row = rows.get(sid)
            if row is not None:  # both stores hold it (a write may be half-way)
                metas.append(row)
                kept.append(vector)
        matrix = np.vstack(kept) if kept else np.zeros((0, 384), dtype=np.float32)
        return metas, matrix

    def passage_vectors(self, passage_ids: Sequence[str]) -> list[tuple[PassageHit, np.ndarray]]:
        """Stored passages by id, with their vectors (texts left empty, similarity 0)."""
        if not passage_ids:
            return []
        result = self._passages.get(ids=list(passage_ids), include=["embeddings", "metadatas"])
        out = []
        for pid, vector, meta in zip(
            result["ids"], result["embeddings"], result["metadatas"], strict=True
        ):
            if meta and meta.get("approved") is True:
                hit = PassageHit(
                    passage_id=pid,
                    section_id=str(meta["section_id"]),
                    version=int(meta["version"]),
                    passage_no=int(meta.get("passage_no", 0)),
                    text="",
                    similarity=0.0,
                    meta=meta,
                )
                out.append((hit, np.asarray(vector, dtype=np.float32)))
        return out

    def all_passage_vectors(self, *, page: int = 5000) -> tuple[list[str], np.ndarray]:
        """Every stored passage id with its vector (rows follow the ids)."""
        ids: list[str] = []
        chunks: list[np.ndarray] = []
        offset = 0
        while True:
            result = self._passages.get(limit=page, offset=offset, include=["embeddings"])
            ids.extend(result["ids"])
            if len(result["ids"]):
                chunks.append(np.asarray(result["embeddings"], dtype=np.float32))
            if len(result["ids"]) < page:
                break
            offset += page
        matrix = np.vstack(chunks) if chunks else np.zeros((0, 384), dtype=np.float32)
        return ids, matrix

    def passage_texts(self, passage_ids: Sequence[str]) -> dict[str, str]:
        """Display text of stored passages, by passage id."""
        return self.lexical.passage_texts(passage_ids)

    def changes_since(self, generation: int) -> set[str] | None:
        """Sections changed after `generation` (None: everything may have changed)."""
        return self.lexical.changes_since(generation)

    # -- the search callers use ---------------------------------------------------------
    def retriever(self) -> HybridRetriever:

        if self._retriever is None:
            self._retriever = HybridRetriever(index=self)
        return self._retriever

    def search(
        self, query: str, *, k: int = 10, topics: Sequence[str] = (), mode: str = "hybrid"
    ) -> list[Passage]:
        """Best approved sections for `query` (one passage each); see `HybridRetriever`."""
        return self.retriever().search(query, k=k, topics=topics, mode=mode)


def _file_identity(path: Path) -> tuple[int, int] | None:
    """Which file is at `path` now (device, inode), or None when there is none."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_dev, stat.st_ino


def destroy(directory: Path) -> None:
    """Delete an embedded index directory (tests, scratch builds)."""
    shutil.rmtree(directory, ignore_errors=True)


__all__ = [
    "IndexDoc",
    "IndexStats",
    "KnowledgeIndex",
    "PassageHit",
    "SectionMeta",
    "split_passages",
]

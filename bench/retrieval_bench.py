"""Query latency of the retriever over a full-corpus index, per mode (warm).

    .venv/bin/python bench/index_bench.py --directory var/dev-index     # once
    .venv/bin/python bench/retrieval_bench.py --directory var/dev-index

Every dev question is asked in both wordings (the patient's and the paraphrase), after a warm-up
pass; prints p50 / p95 / max in milliseconds.

With `--lexical-database DSN` the lexical side is read from PostgreSQL instead of the directory's
`lexical.sqlite3` (the vectors stay the same); when that store is empty it is first filled with
what the SQLite file holds, and the time that took is printed:

    createdb -h 127.0.0.1 -U postgres pglex_bench
    .venv/bin/python bench/retrieval_bench.py --directory var/dev-index \
        --lexical-database "host=127.0.0.1 user=postgres dbname=pglex_bench"
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from knowledge.index import LEXICAL_FILE, IndexDoc, KnowledgeIndex
from knowledge.lexical import LexicalIndex, PassageRow
from knowledge.retrieval import MODES

DEFAULT_QUESTIONS = (
    Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "retrieval_dev.jsonl"
)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--directory", type=Path, default=Path("var/dev-index"))
    parser.add_argument("--cache-dir", type=Path, default=Path("var/models"))
    parser.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--lexical-database", help="PostgreSQL conninfo for the lexical side")
    args = parser.parse_args()

    index = KnowledgeIndex(
        directory=args.directory, cache_dir=args.cache_dir, lexical_database=args.lexical_database
    )
    if index.is_empty():
        raise SystemExit(f"{args.directory} holds no index: run bench/index_bench.py first")
    if args.lexical_database and index.lexical.count() == 0:
        fill_from_sqlite(index, args.directory / LEXICAL_FILE)
    print(f"lexical: {type(index.lexical).__name__}, {index.lexical.count()} sections")
    rows = [json.loads(line) for line in args.questions.read_text().splitlines() if line.strip()]
    queries = [row[field] for row in rows for field in ("question", "paraphrase")]
    retriever = index.retriever()
    print(f"index: {index.count()} sections, {index.passage_count()} passages")
    print(f"queries: {len(queries)} x {args.rounds} rounds, k=10")
    for mode in MODES:
        for query in queries:  # warm-up: caches, ONNX session, SQLite pages
            retriever.search(query, k=10, mode=mode)
        timings = []
        for _ in range(args.rounds):
            for query in queries:
                started = time.perf_counter()
                retriever.search(query, k=10, mode=mode)
                timings.append((time.perf_counter() - started) * 1000)
        print(
            f"{mode:>7}: p50 {statistics.median(timings):5.1f} ms   "
            f"p95 {percentile(timings, 95):5.1f} ms   max {max(timings):5.1f} ms"
        )


def fill_from_sqlite(index: KnowledgeIndex, path: Path, batch: int = 2000) -> None:
    """Copy the sections and passages of the SQLite lexical file into `index.lexical`, in the
    batches an index build writes."""
    source = LexicalIndex(path)
    metas = source.sections()
    # In the order the file holds them: equal scores then come out in the same order.
    texts = dict(
        source._db.execute(
            "SELECT s.section_id, f.text FROM sections s JOIN sections_fts f ON f.rowid = s.rowid"
            " ORDER BY s.rowid"
        ).fetchall()
    )
    ids = list(texts)
    started = time.perf_counter()
    for start in range(0, len(ids), batch):
        chunk = [metas[sid] for sid in ids[start : start + batch]]
        passage_ids = [pid for m in chunk for pid in m.passage_ids()]
        passage_texts = source.passage_texts(passage_ids)
        docs = [
            IndexDoc(
                section_id=m.section_id,
                version=m.version,
                focus=m.focus,
                question=m.question,
                qtype=m.qtype,
                text=texts[m.section_id],
                source=m.source,
                url=m.url,
                topics=m.topics,
            )
            for m in chunk
        ]
        passages = [
            PassageRow(pid, pid.rsplit("#", 1)[0], passage_texts[pid])
            for pid in passage_ids
            if pid in passage_texts
        ]
        index.lexical.upsert(docs, passages=passages)
    seconds = time.perf_counter() - started
    print(f"lexical side filled from {path}: {len(ids)} sections in {seconds:.1f} s")


if __name__ == "__main__":
    main()

"""The two lexical stores side by side on one index: SQLite FTS5 and PostgreSQL, same vectors.

    createdb -h 127.0.0.1 -U postgres pglex_bench     # a database of its own, once
    .venv/bin/python bench/index_bench.py --directory var/dev-index     # once
    .venv/bin/python bench/lexical_bench.py --directory var/dev-index \\
        --lexical-database "host=127.0.0.1 user=postgres dbname=pglex_bench"

Fills the PostgreSQL store from the directory's `lexical.sqlite3` when it is empty (see
`retrieval_bench.fill_from_sqlite`), then asks every dev question in both wordings, per mode, of a
retriever on each store, alternating store query by query so that load from other work on the
machine falls on both alike. Prints p50 / p95 per store and mode, whether the two returned the
same sections in the same order, and the lexical search call alone over each question's first 8
content words, 300 results (common words included: harder than the hybrid's call, which leaves
out words found in more than 10% of the sections).
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

from retrieval_bench import DEFAULT_QUESTIONS, fill_from_sqlite, percentile

from knowledge.index import LEXICAL_FILE, KnowledgeIndex
from knowledge.retrieval import clean_query
from knowledge.text import search_terms as content_words


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--directory", type=Path, default=Path("var/dev-index"))
    parser.add_argument("--cache-dir", type=Path, default=Path("var/models"))
    parser.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--lexical-database", required=True, help="PostgreSQL conninfo")
    args = parser.parse_args()

    stores = {
        "sqlite": KnowledgeIndex(directory=args.directory, cache_dir=args.cache_dir),
        "postgres": KnowledgeIndex(
            directory=args.directory,
            cache_dir=args.cache_dir,
            lexical_database=args.lexical_database,
        ),
    }
    if stores["sqlite"].is_empty():
        raise SystemExit(f"{args.directory} holds no index: run bench/index_bench.py first")
    if stores["postgres"].lexical.count() == 0:
        fill_from_sqlite(stores["postgres"], args.directory / LEXICAL_FILE)
    rows = [json.loads(line) for line in args.questions.read_text().splitlines() if line.strip()]
    queries = [row[field] for row in rows for field in ("question", "paraphrase")]
    retrievers = {name: index.retriever() for name, index in stores.items()}
    print(f"index: {stores['sqlite'].count()} sections; queries: {len(queries)} x {args.rounds}")

    for mode in ("hybrid", "bm25"):
        timings: dict[str, list[float]] = {name: [] for name in stores}
        same = 0
        for query in queries:  # warm-up, and the comparison of results
            found = {
                name: [p.section_id for p in r.search(query, k=10, mode=mode)]
                for name, r in retrievers.items()
            }
            same += found["sqlite"] == found["postgres"]
        for _ in range(args.rounds):
            for query in queries:
                for name, retriever in retrievers.items():
                    started = time.perf_counter()
                    retriever.search(query, k=10, mode=mode)
                    timings[name].append((time.perf_counter() - started) * 1000)
        for name, values in timings.items():
            print(
                f"{mode:>6} {name:>8}: p50 {statistics.median(values):5.1f} ms   "
                f"p95 {percentile(values, 95):5.1f} ms   max {max(values):5.1f} ms"
            )
        print(f"{mode:>6}: same top 10 in the same order for {same} of {len(queries)} queries")

    # The lexical call alone.
    terms = [content_words(clean_query(q))[:8] for q in queries]
    lexical_timings: dict[str, list[float]] = {name: [] for name in stores}
    for _ in range(args.rounds):
        for words in terms:
            for name, index in stores.items():
                started = time.perf_counter()
                index.lexical.search(words, limit=300)
                lexical_timings[name].append((time.perf_counter() - started) * 1000)
    for name, values in lexical_timings.items():
        print(
            f"lexical search (8 words, 300 results) {name:>8}: "
            f"p50 {statistics.median(values):5.1f} ms   p95 {percentile(values, 95):5.1f} ms"
        )


if __name__ == "__main__":
    main()

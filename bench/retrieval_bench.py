"""Query latency of the retriever over a full-corpus index, per mode (warm).

    .venv/bin/python bench/index_bench.py --directory var/dev-index     # once
    .venv/bin/python bench/retrieval_bench.py --directory var/dev-index

Every dev question is asked in both wordings (the patient's and the paraphrase), after a warm-up
pass; prints p50 / p95 / max in milliseconds.
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

from knowledge.index import KnowledgeIndex
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
    args = parser.parse_args()

    index = KnowledgeIndex(directory=args.directory, cache_dir=args.cache_dir)
    if index.is_empty():
        raise SystemExit(f"{args.directory} holds no index: run bench/index_bench.py first")
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


if __name__ == "__main__":
    main()

"""Index the whole MedQuAD corpus from scratch and print how fast it went.

    .venv/bin/python bench/index_bench.py                      # into a temp dir, deleted after
    .venv/bin/python bench/index_bench.py --directory var/dev-index   # keep the index
    .venv/bin/python bench/index_bench.py --limit 2000 --fp32
    .venv/bin/python bench/index_bench.py --lexical-database "host=127.0.0.1 user=postgres dbname=X"

Embedding dominates; the ONNX export (once per machine) happens before the clock starts.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from knowledge.corpus import load_medquad
from knowledge.embedding import Embedder, ensure_model
from knowledge.index import IndexDoc, KnowledgeIndex, destroy

DATA_DIR = os.environ.get("PORTAL_DATA_DIR") or Path(__file__).resolve().parents[2] / "shared/data"
DEFAULT_CORPUS = Path(DATA_DIR) / "medquad"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--directory", type=Path, help="keep the index here (default: temp)")
    parser.add_argument("--cache-dir", type=Path, default=Path("var/models"))
    parser.add_argument("--limit", type=int, help="index only the first N sections")
    parser.add_argument("--fp32", action="store_true", help="use the fp32 model, not int8")
    parser.add_argument(
        "--warm",
        action="store_true",
        help="reuse (and fill) the embedding cache: the time of a re-index of known content",
    )
    parser.add_argument(
        "--lexical-database", help="keep the lexical side in this PostgreSQL database (conninfo)"
    )
    args = parser.parse_args()

    started = time.perf_counter()
    sections, errors = load_medquad(args.corpus)
    parse_seconds = time.perf_counter() - started
    if args.limit:
        sections = sections[: args.limit]
    docs = [IndexDoc.from_record(s) for s in sections]
    ensure_model(args.cache_dir)
    embedder = Embedder(cache_dir=args.cache_dir, quantized=not args.fp32)

    keep = args.directory is not None
    directory = args.directory or Path(tempfile.mkdtemp(prefix="index-bench-"))
    if keep:
        destroy(directory)
    index = KnowledgeIndex(
        directory=directory,
        cache_dir=args.cache_dir,
        embedder=embedder,
        embedding_cache=args.warm,
        lexical_database=args.lexical_database,
    )

    def progress(done: int) -> None:
        elapsed = time.perf_counter() - started_index
        print(f"  {done:>6} sections  {elapsed:6.1f} s", file=sys.stderr, flush=True)

    started_index = time.perf_counter()
    stats = index.rebuild(docs, progress=progress)
    total = time.perf_counter() - started_index

    print(
        f"corpus: {len(sections)} sections parsed in {parse_seconds:.1f} s, {len(errors)} bad files"
    )
    print(
        f"model: {'fp32' if args.fp32 else 'int8'} ONNX, {embedder.session.get_providers()[0]},"
        f" embedding cache {'on' if args.warm else 'off (cold build)'}"
    )
    print(f"indexed: {stats.sections} sections, {stats.passages} passages in {total:.1f} s")
    print(f"  sections/s: {stats.sections / total:.1f}")
    print(f"  passages/s: {stats.passages / total:.1f}")
    print(f"  embedding: {stats.embed_seconds:.1f} s, storing: {total - stats.embed_seconds:.1f} s")
    print(f"  index holds {index.count()} sections, {index.passage_count()} passages")
    print(f"  lexical store: {type(index.lexical).__name__}")
    if not keep:
        if args.lexical_database:
            index.lexical.drop()
        destroy(directory)


if __name__ == "__main__":
    main()

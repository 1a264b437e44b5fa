"""Fit the hybrid ranker's fusion weights on the training questions, and compare on held-aside.

    .venv/bin/python manage.py build_questions                     # the question set (once)
    .venv/bin/python bench/fit_fusion.py --directory var/dev-index fit
    .venv/bin/python bench/fit_fusion.py --directory var/dev-index compare

`fit`: every training question is searched once (`HybridRetriever.collect`, hand-set weights),
its candidates' signals kept. A pairwise logistic regression (a relevant section against each
non-relevant candidate of the same question, no intercept), scaled to the hand-set weights'
total, is one starting point, the hand-set weights the other; from the better of the two on the
training questions' MRR@10 of the final order (fuse and diversify re-run on the kept
candidates), coordinate ascent moves each weight in turn (the signal weights and the article
share, diversity bonus and repeat penalty) to the multiple that scores best, two passes. The
logistic loss is a surrogate: alone it ranked worse than the hand-set weights. The result is
written to knowledge/retrieval/fusion_weights.json. Nothing of the held-aside questions is read.

`compare`: MRR@10 / Recall@10 / nDCG@10 on the held-aside questions and the dev file for the
hand-set weights, the learned weights and a plain equal-weight reciprocal-rank fusion of BM25
and dense (k = 60, the usual constant), as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import sys
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from knowledge.evaluation import evaluate, relevant_ids  # noqa: E402
from knowledge.index import KnowledgeIndex  # noqa: E402
from knowledge.query_topics import diversify  # noqa: E402
from knowledge.retrieval import HybridRetriever  # noqa: E402
from knowledge.retrieval.fusion import (  # noqa: E402
    DIVERSITY_PLACES,
    SIGNALS,
    WEIGHTS_FILE,
    FusionWeights,
    _topics_of,
    fuse,
)

QUESTIONS = ROOT / "knowledge" / "data" / "questions"
DEV = ROOT.parent.parent / "shared" / "eval" / "retrieval_dev.jsonl"
if not DEV.is_file():
    DEV = Path("/work/shared/eval/retrieval_dev.jsonl")


def read(path: Path, *, answerable_only: bool = True) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [r for r in rows if r.get("answerable", True) or not answerable_only]


def collect(retriever: HybridRetriever, rows: list[dict], cache: Path) -> list[tuple]:
    if cache.is_file():
        return pickle.loads(cache.read_bytes())  # noqa: S301 - this script's own cache file
    out = []
    started = time.perf_counter()
    for i, row in enumerate(rows):
        candidates = retriever.collect(row["question"])
        out.append((row, candidates))
        if i % 200 == 0:
            print(f"  {i}/{len(rows)} {time.perf_counter() - started:.0f} s", file=sys.stderr)
    cache.write_bytes(pickle.dumps(out))
    return out


def features(candidates) -> tuple[list[str], np.ndarray]:
    ids = list(candidates)
    x = np.array([[getattr(candidates[s], name) for name in SIGNALS] for s in ids], dtype=float)
    return ids, x


def pairwise(collected, *, negatives: int = 30, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Differences (relevant - other) and their mirror, per question."""
    rng = np.random.default_rng(seed)
    diffs = []
    for row, candidates in collected:
        relevant = relevant_ids(row["judgments"])
        ids, x = features(candidates)
        pos = [i for i, s in enumerate(ids) if s in relevant]
        neg = [i for i, s in enumerate(ids) if s not in relevant]
        if not pos or not neg:
            continue
        for p in pos:
            chosen = rng.choice(neg, size=min(negatives, len(neg)), replace=False)
            diffs.append(x[p] - x[chosen])
    d = np.vstack(diffs)
    return np.vstack([d, -d]), np.concatenate([np.ones(len(d)), np.zeros(len(d))])


def final_order(collected, weights: FusionWeights, names) -> list[list[str]]:
    orders = []
    for _row, candidates in collected:
        ranked = fuse(candidates.values(), weights)
        topic_of = _topics_of(candidates, names)
        ranked = diversify(
            ranked,
            lambda c, t=topic_of: t.get(c.section_id),
            bonus=weights.diversity,
            places=DIVERSITY_PLACES,
        )
        orders.append([c.section_id for c, _ in ranked[:10]])
    return orders


def mrr(collected, weights, names) -> float:
    orders = final_order(collected, weights, names)
    rows = [row for row, _ in collected]
    it = iter(orders)
    return evaluate(rows, lambda _q: next(it), field="question", k=10)["mrr_at_10"]


# The values each weight is tried at, as multiples of its current value (0 switches it off).
STEPS = (0.0, 0.5, 0.75, 0.9, 1.1, 1.25, 1.5, 2.0)


def ascend(collected, starts, names, *, rounds: int = 2) -> tuple[FusionWeights, float]:
    """Coordinate ascent on the training questions' MRR@10 of the final order (the metric
    itself, not a surrogate), from the best of `starts`: each weight in turn is moved to the
    multiple in STEPS that scores best, for `rounds` passes."""
    scored = [(mrr(collected, w, names), w) for w in starts]
    score, best = max(scored, key=lambda item: item[0])
    for _ in range(rounds):
        for name in FusionWeights.__dataclass_fields__:
            value = getattr(best, name) or 0.05
            for step in STEPS:
                trial = replace(best, **{name: round(value * step, 4)})
                trial_score = mrr(collected, trial, names)
                if trial_score > score + 1e-4:
                    score, best = trial_score, trial
            print(f"  {name}: {getattr(best, name)}  MRR {score:.4f}", file=sys.stderr)
    return best, score


def fit(args) -> None:
    from sklearn.linear_model import LogisticRegression

    index = KnowledgeIndex(directory=args.directory, cache_dir=args.cache_dir)
    retriever = HybridRetriever(index=index, weights=FusionWeights.handset())
    rows = read(QUESTIONS / "train.jsonl")
    collected = collect(retriever, rows, args.directory.parent / "fusion-train.pkl")
    names = retriever._current().names
    x, y = pairwise(collected)
    model = LogisticRegression(fit_intercept=False, C=1.0, max_iter=1000).fit(x, y)
    raw = np.clip(model.coef_[0], 0.0, None)  # a signal never counts against a section
    handset = FusionWeights.handset()
    total = sum(getattr(handset, s) for s in SIGNALS)
    learned = {s: round(float(w * total / raw.sum()), 4) for s, w in zip(SIGNALS, raw, strict=True)}
    print("pairwise logistic regression:", learned, file=sys.stderr)
    start = FusionWeights(
        **learned, article=handset.article, repeat=handset.repeat, diversity=handset.diversity
    )
    chosen, score = ascend(collected, [handset, start], names)
    print(
        f"train MRR@10 (candidates re-fused): handset {mrr(collected, handset, names):.3f}, "
        f"logistic {mrr(collected, start, names):.3f}, learned {score:.3f}",
        file=sys.stderr,
    )
    payload = {
        "weights": {k: getattr(chosen, k) for k in FusionWeights.__dataclass_fields__},
        "fitted_on": "knowledge/data/questions/train.jsonl",
        "questions": len(collected),
        "method": (
            "coordinate ascent on train MRR@10 of the final order (every weight, 2 passes), "
            "from the better of the hand-set weights and a pairwise logistic regression"
        ),
        "command": "bench/fit_fusion.py fit",
    }
    WEIGHTS_FILE.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(payload, indent=2))


def rrf(index: KnowledgeIndex, query: str, *, depth: int = 50, k: int = 60) -> list[str]:
    scores: dict[str, float] = {}
    for mode in ("bm25", "dense"):
        for rank, p in enumerate(index.search(query, k=depth, mode=mode), start=1):
            scores[p.section_id] = scores.get(p.section_id, 0.0) + 1.0 / (k + rank)
    return sorted(scores, key=lambda s: (-scores[s], s))[:10]


def compare(args) -> None:
    index = KnowledgeIndex(directory=args.directory, cache_dir=args.cache_dir)
    files = {"heldaside": read(QUESTIONS / "heldaside.jsonl"), "dev": read(DEV)}
    if args.limit:
        files["heldaside"] = files["heldaside"][: args.limit]
    rankers = {
        "handset": HybridRetriever(index=index, weights=FusionWeights.handset()),
        "learned": HybridRetriever(index=index, weights=FusionWeights.learned()),
    }
    report: dict = {}
    for name, rows in files.items():
        report[name] = {"questions": len(rows)}
        for ranker, retriever in rankers.items():
            res = evaluate(rows, lambda q, r=retriever: [p.section_id for p in r.search(q, k=10)])
            report[name][ranker] = _figures(res)
        res = evaluate(rows, lambda q: rrf(index, q))
        report[name]["rrf_bm25_dense"] = _figures(res)
        print(name, json.dumps(report[name]), file=sys.stderr)
    print(json.dumps(report, indent=2))


def _figures(res: dict) -> dict:
    return {k: round(res[k], 3) for k in ("mrr_at_10", "recall_at_10", "ndcg_at_10")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("fit", "compare"))
    parser.add_argument("--directory", type=Path, default=Path("var/dev-index"))
    parser.add_argument("--cache-dir", type=Path, default=Path("var/models"))
    parser.add_argument("--limit", type=int, default=0, help="held-aside questions to use")
    args = parser.parse_args()
    fit(args) if args.action == "fit" else compare(args)


if __name__ == "__main__":
    main()

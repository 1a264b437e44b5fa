"""Retrieval quality metrics (pure functions, no index, no Django).

Judgments grade a section for a question: 1 incorrect, 2 related, 3 incomplete, 4 excellent.
- MRR@k: 1 / rank of the first section graded >= 3 within the top k (0 if none);
- Recall@k: relevant sections (grade >= 3) in the top k / relevant sections judged for the question;
- nDCG@k: gain = grade - 1 (unjudged = 0), discounted by log2(rank + 1), divided by the DCG of the
  judged sections in their best order.
Averages are over all questions, a question that no judged section answers counting 0 for every
metric (the figure says how often a patient is helped). A repeated section id in a ranking counts
once, at its first rank.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

RELEVANT_GRADE = 3


def unique_ranking(ranked: Iterable[str]) -> list[str]:
    """Section ids in order, repeats removed (a repeat must not earn credit twice)."""
    return list(dict.fromkeys(ranked))


def relevant_ids(judgments: Mapping[str, int], *, threshold: int = RELEVANT_GRADE) -> set[str]:
    return {sid for sid, grade in judgments.items() if grade >= threshold}


def first_relevant_rank(
    ranked: Sequence[str], judgments: Mapping[str, int], *, k: int = 10
) -> int | None:
    """1-based rank of the first relevant section within the top k, or None."""
    relevant = relevant_ids(judgments)
    for rank, sid in enumerate(unique_ranking(ranked)[:k], start=1):
        if sid in relevant:
            return rank
    return None


def reciprocal_rank(ranked: Sequence[str], judgments: Mapping[str, int], *, k: int = 10) -> float:
    rank = first_relevant_rank(ranked, judgments, k=k)
    return 1.0 / rank if rank else 0.0


def recall_at_k(ranked: Sequence[str], judgments: Mapping[str, int], *, k: int = 10) -> float:
    relevant = relevant_ids(judgments)
    if not relevant:
        return 0.0
    found = sum(1 for sid in unique_ranking(ranked)[:k] if sid in relevant)
    return found / len(relevant)


def dcg(gains: Iterable[float]) -> float:
    return sum(g / math.log2(rank + 1) for rank, g in enumerate(gains, start=1))


def ndcg_at_k(ranked: Sequence[str], judgments: Mapping[str, int], *, k: int = 10) -> float:
    ideal = dcg(sorted((max(g - 1, 0) for g in judgments.values()), reverse=True)[:k])
    if ideal <= 0:
        return 0.0
    actual = dcg(max(judgments.get(sid, 1) - 1, 0) for sid in unique_ranking(ranked)[:k])
    return actual / ideal


def evaluate(
    rows: Sequence[Mapping[str, Any]],
    search_fn: Callable[[str], Sequence[str]],
    *,
    field: str = "question",
    k: int = 10,
) -> dict[str, Any]:
    """Run `search_fn(query) -> ranked section ids` on every row's `field` and score it against
    the row's `judgments`. Returns the three averages and one entry per question."""
    queries = []
    for row in rows:
        judgments = {str(sid): int(grade) for sid, grade in row["judgments"].items()}
        ranked = unique_ranking(search_fn(str(row[field])))[:k]
        queries.append(
            {
                "qid": row.get("qid"),
                "query": row[field],
                "first_relevant_rank": first_relevant_rank(ranked, judgments, k=k),
                "reciprocal_rank": reciprocal_rank(ranked, judgments, k=k),
                "recall": recall_at_k(ranked, judgments, k=k),
                "ndcg": ndcg_at_k(ranked, judgments, k=k),
                "relevant": len(relevant_ids(judgments)),
                "retrieved": ranked,
                "grades": [judgments.get(sid) for sid in ranked],
            }
        )
    n = len(queries) or 1
    return {
        f"mrr_at_{k}": sum(q["reciprocal_rank"] for q in queries) / n,
        f"recall_at_{k}": sum(q["recall"] for q in queries) / n,
        f"ndcg_at_{k}": sum(q["ndcg"] for q in queries) / n,
        "questions": len(queries),
        "answerable": sum(1 for q in queries if q["relevant"]),
        "queries": queries,
    }

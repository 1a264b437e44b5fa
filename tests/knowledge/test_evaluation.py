"""Retrieval metrics on tiny rankings whose values are worked out by hand."""

from __future__ import annotations

import math

import pytest

from knowledge.evaluation import (
    evaluate,
    first_relevant_rank,
    ndcg_at_k,
    recall_at_k,
    reciprocal_rank,
)

# a: excellent (4), b: incomplete (3), c: related (2), d: incorrect (1); e..: unjudged.
JUDGED = {"a": 4, "b": 3, "c": 2, "d": 1}


def test_reciprocal_rank_counts_only_grade_three_and_up():
    assert reciprocal_rank(["c", "d", "b", "a"], JUDGED) == pytest.approx(1 / 3)
    assert first_relevant_rank(["c", "d", "b", "a"], JUDGED) == 3
    assert reciprocal_rank(["c", "d", "e"], JUDGED) == 0.0
    unjudged = [f"u{i}" for i in range(10)]
    assert first_relevant_rank([*unjudged, "a"], JUDGED) is None  # beyond the top 10


def test_recall_is_relevant_found_over_relevant_judged():
    assert recall_at_k(["a", "x", "y"], JUDGED) == 0.5
    assert recall_at_k(["b", "a"], JUDGED) == 1.0
    assert recall_at_k([*(f"u{i}" for i in range(9)), "a", "b"], JUDGED) == 0.5  # b is 11th
    assert recall_at_k(["a"], {"z": 2}) == 0.0  # nothing relevant judged


def test_ndcg_uses_grade_minus_one_and_the_ideal_judged_order():
    # gains: c=1 at rank 1, a=3 at rank 2 -> DCG = 1/log2(2) + 3/log2(3)
    # ideal: a=3, b=2, c=1 -> 3 + 2/log2(3) + 1/2
    expected = (1 + 3 / math.log2(3)) / (3 + 2 / math.log2(3) + 0.5)
    assert ndcg_at_k(["c", "a"], JUDGED) == pytest.approx(expected)
    assert ndcg_at_k(["a", "b", "c", "d"], JUDGED) == pytest.approx(1.0)
    assert ndcg_at_k(["d", "e"], JUDGED) == 0.0
    assert ndcg_at_k(["d"], {"d": 1}) == 0.0  # no gain possible


def test_a_repeated_section_earns_credit_once():
    assert ndcg_at_k(["a", "a", "a"], JUDGED) == ndcg_at_k(["a"], JUDGED)
    assert recall_at_k(["a", "a"], JUDGED) == 0.5


def test_evaluate_averages_over_every_question():
    rows = [
        {"qid": "Q1", "question": "one", "paraphrase": "uno", "judgments": {"a": 4, "b": 3}},
        {"qid": "Q2", "question": "two", "paraphrase": "dos", "judgments": {"c": 2}},
    ]
    rankings = {"one": ["x", "b", "a"], "two": ["c"], "uno": ["a"], "dos": []}
    result = evaluate(rows, lambda q: rankings[q], field="question")
    # Q1: first relevant at 2 -> RR 0.5, recall 1; Q2 has nothing relevant -> 0 and 0.
    assert result["mrr_at_10"] == pytest.approx(0.25)
    assert result["recall_at_10"] == pytest.approx(0.5)
    q1_ndcg = (2 / math.log2(3) + 3 / math.log2(4)) / (3 + 2 / math.log2(3))
    assert result["ndcg_at_10"] == pytest.approx((q1_ndcg + 1.0) / 2)
    assert [q["first_relevant_rank"] for q in result["queries"]] == [2, None]
    assert result["queries"][0]["retrieved"] == ["x", "b", "a"]
    assert (result["questions"], result["answerable"]) == (2, 1)
    by_paraphrase = evaluate(rows, lambda q: rankings[q], field="paraphrase")
    assert by_paraphrase["mrr_at_10"] == pytest.approx(0.5)

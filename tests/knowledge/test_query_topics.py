"""The topics a message names, a ranking that serves each of them, and "can X cause Y"."""

from __future__ import annotations

from knowledge.query_topics import (
    cause_effect,
    diversify,
    group_topics,
    side_of,
)


def generic(word: str) -> bool:
    return word in {"syndrome", "disease"}


def test_names_sharing_a_specific_word_are_one_topic():
    topics = group_topics(
        {
            "tooth abscess": frozenset({"tooth", "abscess"}),
            "abscess": frozenset({"abscess"}),
            "heart attack": frozenset({"heart", "attack"}),
        },
        generic,
    )
    assert topics["tooth abscess"] == topics["abscess"]
    assert topics["heart attack"] != topics["abscess"]


def test_a_generic_word_joins_nothing_and_names_nothing():
    topics = group_topics(
        {
            "noonan": frozenset({"noonan", "syndrome"}),
            "down": frozenset({"down", "syndrome"}),
            "syndrome only": frozenset({"syndrome"}),
        },
        generic,
    )
    assert topics["noonan"] != topics["down"]
    assert "syndrome only" not in topics


def _ranking(*entries: tuple[str, float]) -> list[tuple[str, float]]:
    return list(entries)


def topic_of(item: str) -> int | None:
    return {"a": 0, "b": 1}.get(item[0])


def test_a_second_topic_gets_in_after_a_few_sections_of_the_first():
    ranked = _ranking(("a1", 2.0), ("a2", 1.95), ("a3", 1.9), ("a4", 1.85), ("b1", 1.8))
    order = [item for item, _ in diversify(ranked, topic_of, bonus=0.1, places=30)]
    assert order == ["a1", "a2", "b1", "a3", "a4"]


def test_a_far_worse_second_topic_stays_below():
    ranked = _ranking(("a1", 2.0), ("a2", 1.95), ("a3", 1.9), ("b1", 0.5))
    order = [item for item, _ in diversify(ranked, topic_of, bonus=0.1, places=30)]
    assert order == ["a1", "a2", "a3", "b1"]


def test_sections_of_no_named_topic_neither_gain_nor_lose():
    ranked = _ranking(("a1", 2.0), ("x1", 1.96), ("a2", 1.95), ("b1", 1.8), ("x2", 1.0))
    order = [item for item, _ in diversify(ranked, topic_of, bonus=0.1, places=30)]
    assert order[:2] == ["a1", "x1"]
    assert order.index("b1") < order.index("x2")


def test_one_topic_leaves_the_ranking_as_it_was():
    ranked = _ranking(("a1", 2.0), ("x1", 1.9), ("a2", 1.8))
    assert diversify(ranked, topic_of, bonus=0.1, places=30) == ranked


def test_scores_never_rise_down_the_list():
    ranked = _ranking(("a1", 2.0), ("b1", 1.97), ("a2", 1.0))
    result = diversify(ranked, topic_of, bonus=0.1, places=30)
    scores = [score for _, score in result]
    assert scores == sorted(scores, reverse=True)


def test_only_the_first_places_are_shared_out():
    ranked = _ranking(("a1", 2.0), ("a2", 1.9), ("a3", 1.8), ("a4", 1.7), ("b1", 1.0))
    order = [item for item, _ in diversify(ranked, topic_of, bonus=0.3, places=3)]
    assert order == ["a1", "a2", "a3", "a4", "b1"]
    order = [item for item, _ in diversify(ranked, topic_of, bonus=0.3, places=5)]
    assert order == ["a1", "a2", "a3", "b1", "a4"]


def test_a_topic_far_down_the_ranking_still_competes():
    ranked = [(f"a{i}", 2.0 - i / 100) for i in range(40)] + [("b1", 1.2)]
    order = [item for item, _ in diversify(ranked, topic_of, bonus=0.1, places=30)]
    assert "b1" in order[:10]


def test_can_x_cause_y_names_the_cause_and_the_effect():
    assert cause_effect("Can an abscess teeth cause a heart attack") == (
        "an abscess teeth",
        "a heart attack",
    )
    cause, effect = cause_effect("Does metformin lead to high blood pressure?")
    assert (cause, effect) == ("metformin", "high blood pressure")
    assert cause_effect("What causes a cold?") is None  # asks for causes, names no cause
    assert cause_effect("Is diabetes inherited?") is None


def test_a_topic_is_on_the_side_of_the_question_its_words_come_from():
    cause, effect = {"tooth", "abscess"}, {"heart", "attack"}
    assert side_of({"tooth", "abscess"}, cause, effect) == "cause"
    assert side_of({"heart", "attack"}, cause, effect) == "effect"
    assert side_of({"heart", "tooth"}, cause, effect) is None
    assert side_of({"fever"}, cause, effect) is None

"""Fusion weights: the hand-set ones and the learned ones, each selectable by name."""

from __future__ import annotations

import json

import pytest

from knowledge.retrieval.fusion import (
    SIGNALS,
    WEIGHTS_FILE,
    Candidate,
    FusionWeights,
    fuse,
)


def test_the_shipped_learned_weights_load_and_differ_from_the_hand_set_ones():
    learned = FusionWeights.learned()
    assert learned != FusionWeights.handset()
    assert all(getattr(learned, s) >= 0 for s in SIGNALS)
    assert FusionWeights.named("learned") == learned
    assert FusionWeights.named("handset") == FusionWeights()
    stored = json.loads(WEIGHTS_FILE.read_text())["weights"]
    assert learned.question == pytest.approx(stored["question"])


def test_a_file_naming_only_some_weights_keeps_the_others_hand_set(tmp_path):
    path = tmp_path / "w.json"
    path.write_text(json.dumps({"weights": {"bm25": 0.9}}))
    weights = FusionWeights.from_file(path)
    assert weights.bm25 == 0.9
    assert weights.question == FusionWeights().question


def test_a_misspelt_weight_is_refused(tmp_path):
    path = tmp_path / "w.json"
    path.write_text(json.dumps({"weights": {"bm52": 0.9}}))
    with pytest.raises(ValueError, match="bm52"):
        FusionWeights.from_file(path)
    with pytest.raises(ValueError):
        FusionWeights.named("tuned")


def test_the_weights_decide_the_order():
    lexical = Candidate("A_1_Sec1", question=0.2, passage=0.2, bm25=1.0)
    semantic = Candidate("B_1_Sec1", question=0.6, passage=0.6, bm25=0.0)
    lexical_first = FusionWeights(question=0.1, passage=0.1, bm25=1.0, article=0.0, repeat=0.0)
    order = [c.section_id for c, _ in fuse([lexical, semantic], lexical_first)]
    assert order == ["A_1_Sec1", "B_1_Sec1"]
    order = [c.section_id for c, _ in fuse([lexical, semantic], FusionWeights())]
    assert order == ["B_1_Sec1", "A_1_Sec1"]

"""The embedding model: offline ONNX export, int8 close to fp32, the vector cache."""

from __future__ import annotations

import numpy as np
import pytest
from retrieval_fixtures import CACHE_DIR

from knowledge.embedding import (
    DIMENSION,
    Embedder,
    EmbeddingCache,
    embed_with_cache,
    ensure_model,
)
from knowledge.index import shared_embedder

TEXTS = [
    "Polycystic kidney disease is a disorder that affects the kidneys and other organs.",
    "What are the treatments for appendicitis?",
    "Celiac disease is an autoimmune disorder triggered by gluten in wheat, barley and rye. "
    * 20,  # longer than the model reads: cut at 256 word pieces
]


@pytest.fixture(scope="module")
def int8():
    return shared_embedder(CACHE_DIR, quantized=True)


def test_the_exported_model_lives_in_the_cache_dir():
    directory = ensure_model(CACHE_DIR)
    assert {"model-int8.onnx", "model-fp32.onnx", "tokenizer.json"} <= {
        p.name for p in directory.iterdir()
    }


def test_the_export_keeps_residual_additions_apart_from_layer_norms():
    # Fused SkipLayerNormalization / BiasGelu made indexing 25% slower on this CPU.
    import onnx

    directory = ensure_model(CACHE_DIR)
    for name in ("model-int8.onnx", "model-fp32.onnx"):
        ops = {node.op_type for node in onnx.load(str(directory / name)).graph.node}
        assert {"LayerNormalization", "Attention" if "fp32" in name else "QAttention"} <= ops
        assert not ops & {"SkipLayerNormalization", "BiasGelu"}, name


def test_vectors_are_unit_length_and_similar_texts_are_closer(int8):
    vectors = int8.embed([*TEXTS, "Is polycystic kidney disease inherited?"])
    assert vectors.shape == (4, DIMENSION)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    kidney_question = vectors[3]
    assert kidney_question @ vectors[0] > kidney_question @ vectors[1]
    # int8 activations are quantized per batch, so a text's vector moves a little with its
    # batch companions (cosine ~0.995, as much as the int8 error itself), never more.
    alone = np.vstack([int8.embed([t]) for t in TEXTS])
    assert ((alone * vectors[:3]).sum(axis=1) > 0.98).all()


def test_many_batches_run_on_every_core_and_give_the_vectors_one_core_gives(int8):
    # Several batches run side by side in single-thread sessions; each text keeps its vector.
    texts = [f"{text} Note {i}." for i in range(30) for text in TEXTS]
    one_core = Embedder(cache_dir=CACHE_DIR, threads=1)
    assert np.allclose(
        int8.embed(texts, batch_tokens=512), one_core.embed(texts, batch_tokens=512), atol=1e-5
    )


def test_texts_embedded_from_several_threads_at_once_keep_their_own_vectors(int8):
    # A web process may embed from several threads: no call may disturb another's batch.
    from concurrent.futures import ThreadPoolExecutor

    # (Padding once leaked between calls: the short text then averaged in the padding.)
    short, long = TEXTS[1], "Celiac disease is an autoimmune disorder. " * 3
    expected = int8.embed([short, long])
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: int8.embed([short, long]), range(200)))
    assert all(np.allclose(r, expected, atol=1e-5) for r in results)


def test_int8_vectors_stay_close_to_fp32(int8):
    fp32 = shared_embedder(CACHE_DIR, quantized=False)
    cosines = (int8.embed(TEXTS) * fp32.embed(TEXTS)).sum(axis=1)
    assert cosines.min() > 0.97


def test_the_cache_returns_the_same_vectors_without_recomputing(int8, tmp_path):
    cache = EmbeddingCache(tmp_path / "vectors.sqlite3", model_key=int8.model_key)
    first = embed_with_cache(int8, cache, TEXTS)
    assert set(cache.get(TEXTS)) == {0, 1, 2}
    again = embed_with_cache(int8, cache, [TEXTS[1], TEXTS[1], "a new text"])
    assert np.array_equal(again[0], first[1]) and np.array_equal(again[1], first[1])
    assert len(cache.get(["a new text"])) == 1
    other_model = EmbeddingCache(tmp_path / "vectors.sqlite3", model_key="another model")
    assert other_model.get(TEXTS) == {}


def test_truncate_keeps_whole_words_up_to_the_budget(int8):
    text = "Polycystic kidney disease affects the kidneys and other organs. " * 10
    head = int8.truncate(text, max_tokens=20)
    assert text.startswith(head)
    assert 10 < int8.count_tokens(head) <= 20
    assert text[len(head)] == " "  # cut between words, never inside one
    assert int8.truncate("A short text.", max_tokens=20) == "A short text."
    # Many texts at once, each to its own budget, cut exactly as one at a time.
    texts = [text, "A short text.", text]
    assert int8.truncate_batch(texts, [20, 20, 40]) == [
        head,
        "A short text.",
        int8.truncate(text, max_tokens=40),
    ]
    assert int8.count_tokens(int8.truncate(text, max_tokens=40)) > 20

"""The learned layer of the gate: a calibrated linear classifier over what a message means.

Rules recognise the words they were given; patients use others ("he went stiff and now he won't
answer me" is a seizure no rule names). This layer reads the normalised message (`Text.norm`, after
`cleaning.clean`) two ways and returns a level, its probabilities and the nearest labelled
messages, so a nurse can see *why* it decided:

- **lexical**: hashed word unigrams and bigrams and character 3-5-grams inside words, sublinear
  term frequency, L2-normalised. Character grams carry typos, Spanish inflections and words
  the rules never listed; they need nothing but this file.
- **dense** (when an embedder is attached): the all-MiniLM-L6-v2 sentence vector the knowledge
  index already uses, so wording that shares no word with any labelled message can still land
  near its meaning.

With the dense layer, the regression's probabilities are blended with a vote of the nearest
labelled messages by meaning (`neighbour_vote`): a wording close to a few labelled emergencies
counts even where the regression's weights, fitted to all messages at once, do not reach it.
Cross-validated on the training split, the blend caught 0.3-0.7 points more emergencies over three
fold seeds at the same false alarms.

Two multinomial logistic regressions are stored: one over both feature sets, and one over the
lexical features alone. The second is used whenever no embedder is attached or the embedder fails,
so the gate never depends on anything that can fail: it degrades to lexical plus rules, and says
so (`Prediction.layer`). Each model carries its `combine.Policy` (thresholds and the limits on
raising and lowering a rule's level), chosen by cross-validation of the whole gate on the training
split for emergency recall first, false alarms second (see `training.py`); the held-aside split
never influenced them.

Deterministic given the model file (`data/model.npz`, built by `manage.py escalation_train`):
hashing uses CRC32, not Python's salted `hash`.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from assistant.escalation.combine import Policy, model_level

logger = logging.getLogger(__name__)

MODEL_FILE = Path(__file__).resolve().parent / "data" / "model.npz"
FEATURE_BITS = 18
FEATURE_DIM = 1 << FEATURE_BITS
CLASSES = ("emergency", "urgent", "routine")
EXEMPLARS = 3

Embed = Callable[[Sequence[str]], np.ndarray]  # texts -> unit vectors (n, d)


def labels_onehot(labels: Sequence[str]) -> np.ndarray:
    """(n, 3) indicator matrix of `labels` in `CLASSES` order."""
    return np.array([[1.0 if label == c else 0.0 for c in CLASSES] for label in labels]).reshape(
        -1, len(CLASSES)
    )


def neighbour_vote(sims: np.ndarray, onehot: np.ndarray, *, k: int, power: float) -> np.ndarray:
    """Class probabilities from the `k` labelled messages most similar to each row of `sims`.

    `sims` (n, m): cosine of n messages to m labelled ones; `onehot` (m, 3) their labels
    (`labels_onehot`). Each neighbour votes with its similarity (below zero: none) to the power
    `power`, so the closest count most; votes are divided by each class's share of the m
    labelled messages, as the regression's classes are balanced. Training and prediction both
    call this, so the gate blends exactly what cross-validation chose.
    """
    sims = np.atleast_2d(sims)
    prior = np.maximum(onehot.mean(axis=0), 1e-12)
    k = min(k, sims.shape[1])
    nearest = np.argpartition(-sims, k - 1, axis=1)[:, :k]
    weights = np.maximum(np.take_along_axis(sims, nearest, axis=1), 0.0) ** power
    votes = (weights[:, :, None] * onehot[nearest]).sum(axis=1) / prior
    total = votes.sum(axis=1, keepdims=True)
    uniform = np.full_like(votes, 1.0 / votes.shape[1])
    return np.where(total > 0, votes / np.maximum(total, 1e-12), uniform)


def neighbour_blend(
    probs: np.ndarray, sims: np.ndarray, onehot: np.ndarray, neighbours: dict[str, float]
) -> np.ndarray:
    """`probs` (n, 3) blended with the `neighbour_vote` of `sims` (n, m) as `neighbours` says
    (`k`, `power`, and `alpha`, the vote's weight); unchanged when it sets no vote. The gate and
    the training's cross-validation both call this, so they blend alike."""
    k, alpha = int(neighbours.get("k", 0)), float(neighbours.get("alpha", 0.0))
    if k <= 0 or alpha <= 0 or sims.size == 0:
        return probs
    vote = neighbour_vote(sims, onehot, k=k, power=float(neighbours.get("power", 1.0)))
    return (1.0 - alpha) * probs + alpha * vote


def lexical_features(norm: str) -> dict[int, float]:
    """Hashed, sublinear-tf, L2-normalised n-gram features of a normalised message."""
    counts: dict[int, int] = {}

    def add(gram: str) -> None:
        key = zlib.crc32(gram.encode("utf-8")) & (FEATURE_DIM - 1)
        counts[key] = counts.get(key, 0) + 1

    tokens = norm.split()
    previous = "<s>"
    for token in tokens:
        add("w:" + token)
        add("b:" + previous + " " + token)
        previous = token
        if token in {".", ","} or not token.isalpha():
            continue
        padded = f" {token} "
        for n in (3, 4, 5):
            for i in range(len(padded) - n + 1):
                add("c:" + padded[i : i + n])
    if not counts:
        return {}
    weights = {k: 1.0 + math.log(v) for k, v in counts.items()}
    norm2 = math.sqrt(sum(w * w for w in weights.values()))
    return {k: w / norm2 for k, w in weights.items()}


@dataclass(frozen=True)
class Exemplar:
    """A labelled message close to the one being classified: shown to the nurse, kept in audit."""

    text: str
    label: str
    category: str
    similarity: float

    def to_dict(self) -> dict[str, object]:
        return {
            "text": self.text,
            "label": self.label,
            "category": self.category,
            "similarity": round(self.similarity, 3),
        }


@dataclass(frozen=True)
class Prediction:
    level: str
    probabilities: dict[str, float]  # emergency / urgent / routine, summing to 1
    exemplars: tuple[Exemplar, ...]
    layer: str  # "lexical+dense" or "lexical" (no embedder, or it failed)
    category: str  # the clinical category most of the nearest exemplars at `level` share
    policy: Policy  # the thresholds this layer's level was read with (see combine.py)

    @property
    def escalation_probability(self) -> float:
        return self.probabilities["emergency"] + self.probabilities["urgent"]


class Classifier:
    """The stored model: weights, thresholds and the labelled exemplars."""

    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        meta = json.loads(str(arrays["meta"]))
        self.meta = meta
        self.version: str = meta["version"]
        self.policy = Policy(**meta["policy"])
        self.policy_lexical = Policy(**meta["policy_lexical"])
        # Sparse lexical weights: feature index -> row of a small dense matrix (-1: no weight), as
        # an array so that a message's features are looked up at once rather than one by one.
        self._lex_rows = np.full(FEATURE_DIM, -1, dtype=np.int64)
        self._lex_rows[arrays["lex_idx"].astype(np.int64)] = np.arange(len(arrays["lex_idx"]))
        self._lex_full = arrays["lex_full"].astype(np.float64)  # (k, 3)
        self._lex_only = arrays["lex_only"].astype(np.float64)  # (k, 3)
        self._dense = arrays["dense"].astype(np.float64)  # (d, 3)
        self._b_full = arrays["b_full"].astype(np.float64)
        self._b_only = arrays["b_only"].astype(np.float64)
        ex = json.loads(str(arrays["exemplars"]))
        self._ex_text: list[str] = ex["text"]
        self._ex_label: list[str] = ex["label"]
        self._ex_label_array = np.array(self._ex_label)
        self._ex_category: list[str] = ex["category"]
        self._ex_vectors = arrays["ex_dense"].astype(np.float32)  # (n, d), unit rows
        # The neighbour vote blended into the dense layer (absent from older model files: none).
        self._neighbours: dict[str, float] = meta.get("neighbours") or {}
        self._ex_onehot = labels_onehot(self._ex_label)
        self._ex_lexical = _sparse_rows([lexical_features(norm) for norm in ex["norm"]])

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> Classifier:
        with np.load(path, allow_pickle=False) as data:
            return cls({k: data[k] for k in data.files})

    # --- scoring ------------------------------------------------------------------------------
    def _lexical_logits(self, feats: dict[int, float], weights: np.ndarray) -> np.ndarray:
        if not feats:
            return np.zeros(len(CLASSES))
        rows = self._lex_rows[np.fromiter(feats.keys(), dtype=np.int64, count=len(feats))]
        values = np.fromiter(feats.values(), dtype=np.float64, count=len(feats))
        known = rows >= 0
        return values[known] @ weights[rows[known]]

    @staticmethod
    def _softmax(logits: np.ndarray) -> np.ndarray:
        z = np.exp(logits - logits.max())
        return z / z.sum()

    def predict(self, norm: str, vector: np.ndarray | None) -> Prediction:
        """Classify a normalised message; `vector` is its sentence embedding, if there is one."""
        feats = lexical_features(norm)
        if vector is not None and self._dense.shape[0] != vector.shape[0]:
            vector = None  # a model trained without sentence vectors, or another embedder's
        sims = self._similarities(feats, vector)
        if vector is not None:
            logits = self._lexical_logits(feats, self._lex_full) + vector @ self._dense
            probs = self._softmax(logits + self._b_full)
            probs = neighbour_blend(probs[None], sims[None], self._ex_onehot, self._neighbours)[0]
            policy, layer = self.policy, "lexical+dense"
        else:
            probs = self._softmax(self._lexical_logits(feats, self._lex_only) + self._b_only)
            policy, layer = self.policy_lexical, "lexical"
        p = {c: float(v) for c, v in zip(CLASSES, probs, strict=True)}
        level = model_level(p, policy)
        order = np.argsort(-sims, kind="stable")
        exemplars = tuple(
            Exemplar(self._ex_text[i], self._ex_label[i], self._ex_category[i], float(sims[i]))
            for i in order[:EXEMPLARS]
        )
        category = self._category(level, sims)
        return Prediction(level, p, exemplars, layer, category, policy)

    def _similarities(self, feats: dict[int, float], vector: np.ndarray | None) -> np.ndarray:
        """Cosine of the message to every labelled message: by meaning when there is a vector."""
        if vector is not None and self._ex_vectors.size:
            return self._ex_vectors @ vector.astype(np.float32)
        if not feats:
            return np.zeros(self._ex_lexical.shape[0])
        keys = np.fromiter(feats.keys(), dtype=np.int64)
        values = np.fromiter(feats.values(), dtype=np.float64)
        return np.asarray(self._ex_lexical[:, keys] @ values).ravel()

    def _category(self, level: str, sims: np.ndarray) -> str:
        """The category of the closest labelled messages of the same level (for instructions)."""
        of_level = np.flatnonzero(self._ex_label_array == level)
        same = of_level[np.argsort(-sims[of_level], kind="stable")[:5]]
        votes: dict[str, float] = {}
        for i in same:
            votes[self._ex_category[i]] = votes.get(self._ex_category[i], 0.0) + float(sims[i])
        return max(votes, key=lambda c: votes[c]) if votes else ""


def _sparse_rows(rows: list[dict[int, float]]) -> Any:
    """Feature dicts as a column-sliceable sparse matrix (rows x FEATURE_DIM)."""
    from scipy import sparse

    indptr, indices, data = [0], [], []
    for row in rows:
        indices.extend(row.keys())
        data.extend(row.values())
        indptr.append(len(indices))
    matrix = sparse.csr_matrix((data, indices, indptr), shape=(len(rows), FEATURE_DIM))
    return matrix.tocsc()


# --- The process-wide model and embedder ----------------------------------------------------------
_lock = threading.Lock()
_embed_factory: Callable[[], Embed] | None = None
_embed: Embed | None = None
_embed_failed_at: float | None = None
RETRY_AFTER_S = 60.0  # a failed embedder is tried again after this long, not on every message


def embedder_attach(factory: Callable[[], Embed] | None) -> None:
    """Give the gate a sentence embedder, made on first use (the app does this at start-up).

    The factory is called on first use; if it fails (tried again after `RETRY_AFTER_S`), or an
    embedding fails, the gate goes on with the lexical model and logs why, rather than fail a
    patient's message.
    """
    global _embed_factory, _embed, _embed_failed_at
    with _lock:
        _embed_factory, _embed, _embed_failed_at = factory, None, None


def _embedder() -> Embed | None:
    global _embed, _embed_failed_at
    if _embed is not None or _embed_factory is None:
        return _embed
    if _embed_failed_at is not None and time.monotonic() - _embed_failed_at < RETRY_AFTER_S:
        return None
    with _lock:
        if _embed is None and _embed_factory is not None:
            try:
                _embed = _embed_factory()
                _embed_failed_at = None
            except Exception as exc:
                _embed_failed_at = time.monotonic()
                logger.warning("escalation: no sentence embedder (%s); lexical model", exc)
    return _embed


def sentence_vector(text: str) -> np.ndarray | None:
    embed = _embedder()
    if embed is None:
        return None
    try:
        return np.asarray(embed([text])[0], dtype=np.float32)
    except Exception:
        logger.exception("escalation: embedding failed; using the lexical model for this message")
        return None


_load_lock = threading.Lock()


@lru_cache(maxsize=1)
def _classifier_loaded() -> Classifier | None:
    try:
        return Classifier.load(MODEL_FILE)
    except Exception:
        logger.exception("escalation: no classifier model at %s; rules only", MODEL_FILE)
        return None


def classifier() -> Classifier | None:
    """The stored classifier, or None when the model file is missing or unreadable (logged).

    Read once per process. An lru_cache alone computes a missing value in every thread that asks
    for it at the same moment: the first messages after a web process started, arriving
    together on the socket threads, each read and indexed the model (about a second alone),
    ten at once fighting for the interpreter, and patients waited 10-15 s.
    """
    if _classifier_loaded.cache_info().currsize:
        return _classifier_loaded()
    with _load_lock:
        return _classifier_loaded()


classifier.cache_clear = _classifier_loaded.cache_clear  # type: ignore[attr-defined]

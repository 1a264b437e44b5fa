"""Retrieval of approved patient-education content.

The contract every caller relies on: a search returns `Passage` objects, each naming the section
it came from by its stable external id *and* the version that was approved when it was indexed, so
an answer can always cite exactly what it used.

`HybridRetriever` ranks sections for a patient's message in three steps:
1. candidates: the nearest passages and the nearest curated questions (dense), the best BM25
   matches (lexical), and every section of an article whose name the message spells out;
2. re-ranking of those candidates by a small weighted sum of normalised signals:
   - `question`: similarity of the message to the section's curated question ("focus. question").
     MedQuAD answers are written for *questions*; matching the patient's question to them is the
     question-entailment idea of the MedQuAD authors;
   - `passage`: best similarity over the section's passages (the whole answer, not its start);
   - `bm25`: lexical score relative to the best lexical match of this query (the 300 best
     matches are scored, in a thread beside the query embedding; others count 0);
   - `focus`: how completely the message names the article's topic (IDF-weighted word coverage of
     the focus or one of its other names, tolerant to plural/typos; a name spelled out whole
     counts fully unless it is part of a longer name also spelled out);
   - `qtype`: the section answers the kind of question asked (causes, treatment, ...), from a
     small deterministic classifier of the message;
   - `topic`: a mild boost for sections about the patient's own conditions, only when the message
     is vague ("my condition", no topic named).
   In "can X cause Y?" the sections about Y are asked for its causes, those about X for its
   effects; a subtype that only borrows its parent's name ("Noonan syndrome 6") gets less focus;
3. the final order (`fuse`, then `query_topics.diversify`): each section drawn toward its
   article's best score; sections of one article under the same title (one answer in parts)
   in reading order, the parts after the first giving way to the article's other answers;
   and every topic the message names getting places in the top ranks.
Each result carries these signals in `Passage.scores` for a "why this answer" display.
"""

from __future__ import annotations

import math
import os
import re
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np

from knowledge.lexical import STOPWORDS, content_words, words
from knowledge.query_topics import (
    CAUSE_SIDE_QTYPES,
    EFFECT_SIDE_QTYPES,
    GENERIC_NAME_SHARE,
    cause_effect,
    diversify,
    group_topics,
    side_of,
)

if TYPE_CHECKING:
    from knowledge.index import KnowledgeIndex, PassageHit, SectionMeta
    from knowledge.lexical import LexicalIndex


@dataclass(frozen=True)
class Passage:
    """One retrieved piece of an approved section (a whole short section, or a window of a
    long one)."""

    section_id: str  # stable external id, e.g. "GHR_0000804_Sec2"
    version: int  # the approved version of that section this passage was cut from
    passage_id: str  # section_id + window index, unique in the index
    text: str  # the passage text (what is shown / quoted)
    question: str  # the curated question or heading of the section
    focus: str  # the article's topic (condition or subject)
    qtype: str  # section type: information, symptoms, causes, treatment, prevention, outlook...
    source: str  # the organisation that wrote it, e.g. "GHR", "NIDDK", "CDC"
    url: str
    score: float = 0.0  # final fused score (higher is better)
    scores: dict[str, float] = field(default_factory=dict)  # per-signal scores, for "why" displays
    # When this section is a part of an answer split over alike-titled sections: the part whose
    # score this one's place came from (parts are ranked in reading order, see `fuse`), if another.
    ranked_as: str = ""


class Retriever(Protocol):
    def search(
        self,
        query: str,
        *,
        k: int = 10,
        topics: Sequence[str] = (),
    ) -> list[Passage]:
        """Best approved passages for `query`; `topics` (e.g. the patient's condition names)
        steer the ranking toward content about them without excluding the rest."""
        ...


MODES = ("bm25", "dense", "hybrid")


# --------------------------------------------------------------------------------------------
# Query clean-up
# --------------------------------------------------------------------------------------------
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
        if line and content_words(line):  # a line of only "Thank you!" says nothing
            lines.append(line.rstrip(" ,;:-"))
    joined = ". ".join(lines) if len(lines) > 1 else (lines[0] if lines else "")
    joined = _SIGNOFF_RE.sub("", joined).strip()
    return joined or _SPACES_RE.sub(" ", text).strip()


# --------------------------------------------------------------------------------------------
# Question type: what kind of answer the message asks for (the corpus labels every section).
# --------------------------------------------------------------------------------------------
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


# --------------------------------------------------------------------------------------------
# Focus detection: which article topics the message names.
# --------------------------------------------------------------------------------------------
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


def stem(word: str) -> str:
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


# Words that mean the same in a topic's name (stemmed forms, see `name_terms`):
# - patients name a health problem with whichever noun comes to mind ("autoimmune illness",
#   "swallowing problems"), the publishers with another ("Autoimmune Diseases", "Swallowing
#   difficulty");
# - patients name the body part ("kidney", "newborn") where the publishers' name uses the medical
#   adjective ("polycystic renal disease", "neonatal hypoglycemia"): the everyday word and the
#   adjective of the same organ or age, as consumer-health vocabularies pair them. Only exact
#   counterparts (not "blood" / "vascular", not "baby" / "newborn").
_SAME_MEANING: tuple[frozenset[str], ...] = tuple(
    frozenset(group)
    for group in (
        (
            "disease",
            "disorder",
            "illness",
            "sickness",
            "condition",
            "problem",
            "difficulty",
            "trouble",
        ),
        ("kidney", "renal"),
        ("heart", "cardiac"),
        ("lung", "pulmonary"),
        ("liver", "hepatic"),
        ("brain", "cerebral"),
        ("stomach", "gastric"),
        ("bowel", "intestine", "intestinal"),
        ("belly", "abdomen", "abdominal"),
        ("chest", "thoracic"),
        ("skin", "cutaneous", "dermal"),
        ("eye", "ocular"),
        ("tooth", "dental"),
        ("mouth", "oral"),
        ("nose", "nasal"),
        ("throat", "pharyngeal"),
        ("spine", "spinal"),
        ("muscle", "muscular"),
        ("vein", "venous"),
        ("breast", "mammary"),
        ("womb", "uterus", "uterine"),
        ("newborn", "neonatal"),
        ("child", "childhood", "pediatric"),
    )
)


_SAME_GROUP: dict[str, frozenset[str]] = {word: group for group in _SAME_MEANING for word in group}


def with_equivalents(terms: Iterable[str]) -> set[str]:
    """Message words for matching topic names, with the words that mean the same in a name
    (`_SAME_MEANING`)."""
    out = set(terms)
    for term in list(out):
        out |= _SAME_GROUP.get(term, frozenset())
    return out


def name_terms(text: str) -> tuple[str, ...]:
    """Stemmed meaningful words of a name or message (digits kept: "type 2" matters)."""
    return tuple(stem(w) for w in words(text) if w not in STOPWORDS and (len(w) > 1 or w.isdigit()))


def section_number(section_id: str) -> int:
    """The place of a section in its article: "GHR_0000804_Sec2" -> 2 (0 when unnumbered)."""
    tail = section_id.rsplit("_Sec", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def article_of(section_id: str) -> str:
    """The article (document) a section id belongs to: "GHR_0000804_Sec2" -> "GHR_0000804"."""
    return section_id.rsplit("_Sec", 1)[0]


def acronym(name: str) -> str | None:
    """Initials of a name of three or more words ("normal pressure hydrocephalus" -> "nph"):
    patients often write the short form."""
    initials = [w[0] for w in re.split(r"[\s/]+", name.lower()) if w and w not in STOPWORDS]
    if len(initials) < 3 or not all(c.isalpha() for c in initials):
        return None
    return "".join(initials)


@dataclass
class _NameIndex:
    """Article names (focus, other names, acronyms) of every indexed section, for focus
    detection, and the sections of every article."""

    generation: int
    names: list[tuple[tuple[str, ...], list[str]]]  # name id -> (terms, section ids)
    by_term: dict[str, np.ndarray]  # term -> ids of the names containing it
    idf: dict[str, float]
    totals: np.ndarray  # summed IDF of each name's words
    lengths: np.ndarray  # number of distinct words of each name
    section_names: dict[str, list[int]]  # section id -> its name ids (its own focus first)
    borrowed: dict[str, frozenset[int]]  # section id -> its other names that other articles own
    articles: dict[str, list[str]]  # article id -> its section ids
    vocabulary: dict[str, int]  # surface word -> number of sections containing it
    sections: int
    default_idf: float

    @classmethod
    def build(cls, generation: int, rows, vocabulary: dict[str, int]) -> _NameIndex:
        rows = list(rows)
        common = max(1, len(rows) // 50)
        ids_by_terms: dict[tuple[str, ...], list[str]] = defaultdict(list)
        section_terms: dict[str, list[tuple[str, ...]]] = defaultdict(list)
        articles: dict[str, list[str]] = defaultdict(list)
        for row in rows:
            articles[article_of(row.section_id)].append(row.section_id)
            forms = [name_terms(n) for n in (row.focus, *row.topics)]
            for name in (row.focus, *row.topics):
                short = acronym(name)
                # An acronym that is also an ordinary word ("aid") would fire on prose.
                if short and short not in STOPWORDS and vocabulary.get(short, 0) <= common:
                    forms.append((short,))
            for terms in forms:
                if terms and terms not in section_terms[row.section_id]:
                    ids_by_terms[terms].append(row.section_id)
                    section_terms[row.section_id].append(terms)
        names = list(ids_by_terms.items())
        number = {terms: i for i, (terms, _) in enumerate(names)}
        by_term: dict[str, list[int]] = defaultdict(list)
        df: dict[str, int] = defaultdict(int)
        for i, (terms, _) in enumerate(names):
            for term in set(terms):
                by_term[term].append(i)
                df[term] += 1
        total = max(1, len(names))
        idf = {term: math.log(1 + total / count) for term, count in df.items()}
        section_names = {
            sid: [number[terms] for terms in term_list] for sid, term_list in section_terms.items()
        }
        # GARD lists a subtype's parent among its other names ("Noonan syndrome 6", also
        # "Noonan syndrome"): such a name is the focus of other articles, and a message naming
        # it is about those first.
        owned = {number[name_terms(row.focus)] for row in rows if name_terms(row.focus)}
        borrowed = {
            sid: frozenset(i for i in ids[1:] if i in owned and i != ids[0])
            for sid, ids in section_names.items()
        }
        default_idf = math.log(1 + total)
        totals = np.array(
            [sum(idf.get(t, default_idf) for t in terms) for terms, _ in names], dtype=np.float64
        )
        lengths = np.array([len(set(terms)) for terms, _ in names], dtype=np.float64)
        return cls(
            generation=generation,
            names=names,
            by_term={t: np.array(ids, dtype=np.int64) for t, ids in by_term.items()},
            idf=idf,
            totals=totals,
            lengths=lengths,
            section_names=section_names,
            borrowed=borrowed,
            articles=dict(articles),
            vocabulary=vocabulary,
            sections=len(rows),
            default_idf=default_idf,
        )

    def weight(self, term: str) -> float:
        return self.idf.get(term, self.default_idf)

    def generic(self, term: str) -> bool:
        """Whether a word is in so many names that it names no topic ("syndrome")."""
        return len(self.by_term.get(term, ())) > GENERIC_NAME_SHARE * len(self.names)

    def _credits(self, query_terms: set[str]) -> dict[str, float]:
        """What each word of a name earns when found in the message: its IDF, and a word that
        means the same as a message word (`_SAME_MEANING`) no more than the message's word
        would: "disease" in the message must not weigh like the rarer "illness" it stands for
        (it would half-name "Mental illness")."""
        credits: dict[str, float] = {}
        for term in query_terms:
            own = self.weight(term)
            credits[term] = max(credits.get(term, 0.0), own)
            for same in _SAME_GROUP.get(term, ()):
                if same != term:
                    credits[same] = max(credits.get(same, 0.0), min(own, self.weight(same)))
        return credits

    def matches(self, query_terms: set[str]) -> dict[int, float]:
        """Names sharing at least one word with the message, with how completely the message
        names them: the IDF-weighted share of the name's words found in the message, scaled
        down when the shared words are common ("pain", "cancer" match too much to count fully)
        unless the name is all the message is about."""
        covered = np.zeros(len(self.names))
        found = np.zeros(len(self.names))
        for term, credit in self._credits(query_terms).items():
            ids = self.by_term.get(term)
            if ids is not None:
                covered[ids] += credit
                found[ids] += 1
        hit = np.nonzero(covered)[0]
        if not len(hit):
            return {}
        shared = covered[hit]
        query_weight = sum(self.weight(t) for t in query_terms)
        specificity = np.minimum(1.0, shared / (SPECIFIC_NAME_SHARE * self.default_idf))
        share_of_message = np.minimum(1.0, shared / query_weight)
        scores = (shared / self.totals[hit]) * np.maximum(specificity, share_of_message)
        result = dict(zip(hit.tolist(), scores.tolist(), strict=True))
        # A name spelled out whole is named, however common its words ("anemia" in "what causes
        # anemia?"), unless it is part of a longer name also spelled out ("pain" in "back pain").
        whole = hit[found[hit] >= self.lengths[hit]]
        spelled = {i: frozenset(self.names[i][0]) for i in whole.tolist()}
        for i, terms in spelled.items():
            if not any(terms < other for other in spelled.values()):
                result[i] = 1.0
        return result


# Focus credit for a name that a section borrows from other articles (see _NameIndex.borrowed).
BORROWED_NAME_CREDIT = 0.8

# A name is "specific" once the words it shares with the message reach this share of the IDF of
# a word found in one name only (about two uncommon words, or one rare word like "appendicitis").
SPECIFIC_NAME_SHARE = 0.85


# A long message keeps its rarest words for BM25; the common ones add little and cost time.
MAX_LEXICAL_TERMS = 8
# Words in more than this share of the sections are left to the other signals (each costs a
# long posting-list scan and adds little to BM25).
LEXICAL_MAX_DF = 0.1
# ...and so are words matching, in any of their forms, more than that share and more than this
# many sections: FTS5 scores every section a word matches, several ms per thousand on this
# machine kind. (A small knowledge base never reaches it: there every word is cheap.)
LEXICAL_MAX_MATCHES = 2000
# How many of the best lexical matches get a lexical score (the first `candidates` of them are
# also candidates); a section below them scores 0 on that signal.
LEXICAL_SCORED = 300
_lexical_pools: dict[int, ThreadPoolExecutor] = {}


def _lexical_pool() -> ThreadPoolExecutor:
    """This process's threads for lexical searches (one per process id: threads do not survive
    a fork, and Celery's prefork workers are forked)."""
    pid = os.getpid()
    if pid not in _lexical_pools:
        _lexical_pools[pid] = ThreadPoolExecutor(max_workers=2, thread_name_prefix="lexical")
    return _lexical_pools[pid]


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
        for w in dict.fromkeys(content_words(text))
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
        if len(lower) < min_length or lower in vocabulary or lower in STOPWORDS:
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
        if max_df is not None and vocabulary[best] > max_df and stem(best) != stem(lower):
            # The likeliest reading is a common word: not trusted ("fellow" is no typo of
            # "follow"), and no rarer neighbour either ("diabete" is not "diabeta", a drug).
            return word
        return best

    return re.sub(r"[A-Za-z][A-Za-z']+", fix, text)


# --------------------------------------------------------------------------------------------
# Fusion
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FusionWeights:
    """Weights of the re-ranking signals (all signals lie in [0, 1])."""

    question: float = 1.0
    passage: float = 1.0
    bm25: float = 0.3
    focus: float = 0.5
    qtype: float = 0.2
    topic: float = 0.15
    article: float = 0.2  # share of the article's best score in each of its sections' score
    # Bonus per place a topic of the message is behind the most served one (see query_topics).
    diversity: float = 0.1
    # Penalty for a section when a better one of its article has the same question (see fuse).
    repeat: float = 0.25


@dataclass
class Candidate:
    section_id: str
    question: float = 0.0
    passage: float = 0.0
    bm25: float = 0.0
    focus: float = 0.0
    qtype: float = 0.0
    topic: float = 0.0
    best_passage: PassageHit | None = None
    meta: SectionMeta | None = None
    # Words of the message found in the section's best-matching article name.
    named_words: frozenset[str] = frozenset()
    # The part of the same answer whose place this one took in reading order (see `fuse`).
    ranked_as: str = ""

    def score(self, w: FusionWeights) -> float:
        return (
            w.question * self.question
            + w.passage * self.passage
            + w.bm25 * self.bm25
            + w.focus * self.focus
            + w.qtype * self.qtype
            + w.topic * self.topic
        )

    def signals(self) -> dict[str, float]:
        return {
            "question": round(self.question, 4),
            "passage": round(self.passage, 4),
            "bm25": round(self.bm25, 4),
            "focus": round(self.focus, 4),
            "qtype": round(self.qtype, 4),
            "topic": round(self.topic, 4),
        }


_VAGUE_RE = re.compile(
    r"\b(?:my|this|that|the|his|her|our) (?:condition|diagnosis|disease|illness|disorder|problem|"
    r"issue|results?)\b",
    re.IGNORECASE,
)


def fuse(candidates: Iterable[Candidate], weights: FusionWeights) -> list[tuple[Candidate, float]]:
    """Final ranking: each section's own score, drawn toward the best score of its article
    (sections of the article that best matches the message belong together).

    NIHSeniorHealth, NIDDK and NHLBI split one answer over several sections titled alike
    ("What is (are) Diabetes?" six times). Such sections are parts of one answer:
    - they are ranked in reading order: the group's best score goes to its first part, which
      opens the answer (what the condition is), the next best to the second part, and so on.
      A later part matches a message best when it shares its details (a subtype, a number),
      but the patient is served by the beginning, and the composer then quotes the answer
      from its start instead of from the middle;
    - every part after the first loses `weights.repeat`: the parts of one answer would
      otherwise push the article's other answers (causes, treatment) out of the top ranks."""
    own = [(c, c.score(weights)) for c in candidates]
    best: dict[str, float] = {}
    for c, score in own:
        article = article_of(c.section_id)
        best[article] = max(best.get(article, score), score)
    share = weights.article
    scored = [(c, (1 - share) * score + share * best[article_of(c.section_id)]) for c, score in own]
    scored.sort(key=lambda item: (-item[1], item[0].section_id))
    scored = _in_reading_order(scored)
    seen: Counter[tuple[str, str]] = Counter()
    penalised = []
    for c, score in scored:
        key = _answer_key(c)
        penalised.append((c, score - weights.repeat if seen[key] else score))
        seen[key] += 1
    penalised.sort(key=lambda item: (-item[1], item[0].section_id))
    return penalised


def _answer_key(c: Candidate) -> tuple[str, str]:
    """Sections with the same key are parts of one answer: same article, same question."""
    return article_of(c.section_id), c.meta.question.casefold() if c.meta else c.section_id


def _in_reading_order(
    scored: Sequence[tuple[Candidate, float]],
) -> list[tuple[Candidate, float]]:
    """`scored` (best first) with the parts of each answer (see `_answer_key`) moved so that
    the places they hold, best first, go to the parts in section order."""
    places: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, (c, _) in enumerate(scored):
        places[_answer_key(c)].append(i)
        c.ranked_as = ""
    out = list(scored)
    for held in places.values():
        if len(held) < 2:
            continue
        in_order = sorted(held, key=lambda i: section_number(scored[i][0].section_id))
        for place, part in zip(held, in_order, strict=True):
            out[place] = (scored[part][0], scored[place][1])
            if part != place:  # for "why" displays: whose score this part now holds
                scored[part][0].ranked_as = scored[place][0].section_id
    return out


# An open question about a topic ("what is X", "X?") is served, after X's overview, by any of
# X's sections (its causes, its treatment): they get this share of the question-type credit.
OPEN_QUESTION_CREDIT = 0.25
# How many places the message's topics share (a little beyond the ten shown).
DIVERSITY_PLACES = 30
# A section is about a topic of the message when the message covers this much of its name...
TOPIC_COVERAGE = 0.5
# ...and a topic counts only if the message spells out one of its names completely.
NAMED_COVERAGE = 0.8


def _topics_of(candidates: Mapping[str, Candidate], names: _NameIndex) -> dict[str, int]:
    """{section id: topic number} for the candidates about a topic the message names."""
    matched = {
        sid: c.named_words
        for sid, c in candidates.items()
        if c.focus >= TOPIC_COVERAGE and c.named_words
    }
    topics = group_topics(matched, names.generic)
    named = {topics[sid] for sid in topics if candidates[sid].focus >= NAMED_COVERAGE}
    return {sid: topic for sid, topic in topics.items() if topic in named}


@dataclass
class _Sections:
    """What the retriever keeps in memory about the indexed sections: metadata, question
    vectors and passage vectors (an exact scan of 18k questions takes ~2 ms, and every candidate
    gets exact similarities without a round trip to the store), and the article names.
    Brought up to date from the index whenever its content changes. About 60 MB for MedQuAD."""

    generation: int
    metas: list[SectionMeta]
    matrix: np.ndarray  # question vectors, one row per section
    row: dict[str, int]
    passage_ids: list[str]
    passages: np.ndarray  # passage vectors (float16 halves the memory; cosines move < 1e-3)
    passage_rows: dict[str, list[int]]  # section id -> rows in `passages`
    names: _NameIndex
    # In how many sections a word matches, all its forms included (lexical `match_count`),
    # remembered for this generation of the index: patients' messages reuse common words.
    match_counts: dict[str, int] = field(default_factory=dict)

    @classmethod
    def load(cls, index: KnowledgeIndex) -> _Sections:
        generation = index.generation()
        metas, matrix = index.question_vectors()
        passage_ids, passages = index.all_passage_vectors()
        return cls._assemble(index, generation, metas, matrix, passage_ids, passages)

    @classmethod
    def _assemble(cls, index, generation, metas, matrix, passage_ids, passages) -> _Sections:
        lexical = index.lexical
        names = _NameIndex.build(generation, lexical.names(), lexical.vocabulary())
        row = {m.section_id: i for i, m in enumerate(metas)}
        passage_rows: dict[str, list[int]] = defaultdict(list)
        for i, pid in enumerate(passage_ids):
            passage_rows[pid.rsplit("#", 1)[0]].append(i)
        return cls(
            generation=generation,
            metas=metas,
            matrix=matrix,
            row=row,
            passage_ids=passage_ids,
            passages=passages.astype(np.float16),
            passage_rows=dict(passage_rows),
            names=names,
        )

    def refreshed(self, index: KnowledgeIndex) -> _Sections:
        """This cache brought up to date (itself when nothing changed)."""
        generation = index.generation()
        if generation == self.generation:
            return self
        changed = index.changes_since(self.generation)
        if changed is None or len(changed) > len(self.metas) // 4:
            return _Sections.load(index)
        keep = [i for i, m in enumerate(self.metas) if m.section_id not in changed]
        new_metas, new_matrix = index.question_vectors(sorted(changed))
        metas = [self.metas[i] for i in keep] + new_metas
        matrix = np.vstack([self.matrix[keep], new_matrix])
        kept_passages = [
            i for i, pid in enumerate(self.passage_ids) if pid.rsplit("#", 1)[0] not in changed
        ]
        fresh = index.passage_vectors([pid for m in new_metas for pid in m.passage_ids()])
        passage_ids = [self.passage_ids[i] for i in kept_passages] + [
            h.passage_id for h, _ in fresh
        ]
        fresh_matrix = np.vstack([v for _, v in fresh]) if fresh else np.zeros((0, matrix.shape[1]))
        passages = np.vstack(
            [self.passages[kept_passages].astype(np.float32), fresh_matrix.astype(np.float32)]
        )
        return _Sections._assemble(index, generation, metas, matrix, passage_ids, passages)

    def meta(self, section_id: str) -> SectionMeta:
        return self.metas[self.row[section_id]]

    def match_count(self, word: str, lexical: LexicalIndex) -> int:
        count = self.match_counts.get(word)
        if count is None:
            count = self.match_counts[word] = lexical.match_count(word)
        return count


class HybridRetriever:
    """Search of a `KnowledgeIndex` in one of three modes: "bm25", "dense", "hybrid"."""

    def __init__(
        self,
        *,
        index: KnowledgeIndex,
        mode: str = "hybrid",
        weights: FusionWeights | None = None,
        candidates: int = 60,
        expand_articles: int = 5,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        self.index = index
        self.mode = mode
        self.weights = weights or FusionWeights()
        self.candidates = candidates
        self.expand_articles = expand_articles
        self._sections: _Sections | None = None
        self._sections_lock = threading.Lock()

    # -- public ---------------------------------------------------------------------------
    def search(
        self,
        query: str,
        *,
        k: int = 10,
        topics: Sequence[str] = (),
        mode: str | None = None,
    ) -> list[Passage]:
        mode = mode or self.mode
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        if not query.strip() and not topics:
            return []
        sections = self._current()
        if not sections.metas:
            return []
        if mode == "bm25":
            return self._search_bm25(query, k=k, sections=sections)
        if mode == "dense":
            return self._search_dense(query, k=k, sections=sections)
        ranked = self.rank(query, topics=topics)[:k]
        texts = self.index.passage_texts(
            [c.best_passage.passage_id for c, _ in ranked if c.best_passage]
        )
        return [
            _passage(c.meta, c, score, texts) for c, score in ranked if c.best_passage and c.meta
        ]

    # -- modes ----------------------------------------------------------------------------
    def _search_bm25(self, query: str, *, k: int, sections: _Sections) -> list[Passage]:
        terms = content_words(clean_query(query))
        hits = [
            (sid, s) for sid, s in self.index.lexical.search(terms, limit=k) if sid in sections.row
        ]
        if not hits:
            return []
        top = hits[0][1] or 1.0
        metas = {sid: sections.metas[sections.row[sid]] for sid, _ in hits}
        texts = self.index.passage_texts([pid for m in metas.values() for pid in m.passage_ids()])
        wanted = set(terms)
        out = []
        for sid, score in hits:
            # The passage sharing most words with the query (the first on a tie).
            pid = max(
                metas[sid].passage_ids(),
                key=lambda p: (len(wanted & set(words(texts.get(p, "")))), -int(p.rsplit("#")[1])),
            )
            hit = _hit(metas[sid], pid)
            out.append(
                _passage(
                    metas[sid], Candidate(sid, bm25=score / top, best_passage=hit), score, texts
                )
            )
        return out

    def _search_dense(self, query: str, *, k: int, sections: _Sections) -> list[Passage]:
        vector = self.index.embed_query(clean_query(query) or query)
        best: dict[str, PassageHit] = {}
        for hit in self.index.nearest_passages(vector, n=max(50, 5 * k)):
            if hit.section_id in sections.row:
                best.setdefault(hit.section_id, hit)  # hits come best first
        top = list(best.items())[:k]
        texts = self.index.passage_texts([hit.passage_id for _, hit in top])
        return [
            _passage(
                sections.meta(sid),
                Candidate(sid, passage=hit.similarity, best_passage=hit),
                hit.similarity,
                texts,
            )
            for sid, hit in top
        ]

    # -- hybrid ---------------------------------------------------------------------------
    def rank(self, query: str, *, topics: Sequence[str] = ()) -> list[tuple[Candidate, float]]:
        """All candidates of the hybrid search with their fused score, best first."""
        candidates = self.collect(query, topics=topics)
        ranked = fuse(candidates.values(), self.weights)
        topic_of = _topics_of(candidates, self._current().names)
        return diversify(
            ranked,
            lambda c: topic_of.get(c.section_id),
            bonus=self.weights.diversity,
            places=DIVERSITY_PLACES,
        )

    def collect(self, query: str, *, topics: Sequence[str] = ()) -> dict[str, Candidate]:
        """Candidate sections for a message, with every signal filled in."""
        sections = self._current()
        if not sections.metas:
            return {}
        names = sections.names
        cleaned = clean_query(query)
        cleaned = correct_spelling(cleaned, names.vocabulary, max_df=names.sections // 50)
        vague = not cleaned or bool(_VAGUE_RE.search(cleaned))
        query_terms = set(name_terms(cleaned))
        matching_terms = with_equivalents(query_terms)
        name_scores = names.matches(query_terms)
        named = [i for i, coverage in name_scores.items() if coverage >= NAMED_COVERAGE]
        n = self.candidates
        lexical_terms = informative_terms(
            cleaned,
            names.vocabulary,
            max_df=max(1, int(names.sections * LEXICAL_MAX_DF)),
            limit=MAX_LEXICAL_TERMS,
            # "diseases" is written in 6% of MedQuAD's sections, but matches ("disease") in 43%.
            matches=lambda word: sections.match_count(word, self.index.lexical),
            max_matches=max(int(names.sections * LEXICAL_MAX_DF), LEXICAL_MAX_MATCHES),
        )
        # The lexical search (SQLite) and the embedding (ONNX Runtime) both run outside the
        # GIL: the first goes on in another thread while the second is computed.
        lexical_future = _lexical_pool().submit(
            self.index.lexical.search, lexical_terms, limit=max(n, LEXICAL_SCORED)
        )
        vector = self.index.embed_query(cleaned or " ".join(topics))
        candidates: dict[str, Candidate] = {}

        def get(sid: str) -> Candidate | None:
            if sid not in candidates:
                if sid not in sections.row:
                    return None  # changed since the cache was read: skip it this time
                candidates[sid] = Candidate(sid, meta=sections.metas[sections.row[sid]])
            return candidates[sid]

        question_sims = sections.matrix @ vector
        top = np.argpartition(-question_sims, min(n, len(question_sims) - 1))[:n]
        for i in top:
            get(sections.metas[i].section_id)
        # Only sections with an approved question vector in `sections` become candidates, so
        # a passage's own metadata need not be read back (see `nearest_passage_ids`).
        for passage_id, similarity in self.index.nearest_passage_ids(vector, n=n):
            c = get(passage_id.rsplit("#", 1)[0])
            if c is not None and similarity > c.passage:
                c.passage, c.best_passage = similarity, _hit(c.meta, passage_id, similarity)
        # One lexical search scores many more sections than it adds as candidates: the others
        # found by other means get their lexical score from it (a second, per-candidate query
        # would re-read every posting list).
        lexical = lexical_future.result()
        top_bm25 = lexical[0][1] if lexical else 0.0
        lexical_scores = {sid: score / top_bm25 for sid, score in lexical}
        for sid, _ in lexical[:n]:
            get(sid)

        for name_id in named:
            for sid in names.names[name_id][1][:n]:
                get(sid)
        topic_scores: dict[int, float] = {}
        if topics:
            names_its_topic = any(v >= 0.999 for v in name_scores.values())
            if vague or not names_its_topic:
                topic_terms = set().union(*(set(name_terms(t)) for t in topics))
                topic_scores = names.matches(topic_terms)
                for name_id, coverage in topic_scores.items():
                    if coverage >= 0.999:
                        for sid in names.names[name_id][1][:n]:
                            get(sid)
            # else: the message names its own topic, and the patient's record must not steer.

        qtypes = detect_qtypes(cleaned)
        other_qtypes = OPEN_QUESTION_CREDIT if set(qtypes) == {"information"} else 0.0
        sides = cause_effect(cleaned)
        cause_words, effect_words = (
            (set(name_terms(sides[0])), set(name_terms(sides[1]))) if sides else (set(), set())
        )

        def features(batch: Iterable[Candidate]) -> None:
            for c in batch:
                c.question = float(question_sims[sections.row[c.section_id]])
                name_ids = names.section_names.get(c.section_id, ())
                borrowed = names.borrowed.get(c.section_id, frozenset())

                def credit(i: int, borrowed=borrowed) -> float:
                    share = BORROWED_NAME_CREDIT if i in borrowed else 1.0
                    return share * name_scores.get(i, 0.0)

                best_name = max(name_ids, key=credit, default=None)
                c.focus = credit(best_name) if best_name is not None else 0.0
                if c.focus:
                    c.named_words = frozenset(names.names[best_name][0]) & matching_terms
                c.topic = max((topic_scores.get(i, 0.0) for i in name_ids), default=0.0)
                if vague:
                    # "my condition": the patient's own condition is the topic of the question.
                    c.focus = max(c.focus, c.topic)
                side = side_of(c.named_words, cause_words, effect_words) if sides else None
                if side == "cause":
                    c.qtype = CAUSE_SIDE_QTYPES.get(c.meta.qtype, 0.0)
                elif side == "effect":
                    c.qtype = EFFECT_SIDE_QTYPES.get(c.meta.qtype, 0.0)
                else:
                    c.qtype = qtypes.get(c.meta.qtype, other_qtypes)

        features(candidates.values())
        # The other sections of the best articles: a patient asking about a topic is often
        # served by several sections of one article (causes, treatment...) that the first
        # searches may miss.
        best: dict[str, float] = {}
        for c in candidates.values():
            article = article_of(c.section_id)
            best[article] = max(best.get(article, 0.0), c.score(self.weights))
        added = []
        for article in sorted(best, key=lambda a: -best[a])[: self.expand_articles]:
            for sid in names.articles.get(article, ()):
                if sid not in candidates and get(sid) is not None:
                    added.append(candidates[sid])
        features(added)
        for sid, c in candidates.items():
            c.bm25 = lexical_scores.get(sid, 0.0)
        self._passage_similarities(sections, vector, candidates)
        return candidates

    @staticmethod
    def _passage_similarities(
        sections: _Sections, vector: np.ndarray, candidates: dict[str, Candidate]
    ) -> None:
        """Best passage of every candidate that the nearest-passage search did not reach."""
        missing: list[tuple[Candidate, list[int]]] = []
        for sid, c in list(candidates.items()):
            if c.best_passage is not None:
                continue
            rows = sections.passage_rows.get(sid)
            if not rows:
                del candidates[sid]  # no passage (removed meanwhile): nothing to show
                continue
            missing.append((c, rows))
        if not missing:
            return
        # One product for all of them (a product per candidate costs more in calls than sums).
        flat = [row for _, rows in missing for row in rows]
        sims = (sections.passages[flat].astype(np.float32) @ vector).tolist()
        start = 0
        for c, rows in missing:
            window = sims[start : start + len(rows)]
            best = max(range(len(rows)), key=window.__getitem__)
            start += len(rows)
            c.passage = window[best]
            c.best_passage = _hit(c.meta, sections.passage_ids[rows[best]], c.passage)

    # -- helpers --------------------------------------------------------------------------
    def _current(self) -> _Sections:
        generation = self.index.generation()
        # Another process's import or approval, without a restart.
        self.index.vectors_current(generation)
        current = self._sections
        if current is not None and current.generation == generation:
            return current
        with self._sections_lock:
            if self._sections is None:
                self._sections = _Sections.load(self.index)
            else:
                self._sections = self._sections.refreshed(self.index)
            return self._sections


def _passage(
    meta: SectionMeta, candidate: Candidate, score: float, texts: Mapping[str, str]
) -> Passage:
    hit = candidate.best_passage
    assert hit is not None
    return Passage(
        section_id=meta.section_id,
        version=hit.version,
        passage_id=hit.passage_id,
        text=texts.get(hit.passage_id, hit.text),
        question=meta.question,
        focus=meta.focus,
        qtype=meta.qtype,
        source=meta.source,
        url=meta.url,
        score=float(score),
        scores=candidate.signals(),
        ranked_as=candidate.ranked_as,
    )


def _hit(meta: SectionMeta, passage_id: str, similarity: float = 0.0) -> PassageHit:
    from knowledge.index import PassageHit

    return PassageHit(
        passage_id=passage_id,
        section_id=meta.section_id,
        version=meta.version,
        passage_no=int(passage_id.rsplit("#", 1)[1]),
        text="",
        similarity=similarity,
        meta={
            "question": meta.question,
            "focus": meta.focus,
            "qtype": meta.qtype,
            "source": meta.source,
            "url": meta.url,
        },
    )


def section_ids(passages: Iterable[Passage]) -> list[str]:
    return [p.section_id for p in passages]


def get_retriever() -> HybridRetriever:
    """The process-wide hybrid retriever over the configured index (see Django settings
    KNOWLEDGE_INDEX_DIR, EMBEDDING_CACHE_DIR, CHROMA_HOST)."""
    from knowledge.services import get_index

    return get_index().retriever()

"""Topic names: the words that name an article's topic (its focus and other names), their
equivalents, and the index that tells how completely a message names a topic.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from knowledge.query_topics import GENERIC_NAME_SHARE
from knowledge.text import SEARCH_STOPWORDS, search_tokens, stem_name

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
    return tuple(
        stem_name(w)
        for w in search_tokens(text)
        if w not in SEARCH_STOPWORDS and (len(w) > 1 or w.isdigit())
    )


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
    initials = [w[0] for w in re.split(r"[\s/]+", name.lower()) if w and w not in SEARCH_STOPWORDS]
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
                if short and short not in SEARCH_STOPWORDS and vocabulary.get(short, 0) <= common:
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

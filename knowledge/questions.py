"""A labelled set of patient-style questions built from the corpus (pure Python, no Django).

For a sample of approved sections, questions the section answers are written the way patients
write them (a relative asking, a short story first, typos, two questions in one, vague wording,
the topic's other names), from the section's curated question, focus and question type, never by
copying the curated question. Each question carries judgments in the grades of the evaluation
files (1 incorrect, 2 related, 3 incomplete, 4 excellent):
- 4: the section it was written from (and, for two questions in one, the second section too);
- 3: sections of the same question type about the same topic in other articles (sources repeat
  topics: GHR, GARD and MedlinePlus all explain a syndrome's causes), and the other parts of an
  answer split over several sections with the same title;
- 2: hard negatives on the topic: the same article's sections of another question type;
- 1: hard negatives of the question type: the same type of section about another topic.

The split is by article (a hash of the article id), so that no article of the held-aside part
is ever seen while fitting anything: `split_of(article_id)`.

Some questions are written to be unanswerable from this corpus (two medicines together, a
personal result, a personal dose decision, nothing medical): `answerable` false, no judgment of
grade 3 or more. The pipeline should abstain (or hand off) on them.

Everything is reproducible: the randomness is seeded per section by its id.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from knowledge.corpus import SectionRecord

HELD_ASIDE_SHARE = 0.25  # share of the articles kept aside (by hash)
SPLITS = ("train", "heldaside")


def _hash(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def split_of(article_id: str) -> str:
    """ "train" or "heldaside", by a hash of the article id (stable across runs and machines)."""
    return "heldaside" if (_hash(article_id) % 10_000) / 10_000 < HELD_ASIDE_SHARE else "train"


def article_of_section(section_id: str) -> str:
    return section_id.rsplit("_Sec", 1)[0]


# ------------------------------------------------------------------------------ wording

# Per question type: how patients ask it ("{t}" is the topic as the patient names it).
_TEMPLATES: dict[str, tuple[str, ...]] = {
    "information": (
        "what is {t}?",
        "what exactly is {t}",
        "can someone explain {t} in plain words",
        "whats {t}",
        "i keep hearing about {t}, what is it?",
        "what does it mean to have {t}",
        "{t}?",
    ),
    "symptoms": (
        "what are the signs of {t}?",
        "how would I know if I have {t}",
        "what symptoms does {t} cause",
        "what does {t} feel like?",
        "symptoms of {t}",
    ),
    "treatment": (
        "how is {t} treated?",
        "is there a cure for {t}",
        "what can be done for {t}?",
        "what are the treatment options for {t}",
        "what medicine helps with {t}",
    ),
    "inheritance": (
        "is {t} passed down in families?",
        "can my kids inherit {t}",
        "is {t} hereditary",
        "will my children get {t} from me?",
    ),
    "frequency": (
        "how common is {t}?",
        "how many people get {t}",
        "is {t} rare?",
    ),
    "genetic changes": (
        "what gene causes {t}?",
        "which genes are involved in {t}",
        "what mutation is behind {t}",
    ),
    "causes": (
        "what causes {t}?",
        "why do people get {t}",
        "how does someone end up with {t}",
        "what brings on {t}",
    ),
    "exams and tests": (
        "how is {t} diagnosed?",
        "what tests are done for {t}",
        "how do doctors check for {t}?",
    ),
    "outlook": (
        "what is the outlook for {t}?",
        "can you die from {t}",
        "what is life expectancy with {t}",
        "will {t} ever go away?",
    ),
    "research": (
        "are there clinical trials for {t}?",
        "is any new research being done on {t}",
    ),
    "susceptibility": (
        "who gets {t}?",
        "who is at risk for {t}",
        "am I more likely to get {t}?",
    ),
    "prevention": (
        "how can I prevent {t}?",
        "can {t} be avoided",
        "what lowers the chance of getting {t}",
    ),
    "when to see a doctor": (
        "when should I see a doctor about {t}?",
        "when do I need to call the doctor for {t}",
    ),
    "complications": (
        "what complications can {t} cause?",
        "what problems can {t} lead to",
    ),
    "stages": ("what are the stages of {t}?", "how is {t} staged"),
    "side effects": ("what side effects does {t} have?", "{t} side effects?"),
    "forget a dose": ("I forgot to take my {t}, what should I do?", "missed a dose of {t}"),
    "storage and disposal": ("how should I store {t}?", "how do I get rid of old {t}"),
    "usage": ("how should I take {t}?", "how is {t} taken"),
    "indication": ("why is {t} prescribed?", "what is {t} used for"),
    "brand names": ("what brand names is {t} sold under?", "other names for {t}"),
    "emergency or overdose": ("what happens if someone takes too much {t}?",),
    "precautions": ("what should I know before taking {t}?",),
    "dietary": ("are there foods to avoid with {t}?",),
}

# The same needs asked without the words of the curated question (no "cause", "treated",
# "symptoms"): how patients ask once the topic has been said. "it" is the topic.
_INDIRECT: dict[str, tuple[str, ...]] = {
    "information": ("what is this exactly?", "can you tell me what this means?"),
    "symptoms": ("what should I be looking out for?", "how does it show up?"),
    "treatment": ("what are the options?", "is there anything that helps?", "can it be fixed?"),
    "inheritance": ("should my kids be worried about getting it?", "does it run in families?"),
    "frequency": ("do a lot of people have this?", "how many have it?"),
    "genetic changes": ("is something wrong with a gene?", "which gene is it?"),
    "causes": ("why did this happen?", "did I do something to get this?"),
    "exams and tests": ("how will they find out for sure?", "how do they check for it?"),
    "outlook": ("what should we expect long term?", "does it get better?"),
    "research": ("is anyone working on new options?", "are there studies I could join?"),
    "susceptibility": ("who is likely to get it?", "could I get it too?"),
    "prevention": ("how do I keep from getting it?", "is there a way to stop it happening?"),
    "complications": ("what can it lead to later?", "what else can go wrong with it?"),
    "when to see a doctor": ("when is it serious enough to go in?",),
}
_CONTEXTS = (
    "I'm {age} and was told last month I have {t}.",
    "My {r} ({age}) has been dealing with {t} for a while now.",
    "Our pediatrician thinks our baby might have {t}.",
    "I looked up {t} after my appointment and got confused.",
    "My {r} got a letter saying {t} was found on a test.",
)
_WORRIES = (
    "",
    " I'm really worried.",
    " Nobody has explained much to us.",
    " The doctor was in a hurry.",
    " We see the specialist next week.",
)

_RELATIVES = (
    "mom",
    "dad",
    "husband",
    "wife",
    "son",
    "daughter",
    "grandma",
    "grandpa",
    "brother",
    "sister",
    "best friend",
)
_STORIES = (
    "I was just diagnosed with {t} and I'm kind of scared.",
    "my doctor mentioned {t} at my last visit.",
    "we just found out my {r} has {t}.",
    "my {r} was told they might have {t}.",
    "I read something online about {t}.",
)
_OPENERS = ("", "", "", "hi, ", "hello, ", "quick question: ", "sorry if this is dumb but ")
_CLOSERS = ("", "", "", " thanks", " thank you!", " pls help", "??")


def _lay_topic(focus: str) -> str:
    """The topic as a patient would write it: no "(... )", no source prefix, lower case."""
    topic = re.sub(r"\s*\([^)]*\)", "", focus)
    topic = re.sub(r"^(?:Parasites|Diseases?) - ", "", topic)
    return topic.strip().lower() or focus.lower()


def _typo(word: str, rng: random.Random) -> str:
    """A plausible typo: a letter dropped, doubled or two letters swapped."""
    if len(word) < 6 or not word.isalpha():
        return word
    i = rng.randrange(1, len(word) - 2)
    kind = rng.randrange(3)
    if kind == 0:
        return word[:i] + word[i + 1 :]
    if kind == 1:
        return word[:i] + word[i] + word[i:]
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def _with_typos(text: str, rng: random.Random, n: int = 1) -> str:
    parts = text.split(" ")
    long_words = [i for i, w in enumerate(parts) if len(w) >= 6 and w.isalpha()]
    for i in rng.sample(long_words, min(n, len(long_words))):
        parts[i] = _typo(parts[i], rng)
    return " ".join(parts)


def _topic_names(section: SectionRecord) -> list[str]:
    names = [_lay_topic(section.focus)]
    for synonym in section.synonyms:
        name = _lay_topic(synonym)
        # Abbreviations ("CAA") are how patients rarely name a condition; long names never.
        if 4 <= len(name) <= 40 and name not in names:
            names.append(name)
    return names


def _ask(qtype: str, topic: str, rng: random.Random, curated: str) -> str:
    templates = _TEMPLATES.get(qtype)
    if not templates:
        # A rare question type: the curated question, as a patient would type it.
        text = re.sub(r"\s+\?", "?", curated).replace("(are) ", "").replace("(s)", "")
        return text[0].lower() + text[1:] if text else text
    return rng.choice(templates).format(t=topic)


@dataclass(frozen=True)
class Wording:
    text: str
    voice: str  # plain, relative, story, typo, vague, lay_name, context, two_questions


def word_question(
    section: SectionRecord, rng: random.Random, *, second: SectionRecord | None = None
) -> Wording:
    """One patient-style question the section answers (see the module docstring)."""
    names = _topic_names(section)
    voice = rng.choice(("plain", "relative", "story", "typo", "vague", "lay_name", "context"))
    if second is not None:
        voice = "two_questions"
    topic = names[0]
    if voice == "lay_name" and len(names) > 1:
        topic = rng.choice(names[1:])
    elif voice == "lay_name":
        voice = "plain"
    question = _ask(section.qtype, topic, rng, section.question)
    if voice == "context" and section.qtype not in _INDIRECT:
        voice = "story"
    if voice == "context":
        # A situation first, then the need in the patient's own words: no template wording.
        context = rng.choice(_CONTEXTS).format(
            t=topic, r=rng.choice(_RELATIVES), age=rng.randrange(19, 85)
        )
        question = f"{context}{rng.choice(_WORRIES)} {rng.choice(_INDIRECT[section.qtype])}"
    elif voice == "relative":
        relative = rng.choice(_RELATIVES)
        question = f"my {relative} has {topic}. " + _ask(
            section.qtype, "it", rng, section.question
        ).replace("I have it", "they have it")
    elif voice == "story":
        story = rng.choice(_STORIES).format(t=topic, r=rng.choice(_RELATIVES))
        question = f"{story} {question}"
    elif voice == "typo":
        question = _with_typos(question, rng, n=2)
    elif voice == "vague":
        question = re.sub(r"[?.,!']", "", question.lower())
        question = question.replace("what is ", "whats ").replace("how is ", "hows ")
    elif voice == "two_questions" and second is not None:
        other = _ask(second.qtype, "it", rng, second.question)
        question = f"{question.rstrip('?')}? and {other}"
    opener = rng.choice(_OPENERS)
    if opener and question[:1].isupper() and question[1:2].islower():
        question = question[0].lower() + question[1:]  # "hello, our pediatrician ..."
    question = opener + question + rng.choice(_CLOSERS)
    return Wording(" ".join(question.split()), voice)


# ------------------------------------------------------------------------------ judgments


def _name_key(name: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", _lay_topic(name)))


class _Corpus:
    """The corpus, indexed for judging: sections by article, articles by topic name."""

    def __init__(self, sections: Iterable[SectionRecord]) -> None:
        self.sections = {s.external_id: s for s in sections}
        self.by_article: dict[str, list[SectionRecord]] = defaultdict(list)
        for s in self.sections.values():
            self.by_article[s.article_id].append(s)
        self.by_name: dict[str, set[str]] = defaultdict(set)
        for article, members in self.by_article.items():
            for name in {members[0].focus, *members[0].synonyms}:
                key = _name_key(name)
                if len(key) >= 4:
                    self.by_name[key].add(article)
        self.by_qtype: dict[str, list[str]] = defaultdict(list)
        for s in sorted(self.sections.values(), key=lambda s: s.external_id):
            self.by_qtype[s.qtype].append(s.external_id)

    def same_topic_articles(self, section: SectionRecord) -> set[str]:
        """Articles about the section's topic: those sharing its focus name (not a synonym:
        synonyms are shared by neighbouring conditions more often than focus names are)."""
        return set(self.by_name.get(_name_key(section.focus), ())) | {section.article_id}

    def judgments(
        self, section: SectionRecord, rng: random.Random, *, also: SectionRecord | None = None
    ) -> tuple[dict[str, int], list[str]]:
        grades: dict[str, int] = {}
        asked = [section] + ([also] if also else [])
        for s in asked:
            for article in sorted(self.same_topic_articles(s)):
                for other in self.by_article[article]:
                    if other.qtype == s.qtype:
                        grades.setdefault(other.external_id, 3)
        negatives: list[str] = []
        for other in self.by_article[section.article_id]:
            if other.external_id not in grades:
                grades[other.external_id] = 2
                negatives.append(other.external_id)
        pool = self.by_qtype[section.qtype]
        topic = self.same_topic_articles(section)
        for sid in rng.sample(pool, min(6, len(pool))):
            if article_of_section(sid) not in topic and sid not in grades:
                grades[sid] = 1
                negatives.append(sid)
                if sum(1 for g in grades.values() if g == 1) >= 3:
                    break
        for s in asked:
            grades[s.external_id] = 4
        return grades, negatives


# ------------------------------------------------------------------------------ unanswerable

_UNANSWERABLE = (
    ("interaction", "can I take {d1} and {d2} at the same time?"),
    ("interaction", "my {r} takes {d1}. is it safe to add {d2}"),
    ("interaction", "does {d1} interact with {d2}?"),
    ("personal_result", "my a1c came back 6.9 last week, is that bad for me?"),
    ("personal_result", "my potassium was 5.3 on my bloodwork, what does that mean for me"),
    ("personal_result", "my {r}'s psa went from 4.1 to 5.8, should we worry?"),
    ("personal_result", "my cholesterol is 242, do I need a statin?"),
    ("personal_dose", "should I double my {d1} since it isn't working?"),
    ("personal_dose", "can I cut my {d1} pill in half to save money"),
    ("not_medical", "how do I change the email address on my portal account?"),
    ("not_medical", "what time does the clinic parking garage close"),
    ("not_medical", "can you recommend a good pizza place near the hospital?"),
    ("not_medical", "who won the game last night"),
)


def unanswerable_questions(drugs: Sequence[str], rng: random.Random, n: int) -> list[dict]:
    rows = []
    for i in range(n):
        kind, template = _UNANSWERABLE[i % len(_UNANSWERABLE)]
        d1, d2 = rng.sample(list(drugs), 2)
        text = template.format(d1=d1.lower(), d2=d2.lower(), r=rng.choice(_RELATIVES))
        rows.append(
            {
                "qid": f"U{i + 1:03d}",
                "question": text,
                "paraphrase": text,
                "voice": kind,
                "answerable": False,
                "judgments": {},
                "hard_negatives": [],
            }
        )
    return rows


# ------------------------------------------------------------------------------ the set


def build(
    sections: Iterable[SectionRecord], *, per_article: int = 2, max_articles: int = 2400
) -> dict[str, list[dict]]:
    """{split: rows}: up to `per_article` questions for each of up to `max_articles` articles
    (chosen by hash), each row {qid, question, paraphrase, section, article, qtype, voice,
    answerable, judgments, hard_negatives}; plus unanswerable questions in the held-aside part."""
    corpus = _Corpus(sections)
    articles = sorted(corpus.by_article, key=lambda a: _hash(f"pick:{a}"))[:max_articles]
    rows: dict[str, list[dict]] = {split: [] for split in SPLITS}
    for article in sorted(articles):
        members = sorted(corpus.by_article[article], key=lambda s: s.external_id)
        rng = random.Random(_hash(f"article:{article}"))
        # One section per question type (split answers repeat their title).
        distinct = list({s.qtype: s for s in members}.values())
        for section in rng.sample(distinct, min(per_article, len(distinct))):
            srng = random.Random(_hash(f"section:{section.external_id}"))
            others = [s for s in distinct if s.qtype != section.qtype]
            second = srng.choice(others) if others and srng.random() < 0.12 else None
            wording = word_question(section, srng, second=second)
            judgments, negatives = corpus.judgments(section, srng, also=second)
            split = split_of(article)
            rows[split].append(
                {
                    "qid": f"Q_{section.external_id}",
                    "question": wording.text,
                    "paraphrase": wording.text,
                    "section": section.external_id,
                    "article": article,
                    "qtype": section.qtype,
                    "voice": wording.voice,
                    "answerable": True,
                    "judgments": judgments,
                    "hard_negatives": negatives,
                }
            )
    drugs = sorted(
        {
            _lay_topic(s.focus)
            for s in corpus.sections.values()
            if s.source == "MPlusDrugs" and len(s.focus) <= 20
        }
    )
    if len(drugs) >= 2:
        rows["heldaside"].extend(unanswerable_questions(drugs, random.Random(19), 60))
    return rows

"""What a (non-emergency) patient message asks for, and how it refers to the patient's record.

Deterministic and small on purpose: a handful of wordings cover the questions about one's own
record ("what medicines am I on?", "what are my next steps?"), and everything else goes to the
approved content. This runs only *after* the escalation gate, so nothing here can weaken it.

Also here: the patient-friendly names of record conditions. Records use clinical terms
("Hypertension", "Chronic obstructive bronchitis"); the education content is written for patients
("High Blood Pressure", "COPD"). Searching with both finds the right articles and lets the answer
use the words the patient knows.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class Intent(StrEnum):
    MEDICATIONS = "medications"
    CONDITIONS = "conditions"
    NEXT_STEPS = "next_steps"
    ALLERGIES = "allergies"
    PREVENTIVE = "preventive"
    GENERAL = "general"


_I = r"(?:i|me|my|i'm|im|i am)"
_MEDS = r"(?:medicines?|medications?|meds|drugs|pills|prescriptions?|tablets)"

_INTENT_PATTERNS: tuple[tuple[Intent, re.Pattern[str]], ...] = (
    (
        Intent.ALLERGIES,
        re.compile(
            r"\b(?:what|which)\b.{0,20}\ballerg(?:y|ies)\b.{0,25}\b(?:do i have|have i got|am i)\b"
            r"|\bwhat (?:am i|i'm|im) allergic to\b|\bam i allergic\b"
            r"|\b(?:list|show|what are|what's|whats|tell me)\b.{0,10}\bmy allergies\b"
            r"|\bmy allergies\b\s*\??$|\bany allergies (?:on|in) (?:my )?(?:record|file|chart)\b",
            re.IGNORECASE,
        ),
    ),
    (
        Intent.MEDICATIONS,
        re.compile(
            rf"\b(?:what|which)\b.{{0,20}}\b{_MEDS}\b.{{0,20}}\b(?:am i|do i|i'm|im|i am|have i)\b"
            rf".{{0,20}}\b(?:on|taking|take|prescribed|using|have)\b"
            rf"|\b(?:list|show|tell me|what are|what're|whats|what's|remind me of)\b.{{0,10}}"
            rf"\bmy (?:current |active |prescribed )?{_MEDS}\b"
            rf"|\bmy (?:current |active )?{_MEDS} list\b"
            rf"|\bwhat (?:am i|i'm|im) (?:taking|on|prescribed)\b"
            rf"|^\s*my {_MEDS}\s*\??\s*$",
            re.IGNORECASE,
        ),
    ),
    (
        Intent.NEXT_STEPS,
        re.compile(
            r"\b(?:what|whats|what's|what are|tell me|show me)\b.{0,12}\bmy next steps?\b"
            r"|\bnext steps?\b.{0,20}\b(?:for me|in my (?:care|treatment) plan)\b"
            r"|\bmy (?:care|treatment|action) plans?\b"
            r"|\bwhat (?:should|do) i do next\b|\bwhat(?:'s| is) (?:my|the) plan\b",
            re.IGNORECASE,
        ),
    ),
    (
        Intent.CONDITIONS,
        re.compile(
            r"\b(?:what|which)\b.{0,10}\b(?:are|is|'s|s)\b.{0,4}\bmy (?:current |active |main )?"
            r"(?:conditions?|diagnos[ie]s|health (?:problems?|issues?|conditions?)|problems?|"
            r"illness(?:es)?|diseases?)\s*\??\s*$"
            r"|\b(?:what|which) (?:conditions?|diagnos[ie]s|diseases?|illness(?:es)?|health "
            r"problems?) (?:do i have|have i got|am i (?:being )?treated for|are (?:on|in) my "
            r"(?:record|chart|file))\b"
            r"|\b(?:list|show me|tell me)\b.{0,6}\bmy (?:conditions|diagnos[ie]s|problems)\b"
            r"|\bmy (?:problem|condition|diagnosis) list\b",
            re.IGNORECASE,
        ),
    ),
)

_PREVENTIVE_TERMS = re.compile(
    r"\b(?:screening|screenings|screened|screen|vaccines?|vaccinations?|vaccinated|immuni[sz]"
    r"ations?|immuni[sz]ed|shots?|jabs?|boosters?|flu shot|mammograms?|colonoscopy|colonoscopies|"
    r"pap (?:smear|test)s?|check-?ups?|preventive|preventative|due for|up to date|up-to-date|"
    r"overdue)\b",
    re.IGNORECASE,
)
# "What is a colonoscopy?" is education; "do I need a colonoscopy?" is about the patient.
_PERSONAL_PREVENTIVE = re.compile(
    r"\b(?:am i|do i|should i|have i|can i|i need|i should|i'm|im|i am|for me|"
    r"my (?:\w+ )?(?:screenings?|vaccines?|vaccinations?|immuni[sz]ations?|shots?|boosters?|"
    r"mammograms?|colonoscopy|pap|check-?ups?|preventive))\b",
    re.IGNORECASE,
)
# Questions about someone else's vaccines are education, not this patient's list.
_SOMEONE_ELSE = re.compile(
    r"\bmy (?:son|daughter|child|children|kids?|baby|husband|wife|partner|mother|father|mom|"
    r"dad|mum|parents?|grand\w+|sister|brother|friend|boyfriend|girlfriend)\b|\b(?:he|she) "
    r"(?:is|was|has|needs?|should)\b",
    re.IGNORECASE,
)

_PERSONAL_CONDITION_RE = re.compile(
    r"\b(?:my|this|the) (?:diagnosis|diagnoses|condition|conditions|disease|diseases|illness|"
    r"illnesses|health (?:problems?|conditions?|issues?)|medical (?:problems?|conditions?|"
    r"issues?)|chronic (?:condition|illness|disease)s?)\b"
    r"|\bwhat i have\b|\bthe thing i have\b",
    re.IGNORECASE,
)
_FOLLOW_UP_RE = re.compile(r"\b(?:it|this|that|them|they|these|those)\b", re.IGNORECASE)

# Record wording -> the words of patient-education content. Lower-case keys, semantic tags
# already stripped. Names not listed are searched as they are (minus qualifiers, see below).
LAY_NAMES: dict[str, str] = {
    "hypertension": "high blood pressure",
    "essential hypertension": "high blood pressure",
    "hyperlipidemia": "high cholesterol",
    "hypertriglyceridemia": "high triglycerides",
    "myocardial infarction": "heart attack",
    "history of myocardial infarction": "heart attack",
    "coronary heart disease": "coronary heart disease",
    "chronic congestive heart failure": "heart failure",
    "congestive heart failure": "heart failure",
    "cardiac arrest": "sudden cardiac arrest",
    "body mass index 30+ - obesity": "obesity",
    "body mass index 40+ - severely obese": "obesity",
    "pulmonary emphysema": "emphysema copd",
    "chronic obstructive bronchitis": "copd chronic bronchitis",
    "chronic obstructive pulmonary disease": "copd",
    "primary malignant neoplasm of colon": "colon cancer",
    "polyp of colon": "colon polyps",
    "recurrent rectal polyp": "colon polyps",
    "seizure disorder": "epilepsy seizures",
    "chronic sinusitis": "sinusitis",
    "viral sinusitis": "sinusitis",
    "seasonal allergic rhinitis": "hay fever",
    "perennial allergic rhinitis": "allergic rhinitis",
    "perennial allergic rhinitis with seasonal variation": "allergic rhinitis hay fever",
    "atopic dermatitis": "eczema",
    "otitis media": "ear infection",
    "chronic intractable migraine without aura": "migraine",
    "familial alzheimer's disease of early onset": "alzheimer's disease",
    "metabolic syndrome x": "metabolic syndrome",
    "recurrent urinary tract infection": "urinary tract infection",
    "concussion injury of brain": "concussion",
    "brain damage - traumatic": "traumatic brain injury",
    "fracture subluxation of wrist": "wrist fracture",
    "localized, primary osteoarthritis of the hand": "osteoarthritis",
    "osteoarthritis of hip": "osteoarthritis",
    "osteoarthritis of knee": "osteoarthritis",
    "miscarriage in first trimester": "miscarriage",
    "tubal pregnancy": "ectopic pregnancy",
    "diabetes": "diabetes",
    "prediabetes": "prediabetes",
    "anemia": "anemia",
}
_QUALIFIER_RE = re.compile(
    r"^(?:acute|history of|localized|primary|secondary|mild|moderate|severe)"
    r",?\s+",
    re.IGNORECASE,
)
# Record entries that are signs, symptoms or past events rather than a condition to learn about.
_NOT_A_TOPIC_RE = re.compile(
    r"^(?:history of|fever|cough|sore throat|dyspnea|wheezing|fatigue|sputum|loss of taste|"
    r"muscle pain|joint pain|bullet wound|drug overdose|rupture of appendix|full-time employment|"
    r"part-time employment|unemploy|received|not in labor force|stress|social isolation|"
    r"limited social contact|housing|victim|reports of violence|educated|medication review|"
    r"risk activity|has a criminal record|lack of access)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Understanding:
    intent: Intent
    refers_to_own_condition: bool  # "my diagnosis", "my condition", "what I have"


def lay_name(condition: str) -> str:
    """The patient-education wording of a record condition ("Hypertension" -> "high blood
    pressure"); unknown names lose clinical qualifiers ("Acute bronchitis" -> "bronchitis")."""
    key = condition.strip().lower()
    if key in LAY_NAMES:
        return LAY_NAMES[key]
    return _QUALIFIER_RE.sub("", key) or key


def is_topic(condition: str) -> bool:
    """Whether a record condition is something to read about (not a symptom or past event)."""
    return not _NOT_A_TOPIC_RE.match(condition.strip())


def condition_topics(conditions: Sequence[str], *, limit: int = 4) -> list[str]:
    """The record conditions worth steering retrieval toward, most specific first.

    Conditions with a known patient-education name come first (they are the long-term ones the
    education content covers), then the rest in record order; symptoms and past events are left
    out, and so are duplicates by lay name.
    """
    topics = [c for c in conditions if c.strip() and is_topic(c)]
    known = [c for c in topics if c.strip().lower() in LAY_NAMES]
    other = [c for c in topics if c.strip().lower() not in LAY_NAMES]
    chosen: list[str] = []
    seen: set[str] = set()
    for condition in known + other:
        lay = lay_name(condition)
        if lay in seen:
            continue
        seen.add(lay)
        chosen.append(condition)
    return chosen[:limit]


def search_words(condition: str) -> str:
    """Record name plus lay name, for a search query ("Hypertension high blood pressure").

    A record name made of codes and numbers ("Body mass index 30+ - obesity") is replaced by
    its lay name; one that already contains it ("Osteoarthritis of hip") is kept as it is.
    """
    name = condition.strip()
    lay = lay_name(name)
    if re.search(r"\d", name):
        return lay
    if lay.lower() in name.lower():
        return name
    return f"{name} {lay}"


def understand(text: str) -> Understanding:
    """Classify a non-emergency message (see the module docstring)."""
    intent = Intent.GENERAL
    for candidate, pattern in _INTENT_PATTERNS:
        if pattern.search(text):
            intent = candidate
            break
    if intent is Intent.GENERAL and is_preventive_question(text):
        intent = Intent.PREVENTIVE
    return Understanding(
        intent=intent, refers_to_own_condition=bool(_PERSONAL_CONDITION_RE.search(text))
    )


def is_preventive_question(text: str) -> bool:
    """A question about the patient's own screenings or vaccines (not "what is a mammogram?")."""
    return bool(
        _PREVENTIVE_TERMS.search(text)
        and _PERSONAL_PREVENTIVE.search(text)
        and not _SOMEONE_ELSE.search(text)
    )


def resolve_own_condition(text: str, conditions: Sequence[str]) -> tuple[str, list[str]]:
    """Rewrite "my diagnosis" / "my condition" with the patient's condition names.

    Returns the rewritten text and the conditions used; the text is unchanged when it has no
    such reference or the record lists no condition worth reading about.
    """
    topics = condition_topics(conditions, limit=3)
    if not topics or not _PERSONAL_CONDITION_RE.search(text):
        return text, []
    names = " and ".join(search_words(c) for c in topics)
    return _PERSONAL_CONDITION_RE.sub(names, text, count=1), topics


_WHAT_NEXT_RE = re.compile(
    r"\bwhat (?:happens|comes|will happen|do i do|should i do|should i expect|can i expect|to "
    r"expect)\b|\bwhat now\b|\bnext\b|\boutlook\b|\bprognosis\b|\bexpect\b",
    re.IGNORECASE,
)


def asks_what_comes_next(text: str) -> bool:
    """ "What happens next?", "what should I expect?": a question about treatment and outlook."""
    return bool(_WHAT_NEXT_RE.search(text))


def is_follow_up(text: str, n_topical_terms: int) -> bool:
    """A short message that points back ("what causes it?") instead of naming its topic."""
    return n_topical_terms <= 1 and bool(_FOLLOW_UP_RE.search(text))

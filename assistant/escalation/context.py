"""Report versus question: is someone living this now, or is the message about it?

"My chest hurts" and "what does chest pain from angina feel like?" share their key words; only the
frame tells a report from a question. `situation` names the frame of a whole message:

- `report`: someone (the writer, or a person with or near them) has it now or just had it:
  "I have", "my husband is", "right now", "since this morning", a first-person verb in Spanish;
- `question`: a general question about a condition, its signs, causes, treatment or prevention;
- `past`: set firmly in the past with nothing saying it is back ("I had a stroke in 2019");
- `hypothetical`: "what if", "suppose", "in case", "if I ever";
- `third_party`: a school, work, course or caregiving-training context ("for my nursing class");
- `negated`: every symptom denied ("no chest pain, just asking about heartburn");
- `statement`: none of these (a greeting, a request about the portal).

The gate uses it only to let an *urgent* symptom rule's match be lowered to routine when the
classifier agrees (any frame but `report`); a report is never lowered, and an emergency is never
lowered by anything.
"""

from __future__ import annotations

import re

from assistant.escalation.normalise import Text
from assistant.escalation.rules.base import (
    EDUCATION_FRAMES,
    HISTORY,
    STILL_PRESENT,
    has_lived_experience,
)

REPORT = "report"
QUESTION = "question"
PAST = "past"
HYPOTHETICAL = "hypothetical"
THIRD_PARTY = "third_party"
NEGATED = "negated"
STATEMENT = "statement"

_HYPOTHETICAL = re.compile(
    r"\b(?:what if|suppose|supposing|hypothetical\w*|in case|if i ever|if (?:someone|somebody"
    r"|a person|you) (?:ever )?(?:has|have|had|gets?|is|were)|que pasa si|en caso de"
    r"|si alguna vez)\b"
)
_THIRD_PARTY = re.compile(
    r"\b(?:for (?:my|a|our|the) (?:\w+ )?(?:class|course|school|project|paper|essay|exam|test"
    r"|training|presentation|homework|assignment|students?|patients|residents|clients|job|work)"
    r"|i am (?:a|an) (?:\w+ )?(?:nurse|teacher|student|caregiver|aide|paramedic|emt|lifeguard"
    r"|coach|counselor|social worker)|first aid (?:class|course|training)|cpr (?:class|course"
    r"|training)|at work we|our (?:school|clinic|office|workplace) (?:policy|protocol|plan))\b"
)
_DENIAL = re.compile(
    r"\b(?:i am not having|i dont have|i do not have|no (?:symptoms|pain)|not having any|nothing"
    r" is wrong|no tengo|no estoy)\b"
)


def situation(text: Text) -> str:
    """The frame of the whole message (see the module docstring); `report` wins over the rest."""
    norm = text.norm
    lived = has_lived_experience(text, hypothetical_counts=False)
    past = bool(HISTORY.search(norm)) and not STILL_PRESENT.search(norm)
    if lived and not past and not _DENIAL.search(norm):
        return REPORT
    if _THIRD_PARTY.search(norm):
        return THIRD_PARTY
    if _HYPOTHETICAL.search(norm):
        return HYPOTHETICAL
    if past:
        return PAST
    if _DENIAL.search(norm):
        return NEGATED
    if EDUCATION_FRAMES.search(norm) or "?" in text.original:
        return QUESTION
    return STATEMENT

"""Infants and children: a baby under three months with fever (911)."""

from __future__ import annotations

from . import instructions as say
from .base import EMERGENCY, Rule
from .readings import fever_readings

INFANT_FEVER = Rule(
    id="emergency.infant_fever",
    level=EMERGENCY,
    category="infant_fever",
    title="Fever in a baby under 3 months",
    rationale=(
        "A fever (100.4 F / 38 C or more) in a baby younger than 3 months can be the only sign "
        "of a serious infection such as sepsis or meningitis; these babies must be seen now."
    ),
    patterns=(r"\b(?:fever|temp|temperature|fiebre|febrile|feverish)\b",),
    # A temperature alone says fever: "my 7 week old measured 100.9 rectally".
    finder=fever_readings,
    requires=(
        # The age is told many ways: "6 weeks old", "my youngest, 6 weeks,", "a 10 day old".
        r"\b(?:newborn|neonate|recien nacid[oa]|(?:[1-9]|1[0-2]|one|two|three|four|five|six|seven|"
        r"eight|nine|ten|eleven|twelve) (?:weeks?|wks?|wk)\b(?! (?:ago|pregnant|along|later|from|"
        r"since|before|after|of|in|into|postpartum))|\d{1,2} (?:days?) old|(?:[0-2]|one|two) "
        r"(?:months?|mo) old|"
        r"bebe de (?:\d|una|dos|tres|cuatro|cinco|seis|siete|ocho) (?:semanas|dias)|"
        r"(?:bebe|nino|nina|hij[oa]) de (?:1|2|un|uno|dos) mes(?:es)?)\b",
    ),
    examples=(
        "My baby is 6 weeks old and has a fever of 101",
        "newborn with a fever",
        "mi bebé de 1 mes tiene fiebre",
        "She seems fine, just that my 7 week old measured 100.9 rectally twice",
        "my youngest, 6 weeks, had a temp of 38.1 tonight",
    ),
    counter_examples=(
        "my 4 year old has had a fever of 102",
        "my 6 week old has no fever but is fussy",
        "I'm 8 weeks pregnant and my temp is 100.5",
        "I had a fever of 101 two weeks ago, my 3 year old has one now",
        "Why is a fever in a newborn more serious than in an older child?",
    ),
    instructions=say.EMERGENCY,
    education_lowerable=True,
)

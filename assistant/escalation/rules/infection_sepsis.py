"""Infection: meningitis and sepsis warning signs (911)."""

from __future__ import annotations

from . import instructions as say
from .base import EMERGENCY, Rule

MENINGITIS_SEPSIS = Rule(
    id="emergency.meningitis_sepsis",
    level=EMERGENCY,
    category="infection",
    title="Fever with stiff neck, a rash that does not fade, or confusion",
    rationale=(
        "Fever with a stiff neck, light sensitivity or a purple rash that does not fade can "
        "be meningitis; fever with new confusion or extreme drowsiness can be sepsis. Both kill "
        "within hours without antibiotics."
    ),
    patterns=(
        r"\b(?:stiff neck|neck (?:\w+ )?(?:stiff|rigid)|cant (?:bend|touch) (?:\w+ )?(?:chin|neck)"
        r"|light hurts (?:my |his |her )?eyes|rash (?:\w+ ){0,3}?(?:doesnt|wont|dont) fade|purple "
        r"(?:spots|rash)|hard to wake|very sleepy|cuello rigido)\b",
        r"\bconfus(?:ed|ion)\b(?! about| by| why| on| as to| whether| if| with)",
    ),
    requires=(r"\b(?:fever|feverish|temperature|temp|fiebre|febrile)\b",),
    examples=(
        "fever 103, stiff neck and the light hurts my eyes",
        "my mom has a fever and is really confused",
    ),
    counter_examples=(
        "I'm confused about my fever medicine dose",
        "stiff neck from sleeping wrong",
    ),
    instructions=say.EMERGENCY,
    education_lowerable=True,
)

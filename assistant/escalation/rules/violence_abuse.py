"""Violence and abuse: a threat to hurt someone, or danger from someone now (911, 988)."""

from __future__ import annotations

from . import instructions as say
from .base import EMERGENCY, Rule
from .vocabulary import (
    _VIOLENCE_GAP,
    VIOLENT_OBJECT,
)

VIOLENCE = Rule(
    id="emergency.violence",
    level=EMERGENCY,
    category="harm_to_others",
    title="Thoughts of harming someone, or being in danger from someone",
    rationale=(
        "A patient who says they may hurt someone (a partner, a baby, a stranger) needs "
        "immediate crisis help to keep everyone safe; postpartum thoughts of harming the baby "
        "are a psychiatric emergency. A patient being threatened or hurt by someone is in "
        "danger now. Both get 911 and the 988 line."
    ),
    patterns=(
        rf"\bi (?:am |will |would |might |could |want |feel |keep |have )?{_VIOLENCE_GAP}{{0,3}}?"
        rf"(?:kill|hurt|harm|shoot|stab|strangle|smother|choke|beat up|attack|drown|poison) "
        rf"{VIOLENT_OBJECT}\b(?! feelings| by accident| accidentally)",
        r"\b(?:homicidal|murder(?:ous)?)\b",
        r"\b(?:threatening|threatened|trying|tried|going) to (?:kill|hurt|shoot|stab|strangle) "
        r"(?:me|us|my kids?|the kids?|my children)\b",
        r"\b(?:is|keeps|was|been|started) (?:hitting|beating|choking|strangling) (?:me|us)\b",
        r"\b(?:quiero|voy a|ganas de|pienso|tengo ganas de) (?:\w+ )?(?:matar|lastimar|hacerle "
        r"dano|hacer dano|golpear) (?:a )?(?:alguien|el|ella|ellos|mi \w+|todos)\b",
        r"\b(?:matarlos|matarla|matarlo)\b",
    ),
    examples=(
        "I'm going to hurt my roommate, I can't control it",
        "I feel like I might hurt my baby",
        "i want to hurt somebody really bad right now",
        "my husband is threatening to kill me",
    ),
    counter_examples=(
        "I'm worried the medicine I take will hurt my baby",
        "I would never hurt my baby but I'm exhausted",
        "I hurt my back at work",
    ),
    instructions=say.HARM_TO_OTHERS,
)

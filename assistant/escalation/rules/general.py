"""Other critical states and an explicit ask for emergency help (911)."""

from __future__ import annotations

from . import instructions as say
from .base import EMERGENCY, Rule

OTHER_CRITICAL = Rule(
    id="emergency.other_critical",
    level=EMERGENCY,
    category="severe_pain_or_injury",
    title="Worst pain of one's life, sudden testicular pain, rigid belly, major injury",
    rationale=(
        "Some presentations need surgery or resuscitation within hours whatever their cause: "
        "the worst pain of one's life, sudden severe testicular pain (torsion), a board-hard "
        "belly, a stab or gunshot wound, electrocution or near-drowning."
    ),
    patterns=(
        r"\bworst pain (?:\w+ ){0,3}?(?:life|ever)\b",
        r"\bsudden (?:\w+ ){0,2}?(?:testicle|testicular|scrotum|scrotal) pain\b"
        r"|\b(?:testicle|testicular) (?:\w+ ){0,2}?(?:sudden|severe|twisted)\b",
        r"\b(?:rigid|hard as a rock|board like) (?:\w+ )?(?:belly|stomach|abdomen)\b",
        r"\b(?:stabbed|gunshot|electrocuted|drowning|nearly drowned|hit by a car)\b",
    ),
    examples=("worst pain of my life in my stomach", "my son was stabbed"),
    counter_examples=("my back pain is bad but manageable",),
    instructions=say.EMERGENCY,
    education_lowerable=True,
)

ASKS_FOR_911 = Rule(
    id="emergency.asks_for_911",
    level=EMERGENCY,
    category="asks_for_emergency",
    title="Asks about calling 911 or an ambulance",
    rationale=(
        "A patient who asks whether to call 911 or says they need an ambulance is in a "
        "situation they judge serious right now; the only safe answer is yes, call."
    ),
    patterns=(
        r"\b(?:call|need|send|get|calling|called|necesito|necesitamos|llamo|llamar|llamen|"
        r"manden|mande) (?:\w+ )?(?:an ambulance|911|paramedics|una ambulancia|al 911)\b",
    ),
    examples=("should I call 911?", "I need an ambulance", "necesito una ambulancia"),
    counter_examples=("when should you call 911 for a fever in general?",),
    instructions=say.EMERGENCY,
    education_lowerable=True,
)

"""Mental health distress without stated intent (urgent)."""

from __future__ import annotations

from . import instructions as say
from .base import URGENT, Rule
from .vocabulary import (
    PERSONAL,
)

MENTAL_HEALTH = Rule(
    id="urgent.mental_health",
    level=URGENT,
    category="mental_health",
    title="Depression, hopelessness, panic or not coping",
    rationale=(
        "Depression and panic that stop someone functioning need timely care, and "
        "hopelessness is a suicide risk factor even when suicide is denied; a nurse follows up "
        "and screens. Any statement of suicidal thoughts is the emergency rule instead."
    ),
    patterns=(
        r"\b(?:depressed|depression|hopeless|worthless|empty inside|numb inside|cant stop crying|"
        r"crying all the time|panic attacks?|anxiety attacks?|anxious|anxiety|burden to|cant "
        r"cope|falling apart|breaking down|cant get out of bed|havent slept|cant sleep|not "
        r"sleeping|no sleep|low mood|sad all the time|cant go on|cant do this anymore|cant take "
        r"it anymore)\b",
        r"\b(?:feel|feeling|felt|been) (?:\w+ )?(?:down|low|blue|sad|empty|numb)\b",
        r"\b(?:deprimid[oa]|depresion|sin esperanza|ataques? de (?:panico|ansiedad)|no aguanto|ya "
        r"no puedo mas|no dejo de llorar)\b",
    ),
    requires=(PERSONAL,),
    examples=(
        "I'm not suicidal, but I've been really depressed and can't get out of bed",
        "I've been having panic attacks every day",
        "I've been so anxious and haven't slept in two days",
        "me siento muy deprimida",
    ),
    counter_examples=(
        "what is a panic attack?",
        "how is depression treated?",
        "how can I manage anxiety before a job interview?",
    ),
    instructions=say.URGENT,
    education_lowerable=True,
)

"""Metabolic: dangerous blood sugar, diabetes medicine mix-ups (911)."""

from __future__ import annotations

from . import instructions as say
from .base import EMERGENCY, Rule
from .readings import (
    _glucose_critical,
)
from .vocabulary import (
    CRISIS_WORDS,
)

BLOOD_SUGAR = Rule(
    id="emergency.blood_sugar",
    level=EMERGENCY,
    category="blood_sugar",
    title="Dangerously low or high blood sugar",
    rationale=(
        "A glucose under 54 mg/dL (3.0 mmol/L), or low sugar with confusion, drowsiness or "
        "slurred speech, can turn into a seizure or coma; a meter reading 'HI' or 600+, or "
        "400+ with vomiting, confusion or ketones, points to DKA or a hyperosmolar state. Both "
        "need treatment now. Milder readings (54-69, 250-599) are urgent."
    ),
    patterns=(
        r"\b(?:meter|glucometer|monitor|cgm|dexcom|libre|reading) (?:\w+ ){0,2}?(?:says|reads|"
        r"shows|showing|displays|just says) (?:hi|high)\b",
        r"\b(?:sugar|glucose|bg|bs|reading) (?:is |says |reads |shows |just )*hi\b",
        r"\b(?:sugar|sugars|glucose|bg|hypo|azucar|glucosa) (?:\w+ ){0,3}?(?:low|dropping|"
        r"crashing|tanking|bajo|baja|bajando)\b(?=.*\b" + CRISIS_WORDS + r")",
    ),
    finder=_glucose_critical,
    examples=(
        "my sugar is 38 and i feel confused",
        "blood sugar over 500 and I'm throwing up and can't think straight",
        "mi azúcar está en 45",
        "my glucose is 2.4 mmol",
        "my meter says HI",
        "my sugar is HI on the meter",
    ),
    counter_examples=(
        "my blood sugar has been 60 and i feel shaky",
        "what is the normal range for blood sugar?",
        "my sugar has been good for 30 days",
        "sugar 350 this morning and I feel ok",
    ),
    instructions=say.EMERGENCY,
)

DIABETES_MEDICINE_CONFUSION = Rule(
    id="emergency.diabetes_medicine_confusion",
    level=EMERGENCY,
    category="blood_sugar",
    title="Insulin or a sulfonylurea with confusion, drowsiness or passing out",
    rationale=(
        "Someone on insulin or a sulfonylurea who becomes confused, drowsy, slurred or "
        "passes out has severe hypoglycaemia until proven otherwise (or DKA after missed "
        "insulin); glucose or glucagon and 911 now, whatever the meter says."
    ),
    patterns=(r"\b(?:insulin|insulina|glipizide|glyburide|glimepiride|sulfonylureas?)\b",),
    requires=(CRISIS_WORDS,),
    examples=("I took double my insulin by accident and now I'm shaking and confused",),
    counter_examples=("I'm confused about my insulin dose",),
    instructions=say.EMERGENCY,
)

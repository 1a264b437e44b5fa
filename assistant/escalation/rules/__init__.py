"""The red-flag rules, one file per clinical category, in priority order.

Each file can be reviewed by a clinician on its own: every rule carries its rationale, the
examples it must catch and the counter-examples it must not (checked by the test suite). The order
of `RULES` matters: when several rules of the winning level fire, the first names the decision and
the instructions of all of them are shown (an overdose taken to die gets 988 *and* Poison Control).
"""

from __future__ import annotations

from assistant.escalation.normalise import Text

from .base import EMERGENCY, ROUTINE, SEVERITY, URGENT, Level, Rule, RuleMatch
from .bleeding_pregnancy import BLEEDING, PREGNANCY
from .breathing_allergy import ALLERGY_WITH_BREATHING, ANAPHYLAXIS, BLOOD_CLOT_LUNG, BREATHING
from .cardiac import CHEST_PAIN, FAINTING_RED_FLAGS, HYPERTENSIVE, PALPITATIONS_FAINT, SHOCK
from .care_request import CARE_LEVEL_QUESTION, HUMAN_REQUEST
from .general import ASKS_FOR_911, OTHER_CRITICAL
from .infants_children import INFANT_FEVER
from .infection_sepsis import MENINGITIS_SEPSIS, SPREADING_SKIN_INFECTION
from .medication import (
    DOSE_CHANGE,
    DOSE_ERROR,
    INTERACTION,
    MISSED_DOSE,
    OUT_OF_MEDICINE,
    PREGNANCY_MEDICINE,
    SIDE_EFFECT,
    STOP_MEDICINE,
)
from .mental_health import MENTAL_HEALTH
from .metabolic import BLOOD_SUGAR, DIABETES_MEDICINE_CONFUSION
from .new_symptom import NEW_SYMPTOM
from .poisoning_overdose import MEDICINE_MISTAKE_WITH_DANGER, OVERDOSE
from .readings import numbers_read
from .results_readings import HIGH_SUGAR, LAB_VALUES, LOW_SUGAR
from .self_harm import FAREWELL, SELF_HARM, SUICIDE_MENTION, intent_denied
from .stroke_neuro import HEAD_INJURY, SEIZURE, STROKE, UNRESPONSIVE
from .violence_abuse import SEXUAL_ASSAULT, VIOLENCE

EMERGENCY_RULES: tuple[Rule, ...] = (
    SELF_HARM,
    SUICIDE_MENTION,
    FAREWELL,
    VIOLENCE,
    SEXUAL_ASSAULT,
    OVERDOSE,
    MEDICINE_MISTAKE_WITH_DANGER,
    ANAPHYLAXIS,
    ALLERGY_WITH_BREATHING,
    BREATHING,
    CHEST_PAIN,
    PALPITATIONS_FAINT,
    STROKE,
    SEIZURE,
    UNRESPONSIVE,
    FAINTING_RED_FLAGS,
    BLEEDING,
    PREGNANCY,
    BLOOD_SUGAR,
    DIABETES_MEDICINE_CONFUSION,
    HYPERTENSIVE,
    SHOCK,
    HEAD_INJURY,
    INFANT_FEVER,
    MENINGITIS_SEPSIS,
    SPREADING_SKIN_INFECTION,
    BLOOD_CLOT_LUNG,
    OTHER_CRITICAL,
    ASKS_FOR_911,
)
URGENT_RULES: tuple[Rule, ...] = (
    DOSE_ERROR,
    DOSE_CHANGE,
    STOP_MEDICINE,
    OUT_OF_MEDICINE,
    MISSED_DOSE,
    INTERACTION,
    PREGNANCY_MEDICINE,
    SIDE_EFFECT,
    LAB_VALUES,
    LOW_SUGAR,
    HIGH_SUGAR,
    MENTAL_HEALTH,
    HUMAN_REQUEST,
    CARE_LEVEL_QUESTION,
    NEW_SYMPTOM,
)
RULES: tuple[Rule, ...] = EMERGENCY_RULES + URGENT_RULES

__all__ = ["EMERGENCY", "ROUTINE", "RULES", "SEVERITY", "URGENT", "Level", "Rule", "RuleMatch"]


def judged_by_rules(text: Text) -> bool:
    """True when the message holds something the rules read and judged and the classifier
    cannot: a number (a pill count, a glucose, oxygen or blood-pressure reading) or the writer's
    own denial of any intent to harm themselves. The classifier may then not raise an urgent
    rule's level to an emergency (`combine.combined_level`)."""
    return numbers_read(text) or intent_denied(text)

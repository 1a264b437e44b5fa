"""How the layers' answers become one level: the policy, and the one function that applies it.

The gate (`gate._combine`) and the training (`training.policy_choose`, which simulates the gate on
cross-validated probabilities) both call `combined_level`, so the policy chosen on the training
split is exactly the one the gate applies. The numbers of the policy live in the model file
(`Policy`, chosen by cross-validation, never on the held-aside split); what they mean, and the
fixed clinical limits around them, are here:

- the classifier's level: emergency when P(emergency) >= `t_emergency`, else urgent when
  P(emergency) + P(urgent) >= `t_urgent`, else routine;
- the highest of the rules' level and the classifier's wins, with two limits:
  - an *urgent* rule is raised to an emergency only when P(emergency) >= `raise_over_urgent`, and
    one whose message holds what the rules read and judged (a pill count, a glucose, oxygen or
    blood-pressure reading, a denial of intent to self-harm: `rules_judged`), or whose rule is a
    reading rule
    (`READING_CATEGORIES`), only when P(emergency) >= `raise_over_reading`: word similarity
    cannot compare numbers ("took 2 tylenol" reads like "took 40 tylenol" to it);
  - an *urgent* symptom rule (`LOWERABLE_CATEGORIES`) matched inside a question, a past event, a
    hypothetical, a denial, a school or work context or a statement that says nobody has it now
    (any frame but a report: `context.situation`) is lowered to routine when the classifier
    says routine with P(routine) >= `routine_agreement` ("how to prevent a shingles outbreak");
  - an *urgent* decision rule (a medicine, a reading, mental health: `DECISION_CATEGORIES`) is
    lowered the same way only inside a frame that puts it off this patient's present
    (`FIRM_CONTEXTS`: a past event, a hypothetical, a course or work context, everyone well now);
- nothing ever lowers an emergency;
- under `MIN_WORDS` words the classifier's probabilities are its priors, and the rules decide.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

EMERGENCY, URGENT, ROUTINE = "emergency", "urgent", "routine"
SEVERITY = {ROUTINE: 0, URGENT: 1, EMERGENCY: 2}
# A dose taken twice or missed is never raised to a 911 by word similarity, which cannot tell a
# doubled metformin from a doubled insulin: the rule `emergency.medicine_mistake_danger` names
# the signs that make one an emergency. A lab rule may be raised when no number was read ("his
# temp is 103 and he is shaking, he has a dialysis catheter"); `rules_judged` still guards.
READING_CATEGORIES = frozenset(("blood_sugar", "blood_pressure", "dose_error", "missed_dose"))
# Urgent symptom rules whose match inside a question may be lowered when the classifier agrees
# ("how to prevent a shingles outbreak"). Never a medicine rule: "is tylenol safe while
# breastfeeding?" is a question in form and a decision about this patient in fact.
LOWERABLE_CATEGORIES = frozenset(("new_symptom", "infection", "severe_pain_or_injury"))
# A decision rule is about this patient's treatment, so a question or a bare statement keeps it
# ("is tylenol safe while breastfeeding?" above). Only a frame that takes the patient's present
# out of it lets the classifier lower one: "for my pharmacy tech course, why not double up after a
# missed dose?", "I came off my antidepressant last year with my doctor's taper, doing great".
DECISION_CATEGORIES = frozenset(
    (
        "dose_change",
        "dose_error",
        "missed_dose",
        "stop_medicine",
        "side_effect",
        "interaction",
        "pregnancy_medicine",
        "lab_values",
        "blood_sugar",
        "blood_pressure",
        "mental_health",
    )
)
FIRM_CONTEXTS = frozenset(("past", "hypothetical", "negated", "third_party"))
# Every frame but a report: a "statement" is a message in which nobody is said to have anything
# ("how long does the stomach flu last, it's going around my office"). Allowing it cut routine
# escalations on the training split's cross-validation from 10.2% to 9.7% at the same recall.
LOWERING_CONTEXTS = frozenset(
    ("question", "past", "hypothetical", "negated", "third_party", "statement")
)
MIN_WORDS = 3

RULES = "rules"  # the rules' level stands (the classifier agreed, or was lower)
RAISED = "raised"  # the classifier raised the level above the rules'
LOWERED = "lowered"  # an urgent rule inside a question or a firm frame, lowered to routine


@dataclass(frozen=True)
class Policy:
    t_emergency: float
    t_urgent: float
    raise_over_urgent: float
    raise_over_reading: float
    routine_agreement: float

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


def model_level(probs: Mapping[str, float], policy: Policy) -> str:
    if probs[EMERGENCY] >= policy.t_emergency:
        return EMERGENCY
    if probs[EMERGENCY] + probs[URGENT] >= policy.t_urgent:
        return URGENT
    return ROUTINE


def combined_level(
    *,
    rule_level: str,
    rule_category: str,
    situation: str,
    words: int,
    rules_judged: bool,
    probs: Mapping[str, float] | None,
    policy: Policy | None,
) -> tuple[str, str]:
    """(level, how) for one message: how is RULES, RAISED or LOWERED (see module docstring)."""
    if probs is None or policy is None or words < MIN_WORDS:
        return rule_level, RULES
    by_model = model_level(probs, policy)
    if (
        rule_level == URGENT
        and by_model == ROUTINE
        and probs[ROUTINE] >= policy.routine_agreement
        and (
            (situation in LOWERING_CONTEXTS and rule_category in LOWERABLE_CATEGORIES)
            or (situation in FIRM_CONTEXTS and rule_category in DECISION_CATEGORIES)
        )
    ):
        return ROUTINE, LOWERED
    if (
        rule_level == URGENT
        and by_model == EMERGENCY
        and probs[EMERGENCY]
        < (
            policy.raise_over_reading
            if rules_judged or rule_category in READING_CATEGORIES
            else policy.raise_over_urgent
        )
    ):
        by_model = URGENT

    if SEVERITY[by_model] > SEVERITY[rule_level]:
        return by_model, RAISED
    return rule_level, RULES

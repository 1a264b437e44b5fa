"""Every escalation rule catches its own examples and leaves its counter-examples alone."""

from __future__ import annotations

import re

import pytest

from assistant.escalation import RULES, classify
from assistant.escalation.gate import rules_classify
from assistant.escalation.rules import SEVERITY

RULE_IDS = [rule.id for rule in RULES]
EXAMPLES = [(rule, text) for rule in RULES for text in rule.examples]
COUNTER_EXAMPLES = [(rule, text) for rule in RULES for text in rule.counter_examples]


@pytest.mark.parametrize(("rule", "text"), EXAMPLES, ids=[f"{r.id}:{t}" for r, t in EXAMPLES])
def test_rule_catches_its_example_and_the_message_is_escalated_at_least_as_high(rule, text):
    assert rule.match(text), f"{rule.id} should fire on {text!r}"
    assert SEVERITY[classify(text).level] >= SEVERITY[rule.level]


@pytest.mark.parametrize(
    ("rule", "text"), COUNTER_EXAMPLES, ids=[f"{r.id}:{t}" for r, t in COUNTER_EXAMPLES]
)
def test_rule_does_not_catch_its_counter_example(rule, text):
    assert rule.match(text) == (), f"{rule.id} should not fire on {text!r}"


def test_every_rule_is_documented_and_reviewable():
    assert len(set(RULE_IDS)) == len(RULE_IDS), "rule ids must be unique"
    for rule in RULES:
        assert re.fullmatch(r"(emergency|urgent)\.[a-z_0-9]+", rule.id), rule.id
        assert rule.id.split(".")[0] == rule.level
        assert len(rule.id) <= 80  # Escalation.rule_id column
        assert rule.title and rule.category
        assert len(rule.rationale) > 80, f"{rule.id} needs a clinical rationale"
        assert len(rule.examples) >= 1 and len(rule.counter_examples) >= 1
        assert rule.patterns or rule.finder is not None


def test_emergency_rules_come_before_urgent_rules():
    levels = [SEVERITY[rule.level] for rule in RULES]
    assert levels == sorted(levels, reverse=True)


def test_spec_categories_are_all_covered():
    categories = {rule.category for rule in RULES}
    expected = {
        "cardiac", "stroke", "self_harm", "harm_to_others", "overdose", "anaphylaxis",
        "bleeding", "breathing", "seizure", "unconscious", "blood_sugar", "pregnancy",
        "dose_change", "stop_medicine", "lab_values", "new_symptom", "pregnancy_medicine",
        "human_request", "side_effect", "missed_dose", "interaction", "mental_health",
    }  # fmt: skip
    assert expected <= categories


# Written for the structure, not from the labelled messages: a question about a condition that
# names nobody, a role or a statement that nobody is unwell, a dated past event.
GENERAL_QUESTIONS = (
    "Can a person overdose on melatonin?",
    "is it normal to bleed when pregnant",
    "What happens to the brain during a seizure? I'm a special ed teacher.",
    "Is anaphylaxis always fast? My kids are fine, I'm just making our family plan.",
    "¿Por qué el dolor de pecho en las mujeres es diferente?",
    "I had a seizure in 2015 and I've been fine since. Can I get a driver's license?",
)
REPORTS = (
    "Can a person overdose on melatonin? my son took the whole bottle",
    "is it normal to bleed when pregnant? I'm 20 weeks and soaking a pad every hour",
    "What happens during a seizure? my husband is having a seizure right now",
    "I had a seizure in 2015 and now I'm having another seizure",
    "My dad had a stroke 3 years ago, his face is drooping",
    "how do I know if I want to kill myself",
)


@pytest.mark.parametrize("text", GENERAL_QUESTIONS)
def test_a_warning_sign_inside_a_general_question_is_set_aside_by_the_rules(text):
    assert rules_classify(text).level == "routine"


@pytest.mark.parametrize("text", REPORTS)
def test_the_same_sign_lived_by_someone_stays_an_emergency(text):
    assert rules_classify(text).level == "emergency"
    assert classify(text).level == "emergency"

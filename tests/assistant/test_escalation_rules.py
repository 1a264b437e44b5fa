"""Every escalation rule catches its own examples and leaves its counter-examples alone."""

from __future__ import annotations

import re

import pytest

from assistant.escalation import RULES, classify
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

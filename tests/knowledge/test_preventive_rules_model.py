"""Preventive-care rules as curated content: versions, review, and what patients are told."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.core.management import CommandError, call_command

from knowledge import services
from knowledge.importers import load_rules
from knowledge.models import PreventiveRule, PreventiveRuleVersion, ReviewState
from knowledge.preventive import DEFAULT_RULES_PATH, PatientFacts, evaluate
from knowledge.selectors import approved_rules

pytestmark = pytest.mark.django_db

ON = date(2026, 11, 1)
# A 50-year-old with nothing on record: due for an adult blood pressure check.
FIFTY = PatientFacts(birth_date=date(1976, 6, 1), sex="female")


def shipped() -> list[dict]:
    return json.loads(DEFAULT_RULES_PATH.read_text("utf-8"))["rules"]


def bp_status() -> str:
    results = evaluate(facts=FIFTY, rules=approved_rules(), on=ON)
    return {r.rule.key: r.status for r in results}["blood-pressure-screening"]


def test_the_shipped_rules_load_once_and_are_in_force_when_approved(curator):
    call_command("load_preventive_rules", "--approve-as", curator.username)

    keys = {r["key"] for r in shipped()}
    assert {r.key for r in approved_rules()} == keys
    version = PreventiveRule.objects.get(key="blood-pressure-screening").current_approved
    assert (version.number, version.reviewed_by) == (1, curator)
    assert version.review_by is not None

    call_command("load_preventive_rules", "--approve-as", curator.username)
    assert PreventiveRuleVersion.objects.count() == len(keys)  # idempotent


def test_without_approval_no_rule_is_in_force(curator):
    report = load_rules(shipped())
    assert report.created == len(shipped())
    assert approved_rules() == []
    assert set(PreventiveRuleVersion.objects.values_list("state", flat=True)) == {
        ReviewState.IN_REVIEW
    }


def test_a_changed_definition_in_the_file_becomes_a_new_version(curator):
    load_rules(shipped(), approve_as=curator)
    rules = shipped()
    bp = next(r for r in rules if r["key"] == "blood-pressure-screening")
    bp["min_age"] = 60

    report = load_rules(rules, approve_as=curator)

    assert (report.created, report.changed, report.unchanged) == (0, 1, len(rules) - 1)
    rule = PreventiveRule.objects.get(key="blood-pressure-screening")
    assert rule.current_approved.number == 2 and rule.current_approved.definition["min_age"] == 60
    assert rule.versions.get(number=1).state == ReviewState.SUPERSEDED


def test_a_rule_edit_changes_no_decision_until_it_is_approved(curator):
    load_rules(shipped(), approve_as=curator)
    assert bp_status() == "due"
    rule = PreventiveRule.objects.get(key="blood-pressure-screening")
    definition = {**rule.current_approved.definition, "min_age": 60}

    draft = services.rule_edit(rule=rule, definition=definition, author=curator)
    assert bp_status() == "due"
    services.version_submit(version=draft, user=curator)
    assert bp_status() == "due"

    services.version_approve(version=draft, reviewer=curator)
    assert bp_status() == "not_applicable"

    services.version_retire(version=draft, user=curator)
    assert "blood-pressure-screening" not in {r.key for r in approved_rules()}


def test_an_invalid_definition_is_refused_with_the_engines_reason(curator):
    load_rules(shipped(), approve_as=curator)
    rule = PreventiveRule.objects.get(key="blood-pressure-screening")
    broken = {**rule.current_approved.definition, "min_agee": 60}

    with pytest.raises(services.CurationError, match="min_agee"):
        services.rule_edit(rule=rule, definition=broken, author=curator)
    assert rule.versions.count() == 1


def test_a_bad_rule_file_stores_nothing(curator, tmp_path):
    rules = shipped()
    rules[3] = {**rules[3], "kind": "wish"}
    path = tmp_path / "rules.json"
    path.write_text(json.dumps({"rules": rules}), "utf-8")

    with pytest.raises(CommandError, match="nothing was stored"):
        call_command("load_preventive_rules", str(path), "--approve-as", curator.username)
    assert PreventiveRule.objects.count() == 0

"""Evaluate every rule for one patient on one day (see the package docstring for what the statuses
mean).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date

from knowledge.preventive.courses import _Clock, _interval, _product_series, _seasonal, _series
from knowledge.preventive.facts import (
    _STATUS_ORDER,
    CURRENT_SMOKER_CODES,
    SMOKING_STATUS_LOINC,
    ConditionFact,
    PatientFacts,
    RecordEntry,
    Status,
    age_on,
    birthday,
    normalize_system,
)
from knowledge.preventive.population import _age_words, _Context, _Population, _population
from knowledge.preventive.rules import Rule, RuleResult, _check_unique_keys


def evaluate(*, facts: PatientFacts, rules: Sequence[Rule], on: date) -> list[RuleResult]:
    """Evaluate every rule for one patient on one day; see the module docstring for statuses.

    Entries dated after ``on`` are ignored, so a record can be replayed as of any past day.
    Returns nothing for a deceased or inactive patient. Raises ``ValueError`` when ``on`` is
    before the birth date and ``RuleError`` when two rules share a key.
    """
    if facts.deceased or not facts.active:
        return []
    _check_unique_keys(rules)
    by_code: dict[tuple[str, str], list[RecordEntry]] = {}
    for entry in facts.entries:
        if entry.date <= on:
            by_code.setdefault((normalize_system(entry.system), entry.code), []).append(entry)
    # Oldest first; ties broken by value so the answer never depends on input order.
    history = tuple(
        sorted(
            by_code.get(("loinc", SMOKING_STATUS_LOINC), []), key=lambda e: (e.date, e.value or "")
        )
    )
    since = None
    for status in reversed(history):  # the first day of the current run of "smoker" statuses
        if status.value not in CURRENT_SMOKER_CODES:
            break
        since = status.date
    conditions: dict[str, ConditionFact] = {}
    for condition in facts.condition_facts():
        if normalize_system(condition.system) != "snomed":
            continue
        if condition.onset is not None and condition.onset > on:
            continue
        known = conditions.get(condition.code)
        if known is None or (
            condition.onset is not None and (known.onset is None or condition.onset < known.onset)
        ):
            conditions[condition.code] = condition
    context = _Context(
        facts=facts,
        on=on,
        age=age_on(facts.birth_date, on),
        by_code=by_code,
        conditions=conditions,
        smoking=history[-1] if history else None,
        smoking_history=history,
        smoking_since=since,
    )
    results = [_evaluate_rule(rule, context) for rule in rules]
    results.sort(key=lambda result: (_STATUS_ORDER[result.status], result.rule.key))
    return results


def _preface(rule: Rule, context: _Context, population: _Population) -> str:
    words = [
        f"You are {_age_words(context.facts.birth_date, context.on, context.age)}; "
        f"{rule.recommendation}."
    ]
    words.extend(population.notes)
    return " ".join(words)


def _evaluate_rule(rule: Rule, context: _Context) -> RuleResult:
    facts = context.facts
    counts_from = (
        birthday(facts.birth_date, rule.min_age_at_entry) if rule.min_age_at_entry else None
    )
    from_age = dict(rule.counts_from_age_by_code)
    found: dict[tuple[date, str, str], RecordEntry] = {}
    for code in rule.satisfied_by:
        for entry in context.by_code.get((code.system, code.code), ()):
            if counts_from is not None and entry.date < counts_from:
                continue
            if code.code in from_age and entry.date < birthday(
                facts.birth_date, from_age[code.code]
            ):
                continue  # e.g. an HPV test before 30 is not a 5-year screen
            found.setdefault((entry.date, code.system, entry.code), entry)
    entries = [found[k] for k in sorted(found)]  # oldest first, deterministic

    population = _population(rule, context, entries)
    if population.why_not is not None:
        return RuleResult(
            rule=rule,
            status=Status.NOT_APPLICABLE,
            reason=population.why_not,
            needs=population.needs,
        )
    preface = _preface(rule, context, population)
    by_age = rule.eligible_since(facts.birth_date)
    starts = rule.clock_start(facts.birth_date)
    if population.starts is not None:
        starts = max(starts, population.starts)
    clock = _Clock(starts=starts, by_age=by_age)

    if rule.season_start:
        result = _seasonal(rule, context, entries, preface, clock)
    elif rule.series:
        result = _product_series(rule, context, entries, preface, clock)
    elif rule.doses_required > 1:
        result = _series(rule, context, entries, preface, clock)
    else:
        result = _interval(rule, context, entries, preface, clock)
    if rule.info_needed:
        return replace(
            result,
            reason=f"{result.reason} Your record does not hold {rule.info_needed}; your care "
            "team can ask you about it.",
            needs=(rule.info_needed,),
        )
    return result

"""Whether a rule applies to the patient today: age, sex, exclusions by condition or procedure,
risk conditions, smoking, and the observations (pack-years, 10-year risk) a population depends
on.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from knowledge.preventive.facts import (
    CURRENT_SMOKER_CODES,
    ConditionFact,
    PatientFacts,
    RecordEntry,
    _add_months,
    birthday,
)
from knowledge.preventive.parts import Code
from knowledge.preventive.rules import Rule


@dataclass(frozen=True)
class _Context:
    facts: PatientFacts
    on: date
    age: int
    by_code: Mapping[tuple[str, str], list[RecordEntry]]
    conditions: Mapping[str, ConditionFact]
    smoking: RecordEntry | None
    smoking_history: tuple[RecordEntry, ...]
    smoking_since: date | None


def _age_words(birth_date: date, on: date, age: int) -> str:
    if age >= 2:
        return str(age)
    months = (on.year - birth_date.year) * 12 + on.month - birth_date.month
    if _add_months(birth_date, months) > on:
        months -= 1
    return f"{months} months old"


def _threshold_words(rule: Rule) -> str:
    if rule.min_age is not None:
        return str(rule.min_age)
    if rule.min_age_months is not None:
        return f"{rule.min_age_months} months"
    return ""


def _condition_words(context: _Context, code: Code) -> str:
    fact = context.conditions.get(code.code)
    return (fact.display if fact else "") or code.display


@dataclass(frozen=True)
class _Population:
    """Whether the rule applies today, and what that decided."""

    why_not: str | None = None
    needs: tuple[str, ...] = ()
    starts: date | None = None  # a risk condition's onset: the clock cannot start before it
    notes: tuple[str, ...] = ()  # sentences for the reason (the condition that brings them in)


def _smoking_words(status: RecordEntry) -> str:
    return f'({status.date.isoformat()}) is "{status.value_display or status.value}"'


def _latest_number(context: _Context, codes: Sequence[Code]) -> tuple[float, RecordEntry] | None:
    found = [e for c in codes for e in context.by_code.get((c.system, c.code), ())]
    for entry in sorted(found, key=lambda e: (e.date, e.value or ""), reverse=True):
        match = re.match(r"\s*(-?\d+(?:\.\d+)?)", entry.value or "")
        if match:
            return float(match.group(1)), entry
    return None


def _population(rule: Rule, context: _Context, entries: list[RecordEntry]) -> _Population:
    """Whether `rule` applies on the day: each check either takes the patient out (with the
    reason, and what the record would need to decide) or adds a sentence saying why they are in.
    """
    notes: list[str] = []
    out = _by_sex_and_age(rule, context, entries, notes) or _by_exclusions(rule, context)
    if out is not None:
        return out
    starts = _by_conditions(rule, context, notes)
    if isinstance(starts, _Population):
        return starts
    out = _by_smoking(rule, context, notes) or _by_observations(rule, context, notes)
    return out if out is not None else _Population(starts=starts, notes=tuple(notes))


def _by_sex_and_age(
    rule: Rule, context: _Context, entries: list[RecordEntry], notes: list[str]
) -> _Population | None:
    facts, age = context.facts, context.age
    if rule.sex is not None and facts.sex != rule.sex:
        who = "women" if rule.sex == "female" else "men"
        return _Population(
            f"This applies to {who}, and your record lists your sex as {facts.sex or 'unknown'}."
        )
    if context.on < rule.eligible_since(facts.birth_date):
        return _Population(
            f"This starts at age {_threshold_words(rule)}; "
            f"you are {_age_words(facts.birth_date, context.on, age)}."
        )
    if rule.max_age is not None and age > rule.max_age:
        if rule.adequate_before_stop is None:
            return _Population(f"This is for people up to age {rule.max_age}; you are {age}.")
        adequate = _adequate_before_stop(rule, context, entries)
        if adequate is not None:
            return _Population(adequate)
        notes.append(
            f"Screening stops after {rule.max_age} only for people who were screened regularly "
            f"in the 10 years before; your record does not show that, so it still applies "
            f"to you at {age}."
        )
    return None


def _by_exclusions(rule: Rule, context: _Context) -> _Population | None:
    """A condition or a procedure that takes the patient out (a stroke, a hysterectomy)."""
    for code in rule.conditions_none:
        if code.code in context.conditions:
            return _Population(
                f'Your record lists "{_condition_words(context, code)}", so your care team '
                "follows you with a plan made for that instead."
            )
    for code in rule.procedures_none:
        done = context.by_code.get(("snomed", code.code))
        if done:
            first = min(done, key=lambda e: e.date)
            return _Population(
                f'Your record shows "{first.display or code.display}" on '
                f"{first.date.isoformat()}, so this no longer applies to you."
            )
    return None


def _by_conditions(rule: Rule, context: _Context, notes: list[str]) -> _Population | date | None:
    """A risk condition (or smoking, where it counts instead) that brings the patient in: the
    day the clock may start from (its onset; None when unknown or not needed), or why not."""
    if not rule.conditions_any:
        return None
    matched = [c for c in rule.conditions_any if c.code in context.conditions]
    if matched:
        onsets = [context.conditions[c.code].onset for c in matched]
        known = [d for d in onsets if d is not None]
        first = min(matched, key=lambda c: context.conditions[c.code].onset or date.min)
        words = f'Your record lists "{_condition_words(context, first)}"'
        onset = context.conditions[first.code].onset
        notes.append(f"{words} (since {onset.isoformat()})." if onset else f"{words}.")
        # Unknown onset: the condition may be old, so it does not hold the clock back.
        return None if len(known) < len(onsets) else min(known)
    if rule.conditions_or_smoking and context.smoking_since is not None:
        notes.append(
            "Your record shows you smoke (latest smoking status "
            f"{_smoking_words(context.smoking)}; a smoker since at least "
            f"{context.smoking_since.isoformat()})."
        )
        return context.smoking_since
    if rule.condition_needs:
        return _Population(
            f"This applies to people with {rule.condition_note}. Your record does not say "
            f"whether that is you: your care team needs to know {rule.condition_needs}.",
            needs=(rule.condition_needs,),
        )
    return _Population(
        f"This applies to people with {rule.condition_note}; your record does not list "
        "one of these."
    )


def _by_smoking(rule: Rule, context: _Context, notes: list[str]) -> _Population | None:
    """Rules for people who smoke now, or who ever smoked."""
    status = context.smoking
    if rule.smoking_status_any:
        wanted = {c.code for c in rule.smoking_status_any}
        if status is None:
            return _Population(
                "This applies to people who smoke now; your record has no smoking status."
            )
        if status.value not in wanted:
            return _Population(
                f"This applies to people who smoke now; your latest smoking status "
                f"{_smoking_words(status)}."
            )
        notes.append(f"Your latest smoking status {_smoking_words(status)}.")
    if rule.smoking_ever_any:
        wanted = {c.code for c in rule.smoking_ever_any}
        ever = [s for s in context.smoking_history if s.value in wanted]
        if not context.smoking_history:
            return _Population(
                "This applies to people who have ever smoked; your record has no smoking "
                "status, so your care team needs to know whether you ever smoked.",
                needs=("whether you have ever smoked",),
            )
        if not ever:
            return _Population(
                "This applies to people who have ever smoked; your latest smoking status "
                f"{_smoking_words(status)}."
            )
        notes.append(
            f'Your record says you have smoked ("{ever[-1].value_display or ever[-1].value}" '
            f"on {ever[-1].date.isoformat()})."
        )
    return None


def _by_observations(rule: Rule, context: _Context, notes: list[str]) -> _Population | None:
    """Numbers a population depends on (pack-years, 10-year risk): out of range takes the
    patient out; missing ones are named as what the care team needs to know."""
    status = context.smoking
    needs: list[str] = []
    for requirement in rule.requires:
        if requirement.if_smoking is not None:
            current = status is not None and status.value in CURRENT_SMOKER_CODES
            if (requirement.if_smoking == "current") != current:
                continue
        found = _latest_number(context, requirement.codes)
        if found is None:
            needs.append(requirement.what)
            continue
        value, entry = found
        low, high = requirement.at_least, requirement.at_most
        if (low is not None and value < low) or (high is not None and value > high):
            limit = f"at least {low:g}" if low is not None and value < low else f"at most {high:g}"
            return _Population(
                f"This applies when {requirement.what} is {limit}; your record shows "
                f"{value:g} on {entry.date.isoformat()}."
            )
        notes.append(f"Your record shows {requirement.what}: {value:g} ({entry.date.isoformat()}).")
    if needs:
        return _Population(
            "Whether this applies to you depends on " + " and ".join(needs) + ", which your "
            "record does not show. Tell your care team so they can work it out with you.",
            needs=tuple(needs),
        )
    return None


def _adequate_before_stop(rule: Rule, context: _Context, entries: list[RecordEntry]) -> str | None:
    """Why screening may stop after max_age, or None when the record does not show it."""
    assert rule.adequate_before_stop is not None and rule.max_age is not None
    (window, latest_within), options = rule.adequate_before_stop
    stop = birthday(context.facts.birth_date, rule.max_age + 1)
    window_start = stop - timedelta(days=window)
    latest_start = stop - timedelta(days=latest_within)
    for count, codes in options:
        days = sorted(
            {
                e.date
                for e in entries
                if window_start <= e.date < stop and (not codes or e.code in codes)
            }
        )
        if len(days) >= count and days[-1] >= latest_start:
            return (
                f"Screening stops after {rule.max_age} for people screened regularly before: "
                f"your record shows {len(days)} tests in the 10 years before you turned "
                f"{rule.max_age + 1}, the last on {days[-1].isoformat()}. If any of them was "
                "abnormal, ask your care team whether you still need it."
            )
    return None

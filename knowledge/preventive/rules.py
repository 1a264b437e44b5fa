"""A vetted preventive-care rule, the result of evaluating it, and the loading of rule sets."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from knowledge.preventive.facts import (
    DEFAULT_RULES_PATH,
    Kind,
    RecordEntry,
    RuleError,
    Status,
    _add_months,
    _iso,
    birthday,
    normalize_system,
)
from knowledge.preventive.parts import Code, Requirement, SeriesOption, Source
from knowledge.preventive.rules_json import rule_fields, rule_to_dict


@dataclass(frozen=True)
class Rule:
    """One vetted preventive-care recommendation, evaluated against a patient's record.

    Content fields: ``title``, ``recommendation`` (a sentence fragment naming who should do
    what, e.g. "adults 45 to 75 should be screened for colorectal cancer"), ``item`` (what gets
    done, e.g. "colorectal cancer screening test"), ``explanation`` (why it matters and what to
    do next, plain words), ``condition_note`` (words for the conditions that make the rule
    apply), ``topic_query`` (search words for related approved education content).
    """

    key: str
    title: str
    kind: Kind
    source: Source
    recommendation: str
    item: str
    explanation: str
    topic_query: str
    satisfied_by: tuple[Code, ...]
    min_age: int | None = None
    min_age_months: int | None = None
    max_age: int | None = None
    sex: str | None = None
    conditions_any: tuple[Code, ...] = ()
    conditions_none: tuple[Code, ...] = ()
    condition_note: str = ""
    smoking_status_any: tuple[Code, ...] = ()
    interval_days: int | None = None
    interval_by_code: tuple[tuple[str, int], ...] = ()
    season_start: str | None = None
    doses_required: int = 1
    reduced_series: tuple[int, int] | None = None
    min_age_at_entry: int | None = None
    procedures_none: tuple[Code, ...] = ()
    smoking_ever_any: tuple[Code, ...] = ()
    conditions_or_smoking: bool = False
    condition_needs: str = ""
    requires: tuple[Requirement, ...] = ()
    info_needed: str = ""
    interval_by_condition: tuple[tuple[str, int], ...] = ()
    counts_from_age_by_code: tuple[tuple[str, int], ...] = ()
    recommended_since: tuple[tuple[date, int | None, int | None], ...] = ()
    series: tuple[SeriesOption, ...] = ()
    adequate_before_stop: tuple[tuple[int, int], tuple[tuple[int, tuple[str, ...]], ...]] | None = (
        None
    )
    # Lookup tables derived once from the fields above (not part of the rule's identity).
    _codes: frozenset[tuple[str, str]] = field(init=False, repr=False, compare=False)
    _intervals: Mapping[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_codes", frozenset((c.system, c.code) for c in self.satisfied_by))
        object.__setattr__(self, "_intervals", dict(self.interval_by_code))

    def codes_read(self) -> set[str]:
        """Every code of the record this rule reads (what the caller must load)."""
        codes = {c.code for c in self.satisfied_by}
        codes.update(c.code for c in self.procedures_none)
        for requirement in self.requires:
            codes.update(c.code for c in requirement.codes)
        return codes

    # ---- serialisation

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Rule:
        """Build a rule from its JSON form, rejecting anything malformed or unknown.

        Strict on purpose: a misspelt field silently ignored would change clinical advice.
        """
        return cls(**rule_fields(data))

    def to_dict(self) -> dict[str, Any]:
        """The JSON form; ``Rule.from_dict(rule.to_dict()) == rule``."""
        return rule_to_dict(self)

    # ---- derived facts used by the evaluator

    def matches(self, system: str, code: str) -> bool:
        return (normalize_system(system), code) in self._codes

    def interval_for(self, code: str) -> int | None:
        return self._intervals.get(code, self.interval_days)

    def eligible_since(self, birth_date: date) -> date:
        if self.min_age is not None:
            return birthday(birth_date, self.min_age)
        if self.min_age_months is not None:
            return _add_months(birth_date, self.min_age_months)
        return birth_date

    def clock_start(self, birth_date: date) -> date:
        """The first day the recommendation applied to this person by age and by its date
        (e.g. Shingrix from 2018: a man who turned 50 in 2006 is due since 2018)."""
        eligible = self.eligible_since(birth_date)
        if not self.recommended_since:
            return eligible
        starts = []
        for when, low, high in self.recommended_since:
            start = max(when, eligible, birthday(birth_date, low) if low is not None else eligible)
            if high is None or start < birthday(birth_date, high + 1):
                starts.append(start)  # the band covered them on that day
        # No band ever covered them (e.g. 70 when it came in for 19 to 64): from its first date.
        return min(starts) if starts else max(eligible, min(b[0] for b in self.recommended_since))


@dataclass(frozen=True)
class RuleResult:
    """The outcome of one rule for one patient on one day (see the module docstring)."""

    rule: Rule
    status: Status
    reason: str
    due_since: date | None = None
    up_to_date_until: date | None = None
    last_done: date | None = None
    evidence: tuple[RecordEntry, ...] = ()
    needs: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view for templates and APIs (dates as ISO strings)."""
        return {
            "key": self.rule.key,
            "title": self.rule.title,
            "kind": self.rule.kind.value,
            "status": self.status.value,
            "reason": self.reason,
            "explanation": self.rule.explanation,
            "topic_query": self.rule.topic_query,
            "source": {
                "name": self.rule.source.name,
                "grade": self.rule.source.grade,
                "year": self.rule.source.year,
                "url": self.rule.source.url,
            },
            "due_since": _iso(self.due_since),
            "up_to_date_until": _iso(self.up_to_date_until),
            "last_done": _iso(self.last_done),
            "needs": list(self.needs),
            "evidence": [
                {
                    "kind": e.kind,
                    "system": e.system,
                    "code": e.code,
                    "display": e.display,
                    "date": e.date.isoformat(),
                }
                for e in self.evidence
            ],
        }


def rules_from_json(document: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> list[Rule]:
    """Rules from a rule-set document ({"rules": [...]}) or a plain list; keys must be unique."""
    items = document.get("rules") if isinstance(document, Mapping) else document
    if not isinstance(items, Sequence) or isinstance(items, (str, bytes)):
        raise RuleError("a rule set must be a list of rules or an object with 'rules'")
    rules = [Rule.from_dict(item) for item in items]
    _check_unique_keys(rules)
    return rules


def load_default_rules(path: Path | None = None) -> list[Rule]:
    """The shipped rule set, ``knowledge/preventive_rules.json``."""
    with (path or DEFAULT_RULES_PATH).open(encoding="utf-8") as handle:
        return rules_from_json(json.load(handle))


def _check_unique_keys(rules: Iterable[Rule]) -> None:
    seen: set[str] = set()
    for rule in rules:
        if rule.key in seen:
            raise RuleError(f"duplicate rule key {rule.key!r}")
        seen.add(rule.key)

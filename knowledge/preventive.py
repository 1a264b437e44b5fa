"""Preventive-care rule engine: which screenings, vaccines and counselling a patient is due for.

Pure and deterministic: no ORM, no Django, no clock. The caller passes the patient's facts, the
vetted rules and the day to evaluate ``on``; the same inputs always give the same results.
Rules are clinician-reviewed content (see ``preventive_rules.json``); the database stores each
rule's fields as JSON and hands them to :meth:`Rule.from_dict`.

Definitions (what the statuses mean, precisely)
-----------------------------------------------
* **Eligible since** – the day the patient entered the rule's age band: their ``min_age``
  birthday (or the day they turned ``min_age_months`` months), their birth date if the rule has
  no lower age. Sex, condition and smoking requirements are checked on ``on`` only; the record
  does not say since when a condition has been present, so dates are always age-based.
* **Cover** – a satisfying entry done on day D keeps the patient up to date from D through
  D + interval days *inclusive* (``interval_by_code`` can give a code its own interval). The
  last covered day is ``up_to_date_until``: on that day the patient is still up to date, on the
  next day the item is overdue. ``interval_days`` null means once in a lifetime (cover never
  ends). The entry that covers longest decides (a colonoscopy 5 years ago beats a stool test
  last year) and is the ``evidence``; ``last_done`` is the most recent satisfying entry.
  Entries before the ``min_age_at_entry`` birthday do not count (childhood doses).
* **Series** rules (``doses_required`` > 1) are complete, for life, once that many doses were
  given on distinct days (``reduced_series``: fewer doses when the first came before an age);
  the counted doses are the ``evidence``.
* **Seasonal** rules (``season_start`` "MM-DD", e.g. flu from 08-01) only accept an entry from
  the current season: cover runs to the day before the next season starts.
* **not_applicable** – outside the population on ``on`` (age, sex, conditions, smoking).
* **up_to_date** – covered on ``on``.
* **overdue** – the patient had it before, its cover ran out while they were already eligible,
  and nothing newer covers them. ``due_since`` is the first uncovered day (the day after
  ``up_to_date_until`` of the entry that covered longest), or for seasonal rules the first day
  of the current season (a missed earlier season cannot be made up; if the patient became
  eligible during this season, that day).
* **due** – never done while eligible: no satisfying entry at all, an entry whose cover had
  already ended before the patient became eligible, or a series still in progress.
  ``due_since`` is the day they became eligible (for seasonal rules: the later of that day and
  the start of the current season). A patient who turned 45 last week is due since that birthday.
* Deceased or inactive patients get no results at all: a portal sends them nothing.
* Results are ordered overdue, due, up_to_date, not_applicable, then by rule key.
* Birthdays: a person born on 29 February turns a year older on 1 March in non-leap years
  (consistently in :func:`age_on` and in eligibility dates).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

__all__ = [
    "SMOKING_STATUS_LOINC",
    "Code",
    "Kind",
    "PatientFacts",
    "RecordEntry",
    "Rule",
    "RuleError",
    "RuleResult",
    "Source",
    "Status",
    "age_on",
    "birthday",
    "evaluate",
    "load_default_rules",
    "rules_from_json",
]

DEFAULT_RULES_PATH = Path(__file__).with_name("preventive_rules.json")

# The latest observation with this LOINC code tells whether the patient smokes now.
SMOKING_STATUS_LOINC = "72166-2"

# Rules name code systems by short names; records may carry the FHIR system URIs.
_SYSTEM_ALIASES = {
    "snomed": "snomed",
    "sct": "snomed",
    "snomed-ct": "snomed",
    "http://snomed.info/sct": "snomed",
    "cvx": "cvx",
    "http://hl7.org/fhir/sid/cvx": "cvx",
    "loinc": "loinc",
    "http://loinc.org": "loinc",
}
RULE_SYSTEMS = ("snomed", "cvx", "loinc")


class Status(StrEnum):
    OVERDUE = "overdue"
    DUE = "due"
    UP_TO_DATE = "up_to_date"
    NOT_APPLICABLE = "not_applicable"


class Kind(StrEnum):
    SCREENING = "screening"
    IMMUNIZATION = "immunization"
    COUNSELING = "counseling"


_STATUS_ORDER = {
    Status.OVERDUE: 0,
    Status.DUE: 1,
    Status.UP_TO_DATE: 2,
    Status.NOT_APPLICABLE: 3,
}


class RuleError(ValueError):
    """A rule definition is malformed; the message names the rule and the field."""


def normalize_system(system: str) -> str:
    """Map a code system URI or short name to the short name rules use ("snomed", ...)."""
    cleaned = system.strip().lower().rstrip("/")
    return _SYSTEM_ALIASES.get(cleaned, cleaned)


# --------------------------------------------------------------------------- patient facts


@dataclass(frozen=True)
class RecordEntry:
    """One dated item of the patient's record that a rule may count.

    ``kind`` is "procedure", "immunization", "observation" or "condition"; ``system`` a FHIR
    URI or short name; ``value`` the coded or textual result when there is one (for the
    smoking-status observation: the SNOMED code of the status) and ``value_display`` its words.
    """

    kind: str
    system: str
    code: str
    display: str
    date: date
    value: str | None = None
    value_display: str | None = None


@dataclass(frozen=True)
class PatientFacts:
    """What the engine needs to know about a patient, on the evaluation day.

    ``conditions`` holds the active conditions as (system, code, display) triples.
    """

    birth_date: date
    sex: str | None
    deceased: bool = False
    active: bool = True
    conditions: Sequence[tuple[str, str, str]] = ()
    entries: Sequence[RecordEntry] = ()


# --------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class Code:
    system: str
    code: str
    display: str = ""


@dataclass(frozen=True)
class Source:
    name: str
    grade: str
    year: int
    url: str


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
    # Lookup tables derived once from the fields above (not part of the rule's identity).
    _codes: frozenset[tuple[str, str]] = field(init=False, repr=False, compare=False)
    _intervals: Mapping[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_codes", frozenset((c.system, c.code) for c in self.satisfied_by))
        object.__setattr__(self, "_intervals", dict(self.interval_by_code))

    # ---- serialisation

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Rule:
        """Build a rule from its JSON form, rejecting anything malformed or unknown.

        Strict on purpose: a misspelt field silently ignored would change clinical advice.
        """
        return _rule_from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form; ``Rule.from_dict(rule.to_dict()) == rule``."""
        data: dict[str, Any] = {
            "key": self.key,
            "title": self.title,
            "kind": self.kind.value,
            "source": {
                "name": self.source.name,
                "grade": self.source.grade,
                "year": self.source.year,
                "url": self.source.url,
            },
            "recommendation": self.recommendation,
            "item": self.item,
            "explanation": self.explanation,
            "topic_query": self.topic_query,
            "min_age": self.min_age,
            "min_age_months": self.min_age_months,
            "max_age": self.max_age,
            "sex": self.sex,
            "conditions_any": [_code_to_json(c) for c in self.conditions_any],
            "conditions_none": [_code_to_json(c) for c in self.conditions_none],
            "condition_note": self.condition_note,
            "smoking": (
                {"latest_status_any": [_code_to_json(c) for c in self.smoking_status_any]}
                if self.smoking_status_any
                else None
            ),
            "satisfied_by": {
                system: [_code_to_json(c) for c in self.satisfied_by if c.system == system]
                for system in RULE_SYSTEMS
                if any(c.system == system for c in self.satisfied_by)
            },
            "interval_days": self.interval_days,
            "interval_by_code": dict(self.interval_by_code),
            "season_start": self.season_start,
            "doses_required": self.doses_required,
            "reduced_series": (
                {
                    "started_before_age": self.reduced_series[0],
                    "doses_required": self.reduced_series[1],
                }
                if self.reduced_series
                else None
            ),
            "min_age_at_entry": self.min_age_at_entry,
        }
        return data

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


# --------------------------------------------------------------------------- dates


def birthday(birth_date: date, years: int) -> date:
    """The day a person born on ``birth_date`` turns ``years`` (29 Feb -> 1 Mar if needed)."""
    try:
        return birth_date.replace(year=birth_date.year + years)
    except ValueError:  # 29 February in a non-leap year
        return date(birth_date.year + years, 3, 1)


def age_on(birth_date: date, on: date) -> int:
    """Age in whole years on ``on``; consistent with :func:`birthday` for 29 February."""
    if on < birth_date:
        raise ValueError(f"{on} is before the birth date {birth_date}")
    had_birthday = (on.month, on.day) >= (birth_date.month, birth_date.day)
    return on.year - birth_date.year - (0 if had_birthday else 1)


def _add_months(start: date, months: int) -> date:
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    try:
        return date(year, month, start.day)
    except ValueError:  # e.g. 31 August + 6 months: the next day that exists
        return date(year + (month == 12), month % 12 + 1, 1)


def _season_bounds(season_start: str, on: date) -> tuple[date, date]:
    month, day = (int(part) for part in season_start.split("-"))
    start = date(on.year, month, day)
    if on < start:
        start = date(on.year - 1, month, day)
    return start, date(start.year + 1, month, day) - timedelta(days=1)


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


# --------------------------------------------------------------------------- loading


_RULE_FIELDS = {
    "key",
    "title",
    "kind",
    "source",
    "recommendation",
    "item",
    "explanation",
    "topic_query",
    "min_age",
    "min_age_months",
    "max_age",
    "sex",
    "conditions_any",
    "conditions_none",
    "condition_note",
    "smoking",
    "satisfied_by",
    "interval_days",
    "interval_by_code",
    "season_start",
    "doses_required",
    "reduced_series",
    "min_age_at_entry",
}
_REQUIRED_TEXT = ("key", "title", "recommendation", "item", "explanation", "topic_query")


def _code_to_json(code: Code) -> str | dict[str, str]:
    return {"code": code.code, "display": code.display} if code.display else code.code


def _codes_from_json(rule_key: str, where: str, system: str, items: Any) -> tuple[Code, ...]:
    if not isinstance(items, list):
        raise RuleError(f"{rule_key}: {where} must be a list of codes")
    codes = []
    for item in items:
        if isinstance(item, str) and item.strip():
            codes.append(Code(system, item.strip()))
        elif isinstance(item, Mapping) and isinstance(item.get("code"), str) and item["code"]:
            extra = set(item) - {"code", "display"}
            if extra:
                raise RuleError(f"{rule_key}: {where} has unknown fields {sorted(extra)}")
            codes.append(Code(system, item["code"].strip(), str(item.get("display", ""))))
        else:
            raise RuleError(f"{rule_key}: {where} has an invalid code {item!r}")
    return tuple(codes)


def _optional_int(rule_key: str, data: Mapping[str, Any], name: str, minimum: int) -> int | None:
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise RuleError(f"{rule_key}: {name} must be a whole number >= {minimum} or null")
    return value


def _rule_from_dict(data: Mapping[str, Any]) -> Rule:
    if not isinstance(data, Mapping):
        raise RuleError(f"a rule must be an object, not {type(data).__name__}")
    key = data.get("key")
    if not isinstance(key, str) or not key.strip():
        raise RuleError("a rule needs a non-empty 'key'")
    unknown = set(data) - _RULE_FIELDS
    if unknown:
        raise RuleError(f"{key}: unknown fields {sorted(unknown)}")
    for name in _REQUIRED_TEXT:
        if not isinstance(data.get(name), str) or not data[name].strip():
            raise RuleError(f"{key}: '{name}' must be non-empty text")
    try:
        kind = Kind(data.get("kind"))
    except ValueError:
        raise RuleError(f"{key}: kind must be one of {[k.value for k in Kind]}") from None

    source = data.get("source")
    if not isinstance(source, Mapping) or set(source) != {"name", "grade", "year", "url"}:
        raise RuleError(f"{key}: source needs exactly name, grade, year and url")
    if not isinstance(source["year"], int) or not str(source["url"]).startswith("https://"):
        raise RuleError(f"{key}: source year must be a number and url an https address")

    min_age = _optional_int(key, data, "min_age", 0)
    min_age_months = _optional_int(key, data, "min_age_months", 0)
    max_age = _optional_int(key, data, "max_age", 0)
    if min_age is not None and min_age_months is not None:
        raise RuleError(f"{key}: give min_age or min_age_months, not both")
    if min_age is not None and max_age is not None and max_age < min_age:
        raise RuleError(f"{key}: max_age is below min_age")
    sex = data.get("sex")
    if sex not in (None, "female", "male"):
        raise RuleError(f"{key}: sex must be 'female', 'male' or null")

    satisfied = data.get("satisfied_by")
    if not isinstance(satisfied, Mapping) or not satisfied:
        raise RuleError(f"{key}: satisfied_by needs at least one code list")
    satisfied_by: list[Code] = []
    for system, items in satisfied.items():
        if system not in RULE_SYSTEMS:
            raise RuleError(f"{key}: satisfied_by system must be one of {RULE_SYSTEMS}")
        satisfied_by.extend(_codes_from_json(key, f"satisfied_by.{system}", system, items))
    if not satisfied_by:
        raise RuleError(f"{key}: satisfied_by lists no codes")

    interval_days = _optional_int(key, data, "interval_days", 1)
    raw_intervals = data.get("interval_by_code") or {}
    if not isinstance(raw_intervals, Mapping):
        raise RuleError(f"{key}: interval_by_code must map codes to days")
    known_codes = {c.code for c in satisfied_by}
    intervals: list[tuple[str, int]] = []
    for code, days in sorted(raw_intervals.items()):
        if code not in known_codes:
            raise RuleError(f"{key}: interval_by_code names {code}, which is not in satisfied_by")
        if isinstance(days, bool) or not isinstance(days, int) or days < 1:
            raise RuleError(f"{key}: interval_by_code[{code}] must be a number of days >= 1")
        intervals.append((code, days))

    season_start = data.get("season_start")
    if season_start is not None:
        try:
            month, day = (int(part) for part in str(season_start).split("-"))
            date(2001, month, day)  # a non-leap year: 02-29 would skip seasons
        except ValueError:
            raise RuleError(f"{key}: season_start must be 'MM-DD'") from None
        if interval_days is not None or intervals:
            raise RuleError(f"{key}: a seasonal rule takes no interval")

    doses_required = data.get("doses_required", 1)
    if (
        isinstance(doses_required, bool)
        or not isinstance(doses_required, int)
        or doses_required < 1
    ):
        raise RuleError(f"{key}: doses_required must be a whole number >= 1")
    reduced = data.get("reduced_series")
    reduced_series = None
    if reduced is not None:
        if not isinstance(reduced, Mapping) or set(reduced) != {
            "started_before_age",
            "doses_required",
        }:
            raise RuleError(f"{key}: reduced_series needs started_before_age and doses_required")
        before, doses = reduced["started_before_age"], reduced["doses_required"]
        if not (isinstance(before, int) and isinstance(doses, int) and 1 <= doses < doses_required):
            raise RuleError(f"{key}: reduced_series must ask for fewer doses than doses_required")
        reduced_series = (before, doses)
    if doses_required > 1 and (interval_days is not None or intervals or season_start):
        # A completed series protects for life in every schedule we encode; boosters are
        # separate rules (e.g. Td every 10 years), which keeps "overdue" meaning one thing.
        raise RuleError(f"{key}: a series (doses_required > 1) takes no interval or season")

    smoking = data.get("smoking")
    smoking_codes: tuple[Code, ...] = ()
    if smoking is not None:
        if not isinstance(smoking, Mapping) or set(smoking) != {"latest_status_any"}:
            raise RuleError(f"{key}: smoking needs exactly latest_status_any")
        smoking_codes = _codes_from_json(
            key, "smoking.latest_status_any", "snomed", smoking["latest_status_any"]
        )
        if not smoking_codes:
            raise RuleError(f"{key}: smoking.latest_status_any lists no codes")

    conditions_any = _codes_from_json(
        key, "conditions_any", "snomed", data.get("conditions_any") or []
    )
    condition_note = str(data.get("condition_note") or "")
    if conditions_any and not condition_note.strip():
        raise RuleError(f"{key}: a rule with conditions_any needs a condition_note for patients")

    return Rule(
        key=key.strip(),
        title=data["title"].strip(),
        kind=kind,
        source=Source(
            name=str(source["name"]),
            grade=str(source["grade"]),
            year=source["year"],
            url=str(source["url"]),
        ),
        recommendation=data["recommendation"].strip(),
        item=data["item"].strip(),
        explanation=data["explanation"].strip(),
        topic_query=data["topic_query"].strip(),
        satisfied_by=tuple(satisfied_by),
        min_age=min_age,
        min_age_months=min_age_months,
        max_age=max_age,
        sex=sex,
        conditions_any=conditions_any,
        conditions_none=_codes_from_json(
            key, "conditions_none", "snomed", data.get("conditions_none") or []
        ),
        condition_note=condition_note.strip(),
        smoking_status_any=smoking_codes,
        interval_days=interval_days,
        interval_by_code=tuple(intervals),
        season_start=season_start,
        doses_required=doses_required,
        reduced_series=reduced_series,
        min_age_at_entry=_optional_int(key, data, "min_age_at_entry", 0),
    )


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


# --------------------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class _Context:
    facts: PatientFacts
    on: date
    age: int
    by_code: Mapping[tuple[str, str], list[RecordEntry]]
    conditions: Mapping[str, str]
    smoking: RecordEntry | None


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
    smoking_records = by_code.get(("loinc", SMOKING_STATUS_LOINC), [])
    context = _Context(
        facts=facts,
        on=on,
        age=age_on(facts.birth_date, on),
        by_code=by_code,
        conditions={
            code: display
            for system, code, display in facts.conditions
            if normalize_system(system) == "snomed"
        },
        # Latest by date; ties broken by value so the answer never depends on input order.
        smoking=max(smoking_records, key=lambda e: (e.date, e.value or ""), default=None),
    )
    results = [_evaluate_rule(rule, context) for rule in rules]
    results.sort(key=lambda result: (_STATUS_ORDER[result.status], result.rule.key))
    return results


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


def _not_applicable(rule: Rule, context: _Context) -> str | None:
    """Why the rule does not apply today, or None when it does."""
    facts, age = context.facts, context.age
    if rule.sex is not None and facts.sex != rule.sex:
        who = "women" if rule.sex == "female" else "men"
        return f"This applies to {who}, and your record lists your sex as {facts.sex or 'unknown'}."
    if context.on < rule.eligible_since(facts.birth_date):
        return (
            f"This starts at age {_threshold_words(rule)}; "
            f"you are {_age_words(facts.birth_date, context.on, age)}."
        )
    if rule.max_age is not None and age > rule.max_age:
        return f"This is for people up to age {rule.max_age}; you are {age}."
    for code in rule.conditions_none:
        if code.code in context.conditions:
            found = context.conditions[code.code] or code.display
            return (
                f'Your record lists "{found}", so your care team follows you with a plan made '
                "for that instead."
            )
    if rule.conditions_any and not any(c.code in context.conditions for c in rule.conditions_any):
        return (
            f"This applies to people with {rule.condition_note}; your record does not list "
            "one of these."
        )
    if rule.smoking_status_any:
        status = context.smoking
        wanted = {c.code for c in rule.smoking_status_any}
        if status is None:
            return "This applies to people who smoke now; your record has no smoking status."
        if status.value not in wanted:
            return (
                "This applies to people who smoke now; your latest smoking status "
                f'({status.date.isoformat()}) is "{status.value_display or status.value}".'
            )
    return None


def _preface(rule: Rule, context: _Context) -> str:
    words = [
        f"You are {_age_words(context.facts.birth_date, context.on, context.age)}; "
        f"{rule.recommendation}."
    ]
    matched = [c for c in rule.conditions_any if c.code in context.conditions]
    if matched:
        listed = context.conditions[matched[0].code] or matched[0].display
        words.append(f'Your record lists "{listed}".')
    if rule.smoking_status_any and context.smoking is not None:
        status = context.smoking
        words.append(
            f"Your latest smoking status ({status.date.isoformat()}) is "
            f'"{status.value_display or status.value}".'
        )
    return " ".join(words)


def _since_words(rule: Rule, since: date, eligible: date) -> str:
    threshold = _threshold_words(rule)
    if since == eligible and threshold:
        old = " old" if rule.min_age is None else ""
        return f"{since.isoformat()}, when you turned {threshold}{old}"
    return since.isoformat()


def _evaluate_rule(rule: Rule, context: _Context) -> RuleResult:
    why_not = _not_applicable(rule, context)
    if why_not is not None:
        return RuleResult(rule=rule, status=Status.NOT_APPLICABLE, reason=why_not)

    facts = context.facts
    counts_from = (
        birthday(facts.birth_date, rule.min_age_at_entry) if rule.min_age_at_entry else None
    )
    found: dict[tuple[date, str, str], RecordEntry] = {}
    for code in rule.satisfied_by:
        for entry in context.by_code.get((code.system, code.code), ()):
            if counts_from is None or entry.date >= counts_from:
                found.setdefault((entry.date, code.system, entry.code), entry)
    entries = [found[k] for k in sorted(found)]  # oldest first, deterministic
    preface = _preface(rule, context)
    eligible = rule.eligible_since(facts.birth_date)

    if rule.season_start:
        return _seasonal(rule, context, entries, preface, eligible)
    if rule.doses_required > 1:
        return _series(rule, context, entries, preface, eligible)
    return _interval(rule, context, entries, preface, eligible)


def _never_done(rule: Rule, preface: str, since: date, eligible: date) -> RuleResult:
    return RuleResult(
        rule=rule,
        status=Status.DUE,
        reason=(
            f"{preface} We found no {rule.item} in your record. "
            f"It has been due since {_since_words(rule, since, eligible)}."
        ),
        due_since=since,
    )


def _interval(
    rule: Rule, context: _Context, entries: list[RecordEntry], preface: str, eligible: date
) -> RuleResult:
    if not entries:
        return _never_done(rule, preface, eligible, eligible)
    last_done = entries[-1].date

    def cover_end(entry: RecordEntry) -> date:
        days = rule.interval_for(entry.code)
        return date.max if days is None else entry.date + timedelta(days=days)

    # The entry that keeps the patient covered longest decides (a colonoscopy five years ago
    # outlasts a stool test last year); on a tie, the more recent one.
    best = max(entries, key=lambda e: (cover_end(e), e.date))
    until = cover_end(best)
    done = f"Your last {rule.item} ({best.display}) was on {best.date.isoformat()}"
    if until >= context.on:
        if until == date.max:
            reason = f"{preface} {done}. It only needs to be done once, so you are up to date."
            return RuleResult(
                rule=rule,
                status=Status.UP_TO_DATE,
                reason=reason,
                last_done=last_done,
                evidence=(best,),
            )
        return RuleResult(
            rule=rule,
            status=Status.UP_TO_DATE,
            reason=f"{preface} {done}, so you are up to date until {until.isoformat()}.",
            up_to_date_until=until,
            last_done=last_done,
            evidence=(best,),
        )
    lapsed = until + timedelta(days=1)
    if lapsed < eligible:
        # Covered only before the rule applied to them: they never fell behind.
        return RuleResult(
            rule=rule,
            status=Status.DUE,
            reason=(
                f"{preface} {done}, but that only counted until {until.isoformat()}. "
                f"A new one has been due since {_since_words(rule, eligible, eligible)}."
            ),
            due_since=eligible,
            last_done=last_done,
            evidence=(best,),
        )
    return RuleResult(
        rule=rule,
        status=Status.OVERDUE,
        reason=(
            f"{preface} {done}. It kept you up to date until {until.isoformat()}, "
            f"so a new one has been overdue since {lapsed.isoformat()}."
        ),
        due_since=lapsed,
        last_done=last_done,
        evidence=(best,),
    )


def _seasonal(
    rule: Rule, context: _Context, entries: list[RecordEntry], preface: str, eligible: date
) -> RuleResult:
    assert rule.season_start is not None
    start, end = _season_bounds(rule.season_start, context.on)
    this_season = [e for e in entries if e.date >= start]
    if this_season:
        latest = this_season[-1]
        return RuleResult(
            rule=rule,
            status=Status.UP_TO_DATE,
            reason=(
                f"{preface} You had your {rule.item} ({latest.display}) on "
                f"{latest.date.isoformat()}, so you are covered for this season, until "
                f"{end.isoformat()}."
            ),
            up_to_date_until=end,
            last_done=latest.date,
            evidence=(latest,),
        )
    since = max(start, eligible)
    since_words = (
        _since_words(rule, since, eligible)
        if since == eligible
        else f"{since.isoformat()}, when this season started"
    )
    if not entries:
        return RuleResult(
            rule=rule,
            status=Status.DUE,
            reason=(
                f"{preface} We found no {rule.item} in your record. You need one every season; "
                f"this season's has been due since {since_words}."
            ),
            due_since=since,
        )
    latest = entries[-1]
    return RuleResult(
        rule=rule,
        status=Status.OVERDUE,
        reason=(
            f"{preface} Your last {rule.item} ({latest.display}) was on "
            f"{latest.date.isoformat()}, in an earlier season. You need one every season; "
            f"this season's has been overdue since {since_words}."
        ),
        due_since=since,
        last_done=latest.date,
        evidence=(latest,),
    )


def _series(
    rule: Rule, context: _Context, entries: list[RecordEntry], preface: str, eligible: date
) -> RuleResult:
    doses: list[RecordEntry] = []
    for entry in entries:  # one dose per day, however many codings the record carries
        if not doses or doses[-1].date != entry.date:
            doses.append(entry)
    if not doses:
        return _never_done(rule, preface, eligible, eligible)
    required = rule.doses_required
    if rule.reduced_series is not None:
        before_age, reduced = rule.reduced_series
        if doses[0].date < birthday(context.facts.birth_date, before_age):
            required = reduced
    last = doses[-1]
    if len(doses) < required:
        return RuleResult(
            rule=rule,
            status=Status.DUE,
            reason=(
                f"{preface} You have had {len(doses)} of {required} doses of the {rule.item} "
                f"(last on {last.date.isoformat()}). The next dose is due."
            ),
            due_since=eligible,
            last_done=last.date,
            evidence=tuple(doses),
        )
    completed = doses[required - 1]
    return RuleResult(
        rule=rule,
        status=Status.UP_TO_DATE,
        reason=(
            f"{preface} You have had {'both' if required == 2 else f'all {required}'} doses "
            f"of the {rule.item} (completed on {completed.date.isoformat()}), so you are up "
            "to date."
        ),
        last_done=last.date,
        evidence=tuple(doses[:required]),
    )

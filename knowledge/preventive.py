"""Preventive-care rule engine: which screenings, vaccines and counselling a patient is due for.

Pure and deterministic: no ORM, no Django, no clock. The caller passes the patient's facts, the
vetted rules and the day to evaluate ``on``; the same inputs always give the same results.
Rules are clinician-reviewed content (see ``preventive_rules.json``); the database stores each
rule's fields as JSON and hands them to :meth:`Rule.from_dict`.

Definitions (what the statuses mean, precisely)
-----------------------------------------------
* **Eligible since** – the day the patient entered the rule's age band: their ``min_age``
  birthday (or the day they turned ``min_age_months`` months), their birth date if the rule has
  no lower age, and no earlier than the clock start below. Sex, condition and smoking
  requirements are checked on ``on``; a condition that brings the patient in starts the clock
  on its onset date when the record gives one.
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
* **not_applicable** – outside the population on ``on`` (age, sex, conditions, procedures such
  as a total hysterectomy, smoking, observations such as pack-years).
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
* **Product series** (``series``): a vaccine course is a list of options, each an ordered list
  of doses naming the products (CVX codes) that may fill it, the minimum days after the
  previous dose and after the first, and the ages at which the dose counts. The course is
  complete, for life, when one option is filled by doses in date order (earliest dose that
  fits each step). Otherwise the option that got furthest says what is next and from when.
  Products the rule lists but no step accepts (Zostavax for Shingrix) are named as not
  counting.
* **Clock start** – ``due_since`` is never before the day the recommendation came into force
  (``recommended_since``, per age band) nor before the onset of the condition that puts the
  patient in the population (a risk condition's onset date, or the first day of the current
  run of "smoker" statuses).
* **Needs** – a rule whose population depends on something the record does not hold
  (pack-years, 10-year heart risk, falls) is ``not_applicable`` with ``needs`` naming what is
  missing, instead of guessing; ``needs`` can also carry what would change an up-to-date
  answer (a sexual history for repeat HIV tests). Panels and the chat show these.
* Deceased or inactive patients get no results at all: a portal sends them nothing.
* Results are ordered overdue, due, up_to_date, not_applicable, then by rule key.
* Birthdays: a person born on 29 February turns a year older on 1 March in non-leap years
  (consistently in :func:`age_on` and in eligibility dates).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

__all__ = [
    "CURRENT_SMOKER_CODES",
    "FORMER_SMOKER_CODES",
    "SMOKING_STATUS_LOINC",
    "Code",
    "ConditionFact",
    "Kind",
    "PatientFacts",
    "RecordEntry",
    "Requirement",
    "Rule",
    "RuleError",
    "RuleResult",
    "SeriesDose",
    "SeriesOption",
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
# Values of that observation (SNOMED) that mean "smokes now" and "smoked before".
CURRENT_SMOKER_CODES = frozenset(
    {
        "449868002",  # Smokes tobacco daily
        "428041000124106",  # Occasional tobacco smoker
        "77176002",  # Smoker
        "428071000124103",  # Heavy tobacco smoker
        "428061000124105",  # Light tobacco smoker
        "65568007",  # Cigarette smoker
        "266927001",  # Tobacco smoking consumption unknown (a smoker, amount unknown)
    }
)
FORMER_SMOKER_CODES = frozenset({"8517006"})  # Ex-smoker / Former smoker

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
    "rxnorm": "rxnorm",
    "http://www.nlm.nih.gov/research/umls/rxnorm": "rxnorm",
}
RULE_SYSTEMS = ("snomed", "cvx", "loinc", "rxnorm")


class Status(StrEnum):
    OVERDUE = "overdue"
    DUE = "due"
    UP_TO_DATE = "up_to_date"
    NOT_APPLICABLE = "not_applicable"


class Kind(StrEnum):
    SCREENING = "screening"
    IMMUNIZATION = "immunization"
    COUNSELING = "counseling"
    MEDICATION = "medication"  # preventive medicine, e.g. a statin


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

    ``kind`` is "procedure", "immunization", "observation" or "medication" (an active
    prescription, dated when it was written); ``system`` a FHIR
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
class ConditionFact:
    """An active condition; ``onset`` (when known) starts the clock of rules it brings in."""

    system: str
    code: str
    display: str
    onset: date | None = None


@dataclass(frozen=True)
class PatientFacts:
    """What the engine needs to know about a patient, on the evaluation day.

    ``conditions`` holds the active conditions, as :class:`ConditionFact` or as
    (system, code, display[, onset]) tuples.
    """

    birth_date: date
    sex: str | None
    deceased: bool = False
    active: bool = True
    conditions: Sequence[ConditionFact | tuple] = ()
    entries: Sequence[RecordEntry] = ()

    def condition_facts(self) -> list[ConditionFact]:
        return [c if isinstance(c, ConditionFact) else ConditionFact(*c) for c in self.conditions]


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
class SeriesDose:
    """One step of a vaccine course: which products fill it, how long after the earlier
    doses and at what age it may be given to count."""

    codes: tuple[str, ...]
    min_days_after_previous: int | None = None
    min_days_after_first: int | None = None
    min_age: int | None = None
    max_age: int | None = None


@dataclass(frozen=True)
class SeriesOption:
    """One way to complete a course, e.g. "PCV15, then PPSV23 at least a year later"."""

    name: str
    doses: tuple[SeriesDose, ...]


@dataclass(frozen=True)
class Requirement:
    """An observation the population depends on (pack-years, 10-year heart risk).

    The latest numeric value of one of ``codes`` must be ``at_least`` / ``at_most``; when the
    record has none, the result says it needs ``what`` instead of guessing. ``if_smoking``
    ("former" or "current") limits the requirement to patients with that smoking status.
    """

    codes: tuple[Code, ...]
    what: str
    at_least: float | None = None
    at_most: float | None = None
    if_smoking: str | None = None


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
        # Newer fields appear only when used, so rules stored before them keep their form.
        if self.procedures_none:
            data["procedures_none"] = [_code_to_json(c) for c in self.procedures_none]
        if self.smoking_ever_any:
            data["smoking"] = {"ever_status_any": [_code_to_json(c) for c in self.smoking_ever_any]}
        if self.conditions_or_smoking:
            data["conditions_or_smoking"] = True
        if self.condition_needs:
            data["condition_needs"] = self.condition_needs
        if self.requires:
            data["requires"] = [_requirement_to_json(r) for r in self.requires]
        if self.info_needed:
            data["info_needed"] = self.info_needed
        if self.interval_by_condition:
            data["interval_by_condition"] = dict(self.interval_by_condition)
        if self.counts_from_age_by_code:
            data["counts_from_age_by_code"] = dict(self.counts_from_age_by_code)
        if self.recommended_since:
            data["recommended_since"] = [
                {
                    "date": when.isoformat(),
                    **({"from_age": low} if low is not None else {}),
                    **({"to_age": high} if high is not None else {}),
                }
                for when, low, high in self.recommended_since
            ]
        if self.series:
            data["series"] = [_option_to_json(o) for o in self.series]
        if self.adequate_before_stop:
            (window, latest), options = self.adequate_before_stop
            data["adequate_before_stop"] = {
                "window_days": window,
                "latest_within_days": latest,
                "options": [
                    {"count": count, **({"codes": list(codes)} if codes else {})}
                    for count, codes in options
                ],
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
    "procedures_none",
    "conditions_or_smoking",
    "condition_needs",
    "requires",
    "info_needed",
    "interval_by_condition",
    "counts_from_age_by_code",
    "recommended_since",
    "series",
    "adequate_before_stop",
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


def _requirement_to_json(requirement: Requirement) -> dict[str, Any]:
    data: dict[str, Any] = {"what": requirement.what}
    for system in RULE_SYSTEMS:
        codes = [_code_to_json(c) for c in requirement.codes if c.system == system]
        if codes:
            data[system] = codes
    for name in ("at_least", "at_most", "if_smoking"):
        if getattr(requirement, name) is not None:
            data[name] = getattr(requirement, name)
    return data


def _option_to_json(option: SeriesOption) -> dict[str, Any]:
    doses = []
    for dose in option.doses:
        item: dict[str, Any] = {"cvx": list(dose.codes)}
        for name in ("min_days_after_previous", "min_days_after_first", "min_age", "max_age"):
            if getattr(dose, name) is not None:
                item[name] = getattr(dose, name)
        doses.append(item)
    return {"name": option.name, "doses": doses}


def _int_field(rule_key: str, where: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise RuleError(f"{rule_key}: {where} must be a whole number >= {minimum}")
    return value


def _code_map(rule_key: str, name: str, raw: Any, known: set[str], minimum: int):
    """A {code: number} field whose codes must be ones the rule counts."""
    if raw is None:
        return ()
    if not isinstance(raw, Mapping):
        raise RuleError(f"{rule_key}: {name} must map codes to numbers")
    pairs = []
    for code, value in sorted(raw.items()):
        if known and code not in known:
            raise RuleError(f"{rule_key}: {name} names {code}, which is not in satisfied_by")
        pairs.append((code, _int_field(rule_key, f"{name}[{code}]", value, minimum)))
    return tuple(pairs)


def _series_from_json(rule_key: str, raw: Any, known: set[str]) -> tuple[SeriesOption, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not raw:
        raise RuleError(f"{rule_key}: series must be a non-empty list of options")
    options = []
    for option in raw:
        if not isinstance(option, Mapping) or set(option) != {"name", "doses"}:
            raise RuleError(f"{rule_key}: a series option needs exactly name and doses")
        if not isinstance(option["name"], str) or not option["name"].strip():
            raise RuleError(f"{rule_key}: a series option needs a name")
        if not isinstance(option["doses"], list) or not option["doses"]:
            raise RuleError(f"{rule_key}: series option {option['name']!r} lists no doses")
        doses = []
        for dose in option["doses"]:
            allowed = {
                "cvx",
                "min_days_after_previous",
                "min_days_after_first",
                "min_age",
                "max_age",
            }
            if not isinstance(dose, Mapping) or "cvx" not in dose or set(dose) - allowed:
                raise RuleError(f"{rule_key}: a series dose needs cvx codes (and only {allowed})")
            codes = dose["cvx"]
            if (
                not isinstance(codes, list)
                or not codes
                or not all(isinstance(c, str) for c in codes)
            ):
                raise RuleError(f"{rule_key}: a series dose's cvx must be a list of codes")
            unknown = set(codes) - known
            if unknown:
                raise RuleError(f"{rule_key}: series names {sorted(unknown)}, not in satisfied_by")
            extra = {
                name: _int_field(rule_key, f"series dose {name}", dose[name], 0)
                for name in allowed - {"cvx"}
                if dose.get(name) is not None
            }
            doses.append(SeriesDose(codes=tuple(codes), **extra))
        if doses[0].min_days_after_previous or doses[0].min_days_after_first:
            raise RuleError(f"{rule_key}: the first dose of {option['name']!r} has no interval")
        options.append(SeriesOption(name=option["name"].strip(), doses=tuple(doses)))
    return tuple(options)


def _requires_from_json(rule_key: str, raw: Any) -> tuple[Requirement, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise RuleError(f"{rule_key}: requires must be a list")
    found = []
    for item in raw:
        allowed = {"what", "at_least", "at_most", "if_smoking", *RULE_SYSTEMS}
        if not isinstance(item, Mapping) or set(item) - allowed:
            raise RuleError(f"{rule_key}: a requirement takes only {sorted(allowed)}")
        what = item.get("what")
        if not isinstance(what, str) or not what.strip():
            raise RuleError(f"{rule_key}: a requirement needs 'what' (words for patients)")
        codes: list[Code] = []
        for system in RULE_SYSTEMS:
            if system in item:
                codes.extend(_codes_from_json(rule_key, f"requires.{system}", system, item[system]))
        if not codes:
            raise RuleError(f"{rule_key}: a requirement lists no codes")
        bounds = {}
        for name in ("at_least", "at_most"):
            value = item.get(name)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int | float)
            ):
                raise RuleError(f"{rule_key}: requires {name} must be a number")
            bounds[name] = value
        if bounds["at_least"] is None and bounds["at_most"] is None:
            raise RuleError(f"{rule_key}: a requirement needs at_least or at_most")
        if item.get("if_smoking") not in (None, "current", "former"):
            raise RuleError(f"{rule_key}: requires if_smoking must be 'current' or 'former'")
        found.append(
            Requirement(
                codes=tuple(codes), what=what.strip(), if_smoking=item.get("if_smoking"), **bounds
            )
        )
    return tuple(found)


def _recommended_since_from_json(
    rule_key: str, raw: Any
) -> tuple[tuple[date, int | None, int | None], ...]:
    if raw is None:
        return ()
    items = [{"date": raw}] if isinstance(raw, str) else raw
    if not isinstance(items, list) or not items:
        raise RuleError(f"{rule_key}: recommended_since must be a date or a list of bands")
    bands = []
    for item in items:
        if (
            not isinstance(item, Mapping)
            or "date" not in item
            or set(item)
            - {
                "date",
                "from_age",
                "to_age",
            }
        ):
            raise RuleError(f"{rule_key}: recommended_since takes date, from_age and to_age")
        try:
            when = date.fromisoformat(str(item["date"]))
        except ValueError:
            raise RuleError(f"{rule_key}: recommended_since date must be YYYY-MM-DD") from None
        low, high = item.get("from_age"), item.get("to_age")
        if low is not None:
            low = _int_field(rule_key, "recommended_since from_age", low, 0)
        if high is not None:
            high = _int_field(rule_key, "recommended_since to_age", high, low or 0)
        bands.append((when, low, high))
    return tuple(bands)


def _adequacy_from_json(rule_key: str, raw: Any, known: set[str]):
    if raw is None:
        return None
    if not isinstance(raw, Mapping) or set(raw) != {"window_days", "latest_within_days", "options"}:
        raise RuleError(
            f"{rule_key}: adequate_before_stop needs window_days, latest_within_days, options"
        )
    window = _int_field(rule_key, "adequate_before_stop.window_days", raw["window_days"], 1)
    latest = _int_field(
        rule_key, "adequate_before_stop.latest_within_days", raw["latest_within_days"], 1
    )
    options = []
    if not isinstance(raw["options"], list) or not raw["options"]:
        raise RuleError(f"{rule_key}: adequate_before_stop.options must be a non-empty list")
    for option in raw["options"]:
        if (
            not isinstance(option, Mapping)
            or "count" not in option
            or set(option)
            - {
                "count",
                "codes",
            }
        ):
            raise RuleError(f"{rule_key}: an adequacy option takes count and optional codes")
        codes = tuple(option.get("codes") or ())
        if set(codes) - known:
            raise RuleError(f"{rule_key}: adequate_before_stop names codes not in satisfied_by")
        options.append((_int_field(rule_key, "adequacy count", option["count"], 1), codes))
    return (window, latest), tuple(options)


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
    ever_codes: tuple[Code, ...] = ()
    if smoking is not None:
        if not isinstance(smoking, Mapping) or set(smoking) not in (
            {"latest_status_any"},
            {"ever_status_any"},
        ):
            raise RuleError(f"{key}: smoking needs exactly latest_status_any or ever_status_any")
        name = next(iter(smoking))
        codes = _codes_from_json(key, f"smoking.{name}", "snomed", smoking[name])
        if not codes:
            raise RuleError(f"{key}: smoking.{name} lists no codes")
        if name == "latest_status_any":
            smoking_codes = codes
        else:
            ever_codes = codes

    conditions_any = _codes_from_json(
        key, "conditions_any", "snomed", data.get("conditions_any") or []
    )
    condition_note = str(data.get("condition_note") or "")
    if conditions_any and not condition_note.strip():
        raise RuleError(f"{key}: a rule with conditions_any needs a condition_note for patients")
    conditions_or_smoking = data.get("conditions_or_smoking", False)
    if not isinstance(conditions_or_smoking, bool) or (
        conditions_or_smoking and not conditions_any
    ):
        raise RuleError(f"{key}: conditions_or_smoking must be true/false, with conditions_any")
    texts = {}
    for name in ("condition_needs", "info_needed"):
        value = data.get(name) or ""
        if not isinstance(value, str):
            raise RuleError(f"{key}: {name} must be text")
        texts[name] = value.strip()
    if texts["condition_needs"] and not conditions_any:
        raise RuleError(f"{key}: condition_needs only makes sense with conditions_any")
    known_codes_all = {c.code for c in satisfied_by}
    series = _series_from_json(key, data.get("series"), known_codes_all)
    if series and (doses_required > 1 or interval_days is not None or intervals or season_start):
        raise RuleError(f"{key}: a product series takes no doses_required, interval or season")
    interval_by_condition = _code_map(
        key, "interval_by_condition", data.get("interval_by_condition"), set(), 1
    )
    if interval_by_condition and (series or season_start or doses_required > 1):
        raise RuleError(f"{key}: interval_by_condition needs an interval rule")

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
        procedures_none=_codes_from_json(
            key, "procedures_none", "snomed", data.get("procedures_none") or []
        ),
        smoking_ever_any=ever_codes,
        conditions_or_smoking=conditions_or_smoking,
        condition_needs=texts["condition_needs"],
        requires=_requires_from_json(key, data.get("requires")),
        info_needed=texts["info_needed"],
        interval_by_condition=interval_by_condition,
        counts_from_age_by_code=_code_map(
            key, "counts_from_age_by_code", data.get("counts_from_age_by_code"), known_codes_all, 0
        ),
        recommended_since=_recommended_since_from_json(key, data.get("recommended_since")),
        series=series,
        adequate_before_stop=_adequacy_from_json(
            key, data.get("adequate_before_stop"), known_codes_all
        ),
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
    conditions: Mapping[str, ConditionFact]
    smoking: RecordEntry | None
    smoking_history: tuple[RecordEntry, ...]
    smoking_since: date | None


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
    facts, age = context.facts, context.age
    notes: list[str] = []
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
    starts: date | None = None
    if rule.conditions_any:
        matched = [c for c in rule.conditions_any if c.code in context.conditions]
        if matched:
            onsets = [context.conditions[c.code].onset for c in matched]
            known = [d for d in onsets if d is not None]
            # Unknown onset: the condition may be old, so it does not hold the clock back.
            starts = None if len(known) < len(onsets) else min(known)
            first = min(matched, key=lambda c: context.conditions[c.code].onset or date.min)
            words = f'Your record lists "{_condition_words(context, first)}"'
            onset = context.conditions[first.code].onset
            notes.append(f"{words} (since {onset.isoformat()})." if onset else f"{words}.")
        elif rule.conditions_or_smoking and context.smoking_since is not None:
            starts = context.smoking_since
            notes.append(
                "Your record shows you smoke (latest smoking status "
                f"{_smoking_words(context.smoking)}; a smoker since at least "
                f"{starts.isoformat()})."
            )
        elif rule.condition_needs:
            return _Population(
                f"This applies to people with {rule.condition_note}. Your record does not say "
                f"whether that is you: your care team needs to know {rule.condition_needs}.",
                needs=(rule.condition_needs,),
            )
        else:
            return _Population(
                f"This applies to people with {rule.condition_note}; your record does not list "
                "one of these."
            )
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
    return _Population(starts=starts, notes=tuple(notes))


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


def _preface(rule: Rule, context: _Context, population: _Population) -> str:
    words = [
        f"You are {_age_words(context.facts.birth_date, context.on, context.age)}; "
        f"{rule.recommendation}."
    ]
    words.extend(population.notes)
    return " ".join(words)


def _since_words(rule: Rule, since: date, eligible: date) -> str:
    threshold = _threshold_words(rule)
    if since == eligible and threshold:
        old = " old" if rule.min_age is None else ""
        return f"{since.isoformat()}, when you turned {threshold}{old}"
    return since.isoformat()


@dataclass(frozen=True)
class _Clock:
    starts: date  # the first day the patient needed it (age, recommendation date, onset)
    by_age: date  # the age threshold alone, for the words "when you turned 50"


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


def _never_done(rule: Rule, preface: str, clock: _Clock) -> RuleResult:
    return RuleResult(
        rule=rule,
        status=Status.DUE,
        reason=(
            f"{preface} We found no {rule.item} in your record. "
            f"It has been due since {_since_words(rule, clock.starts, clock.by_age)}."
        ),
        due_since=clock.starts,
    )


def _condition_interval(rule: Rule, context: _Context) -> tuple[int, str] | None:
    """A shorter interval for a condition the patient has (yearly with prediabetes)."""
    found = [
        (days, context.conditions[code].display or code)
        for code, days in rule.interval_by_condition
        if code in context.conditions
    ]
    return min(found) if found else None


def _every(days: int) -> str:
    years = round(days / 365.25)
    return "every year" if years <= 1 else f"every {years} years"


def _interval(
    rule: Rule, context: _Context, entries: list[RecordEntry], preface: str, clock: _Clock
) -> RuleResult:
    by_condition = _condition_interval(rule, context)
    if by_condition is not None:
        days, words = by_condition
        preface = f'{preface} Your record lists "{words}", so this is checked {_every(days)}.'
    if not entries:
        return _never_done(rule, preface, clock)
    last_done = entries[-1].date

    def cover_end(entry: RecordEntry) -> date:
        days = rule.interval_for(entry.code)
        if by_condition is not None:
            days = by_condition[0] if days is None else min(days, by_condition[0])
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
    if lapsed < clock.starts:
        # Covered only before the rule applied to them: they never fell behind.
        return RuleResult(
            rule=rule,
            status=Status.DUE,
            reason=(
                f"{preface} {done}, but that only counted until {until.isoformat()}. "
                f"A new one has been due since {_since_words(rule, clock.starts, clock.by_age)}."
            ),
            due_since=clock.starts,
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
    rule: Rule, context: _Context, entries: list[RecordEntry], preface: str, clock: _Clock
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
    since = max(start, clock.starts)
    since_words = (
        _since_words(rule, since, clock.by_age)
        if since == clock.starts
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
    rule: Rule, context: _Context, entries: list[RecordEntry], preface: str, clock: _Clock
) -> RuleResult:
    doses: list[RecordEntry] = []
    for entry in entries:  # one dose per day, however many codings the record carries
        if not doses or doses[-1].date != entry.date:
            doses.append(entry)
    if not doses:
        return _never_done(rule, preface, clock)
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
            due_since=clock.starts,
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


# ---- vaccine courses as products


def _dose_fits(dose: SeriesDose, entry: RecordEntry, birth: date) -> bool:
    if entry.code not in dose.codes:
        return False
    if dose.min_age is not None and entry.date < birthday(birth, dose.min_age):
        return False
    return dose.max_age is None or entry.date < birthday(birth, dose.max_age + 1)


def _earliest_next(dose: SeriesDose, given: list[RecordEntry], birth: date) -> date:
    """The first day ``dose`` may be given after the doses ``given`` (by interval and age)."""
    earliest = given[-1].date + timedelta(days=dose.min_days_after_previous or 1)
    if dose.min_days_after_first is not None:
        earliest = max(earliest, given[0].date + timedelta(days=dose.min_days_after_first))
    if dose.min_age is not None:
        earliest = max(earliest, birthday(birth, dose.min_age))
    return earliest


def _fill(option: SeriesOption, entries: list[RecordEntry], birth: date) -> list[RecordEntry]:
    """The doses that fill the option's steps in order, each the earliest that fits.

    Taking the earliest fitting dose never blocks a later step (intervals only count forward),
    so if any choice of doses completes the option, this one does.
    """
    given: list[RecordEntry] = []
    for dose in option.doses:
        earliest = _earliest_next(dose, given, birth) if given else date.min
        pick = next((e for e in entries if e.date >= earliest and _dose_fits(dose, e, birth)), None)
        if pick is None:
            break
        given.append(pick)
    return given


def _dose_list(doses: Sequence[RecordEntry]) -> str:
    return ", ".join(f"{d.display} on {d.date.isoformat()}" for d in doses)


def _product_series(
    rule: Rule, context: _Context, entries: list[RecordEntry], preface: str, clock: _Clock
) -> RuleResult:
    birth = context.facts.birth_date
    accepted = {code for option in rule.series for dose in option.doses for code in dose.codes}
    ignored = [e for e in entries if e.code not in accepted]
    counted = [e for e in entries if e.code in accepted]
    not_counting = ""
    if ignored:
        names = {c.code: c.display for c in rule.satisfied_by}
        by_product: dict[str, list[str]] = {}
        for entry in ignored:
            name = names.get(entry.code) or entry.display
            by_product.setdefault(name, []).append(entry.date.isoformat())
        shown = "; ".join(f"{name} on {' and '.join(days)}" for name, days in by_product.items())
        not_counting = f" Your record shows {shown}, which does not count towards this course."
    fills = [(_fill(option, counted, birth), option) for option in rule.series]
    complete = [(given, option) for given, option in fills if len(given) == len(option.doses)]
    if complete:
        # The course that was completed first is the one that counts.
        given, option = min(complete, key=lambda pair: pair[0][-1].date)
        if len(given) == 1:
            had = f"You had the {rule.item} ({given[0].display}) on {given[0].date.isoformat()}"
        else:
            count = "both" if len(given) == 2 else f"all {len(given)}"
            had = (
                f"You have had {count} doses of the {rule.item} ({option.name}: "
                f"{_dose_list(given)}), completed on {given[-1].date.isoformat()}"
            )
        return RuleResult(
            rule=rule,
            status=Status.UP_TO_DATE,
            reason=f"{preface} {had}, so you are up to date.",
            last_done=entries[-1].date,
            evidence=tuple(given),
        )
    # The option that got furthest says what comes next (the first listed on a tie).
    given, option = max(fills, key=lambda pair: len(pair[0]))
    if not given:
        if not entries:
            return _never_done(rule, preface, clock)
        return RuleResult(
            rule=rule,
            status=Status.DUE,
            reason=(
                f"{preface}{not_counting} We found no dose that counts. "
                f"It has been due since {_since_words(rule, clock.starts, clock.by_age)}."
            ),
            due_since=clock.starts,
            last_done=entries[-1].date,
        )
    step = option.doses[len(given)]
    next_from = max(clock.starts, _earliest_next(step, given, birth))
    so_far = (
        f"{preface}{not_counting} You have had {len(given)} of {len(option.doses)} doses of "
        f"the {rule.item} ({option.name}: {_dose_list(given)})."
    )
    if next_from > context.on:
        until = next_from - timedelta(days=1)
        return RuleResult(
            rule=rule,
            status=Status.UP_TO_DATE,
            reason=(
                f"{so_far} The next dose cannot be given before {next_from.isoformat()}, so "
                f"nothing is due until then."
            ),
            up_to_date_until=until,
            last_done=entries[-1].date,
            evidence=tuple(given),
        )
    return RuleResult(
        rule=rule,
        status=Status.DUE,
        reason=f"{so_far} The next dose has been due since {next_from.isoformat()}.",
        due_since=next_from,
        last_done=entries[-1].date,
        evidence=tuple(given),
    )

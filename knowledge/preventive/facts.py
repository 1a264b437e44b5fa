"""What the preventive-care engine knows of a patient (record entries, conditions, smoking status),
the statuses it gives, and the date arithmetic of ages and seasons.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path

DEFAULT_RULES_PATH = Path(__file__).resolve().parent.parent / "preventive_rules.json"


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

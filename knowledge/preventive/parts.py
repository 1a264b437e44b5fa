"""The parts a preventive-care rule is made of: codes, the published source, vaccine-course doses
and options, and observations a population depends on.
"""

from __future__ import annotations

from dataclasses import dataclass


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

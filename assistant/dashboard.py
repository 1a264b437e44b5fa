"""Arithmetic of the nurse-lead dashboard: plain data in, plain data out (no ORM, no Django).

The view collects rows through assistant/inbox/selectors.py and renders what these return as
CSS bar charts, so every figure here can be tested with literals.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo

LEVELS = ("emergency", "urgent", "routine")


def day_range(*, end: date, days: int) -> list[date]:
    """The `days` calendar days ending with `end`, oldest first."""
    return [end - timedelta(days=offset) for offset in range(days - 1, -1, -1)]


def _local_day(moment: datetime, tz: tzinfo) -> date:
    return moment.astimezone(tz).date()


@dataclass(frozen=True)
class DayBar:
    day: date
    counts: dict[str, int]  # per series (e.g. per escalation level)
    total: int
    height_pct: float  # of the tallest day in the chart, for the bar's height
    segments: list[tuple[str, int, float]] = field(default_factory=list)  # (series, n, % of bar)


def per_day(
    items: Iterable[tuple[datetime, str]],
    *,
    days: Sequence[date],
    tz: tzinfo,
    series: Sequence[str] = ("all",),
) -> list[DayBar]:
    """Count (moment, series) items per local day and series; days outside `days` are ignored
    and so are unknown series (a chart must not silently mix in something it doesn't name)."""
    counts = {d: dict.fromkeys(series, 0) for d in days}
    for moment, name in items:
        bucket = counts.get(_local_day(moment, tz))
        if bucket is not None and name in bucket:
            bucket[name] += 1
    tallest = max((sum(c.values()) for c in counts.values()), default=0)
    bars = []
    for d in days:
        total = sum(counts[d].values())
        segments = [
            (name, n, (100.0 * n / total) if total else 0.0) for name, n in counts[d].items() if n
        ]
        bars.append(
            DayBar(
                day=d,
                counts=counts[d],
                total=total,
                height_pct=(100.0 * total / tallest) if tallest else 0.0,
                segments=segments,
            )
        )
    return bars


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0-100) with linear interpolation between ranks, as numpy's default;
    None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    if len(ordered) == 1:
        return float(ordered[0])
    rank = (len(ordered) - 1) * q / 100.0
    low, high = math.floor(rank), math.ceil(rank)
    if low == high:
        return float(ordered[low])
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class ResponseStats:
    answered: int  # escalations with a first nurse response
    waiting: int  # still without one
    p50_minutes: float | None
    p90_minutes: float | None
    within_target: int  # answered no later than their target


def response_stats(rows: Iterable[tuple[datetime, datetime | None, datetime]]) -> ResponseStats:
    """From (created_at, first_response_at or None, due_at) rows: time to first nurse response."""
    minutes: list[float] = []
    waiting = within = 0
    for created, first, due in rows:
        if first is None:
            waiting += 1
            continue
        minutes.append(max(0.0, (first - created).total_seconds() / 60))
        if first <= due:
            within += 1
    return ResponseStats(
        answered=len(minutes),
        waiting=waiting,
        p50_minutes=percentile(minutes, 50),
        p90_minutes=percentile(minutes, 90),
        within_target=within,
    )


@dataclass(frozen=True)
class FeedbackStats:
    helpful: int
    not_helpful: int

    @property
    def total(self) -> int:
        return self.helpful + self.not_helpful

    @property
    def helpful_pct(self) -> float | None:
        return 100.0 * self.helpful / self.total if self.total else None


def feedback_stats(votes: Iterable[bool]) -> FeedbackStats:
    votes = list(votes)
    helpful = sum(1 for v in votes if v)
    return FeedbackStats(helpful=helpful, not_helpful=len(votes) - helpful)


@dataclass(frozen=True)
class DraftStats:
    used: int
    not_used: int
    mean_similarity: float | None  # 1.0 = drafts sent unchanged

    @property
    def used_pct(self) -> float | None:
        total = self.used + self.not_used
        return 100.0 * self.used / total if total else None


def draft_stats(rows: Iterable[tuple[bool, float | None]]) -> DraftStats:
    used = not_used = 0
    similarities: list[float] = []
    for was_used, similarity in rows:
        if was_used:
            used += 1
            if similarity is not None:
                similarities.append(similarity)
        else:
            not_used += 1
    mean = sum(similarities) / len(similarities) if similarities else None
    return DraftStats(used=used, not_used=not_used, mean_similarity=mean)


def minutes_label(value: float | None) -> str:
    """A duration for a figure on the dashboard: "4 min", "2.5 h", "—"."""
    if value is None:
        return "—"
    if value < 1:
        return f"{round(value * 60)} s"
    if value < 90:
        return f"{value:.0f} min"
    hours = value / 60
    if hours < 48:
        return f"{hours:.0f} h" if hours == int(hours) else f"{hours:.1f} h"
    return f"{hours / 24:.1f} days".replace(".0 days", " days")

"""When a rule that applies is due: repeated tests and their intervals, seasonal vaccines, dose
series and vaccine courses as products.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from knowledge.preventive.facts import RecordEntry, Status, _season_bounds, birthday
from knowledge.preventive.parts import SeriesDose, SeriesOption
from knowledge.preventive.population import _Context, _threshold_words
from knowledge.preventive.rules import Rule, RuleResult


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

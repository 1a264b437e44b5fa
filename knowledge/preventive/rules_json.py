"""A rule's JSON form: strict reading (a misspelt field silently ignored would change clinical
advice) and writing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from knowledge.preventive.facts import RULE_SYSTEMS, Kind, RuleError
from knowledge.preventive.parts import Code, Requirement, SeriesDose, SeriesOption, Source

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


if TYPE_CHECKING:
    from knowledge.preventive.rules import Rule


def rule_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    """The keyword arguments of a `Rule` from its JSON form, rejecting anything malformed or
    unknown. Strict on purpose: a misspelt field silently ignored would change clinical advice."""
    key, identity = _identity(data)
    fields: dict[str, Any] = {**identity, **_ages(key, data)}
    satisfied_by, interval_days, intervals = _satisfaction(key, data)
    schedule = _schedule(key, data, interval_days, intervals)
    known = {c.code for c in satisfied_by}
    series = _series_from_json(key, data.get("series"), known)
    if series and (schedule["doses_required"] > 1 or interval_days is not None or intervals):
        raise RuleError(f"{key}: a product series takes no doses_required, interval or season")
    if series and schedule["season_start"]:
        raise RuleError(f"{key}: a product series takes no doses_required, interval or season")
    interval_by_condition = _code_map(
        key, "interval_by_condition", data.get("interval_by_condition"), set(), 1
    )
    if interval_by_condition and (
        series or schedule["season_start"] or schedule["doses_required"] > 1
    ):
        raise RuleError(f"{key}: interval_by_condition needs an interval rule")
    fields.update(schedule)
    fields.update(_population_fields(key, data))
    fields.update(
        satisfied_by=tuple(satisfied_by),
        interval_days=interval_days,
        interval_by_code=tuple(intervals),
        interval_by_condition=interval_by_condition,
        counts_from_age_by_code=_code_map(
            key, "counts_from_age_by_code", data.get("counts_from_age_by_code"), known, 0
        ),
        recommended_since=_recommended_since_from_json(key, data.get("recommended_since")),
        series=series,
        adequate_before_stop=_adequacy_from_json(key, data.get("adequate_before_stop"), known),
    )
    return fields


def _identity(data: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """The rule's key, kind, source and patient-facing texts."""
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
    return key, {
        "key": key.strip(),
        "title": data["title"].strip(),
        "kind": kind,
        "source": Source(
            name=str(source["name"]),
            grade=str(source["grade"]),
            year=source["year"],
            url=str(source["url"]),
        ),
        "recommendation": data["recommendation"].strip(),
        "item": data["item"].strip(),
        "explanation": data["explanation"].strip(),
        "topic_query": data["topic_query"].strip(),
    }


def _ages(key: str, data: Mapping[str, Any]) -> dict[str, Any]:
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
    return {
        "min_age": min_age,
        "min_age_months": min_age_months,
        "max_age": max_age,
        "sex": sex,
        "min_age_at_entry": _optional_int(key, data, "min_age_at_entry", 0),
    }


def _satisfaction(
    key: str, data: Mapping[str, Any]
) -> tuple[list[Code], int | None, list[tuple[str, int]]]:
    """The codes that count, the interval, and the codes with an interval of their own."""
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
    return satisfied_by, interval_days, intervals


def _schedule(
    key: str, data: Mapping[str, Any], interval_days: int | None, intervals: list
) -> dict[str, Any]:
    """Season, dose count and reduced series; a series or a season takes no interval."""
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
    return {
        "season_start": season_start,
        "doses_required": doses_required,
        "reduced_series": reduced_series,
    }


def _smoking_fields(key: str, data: Mapping[str, Any]) -> tuple[tuple[Code, ...], tuple[Code, ...]]:
    """(latest smoking status any of, ever smoked any of)."""
    smoking = data.get("smoking")
    if smoking is None:
        return (), ()
    if not isinstance(smoking, Mapping) or set(smoking) not in (
        {"latest_status_any"},
        {"ever_status_any"},
    ):
        raise RuleError(f"{key}: smoking needs exactly latest_status_any or ever_status_any")
    name = next(iter(smoking))
    codes = _codes_from_json(key, f"smoking.{name}", "snomed", smoking[name])
    if not codes:
        raise RuleError(f"{key}: smoking.{name} lists no codes")
    return (codes, ()) if name == "latest_status_any" else ((), codes)


def _population_fields(key: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """Who the rule is for beyond age and sex: conditions, procedures, smoking, observations."""
    smoking_codes, ever_codes = _smoking_fields(key, data)
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
    return {
        "conditions_any": conditions_any,
        "conditions_none": _codes_from_json(
            key, "conditions_none", "snomed", data.get("conditions_none") or []
        ),
        "condition_note": condition_note.strip(),
        "smoking_status_any": smoking_codes,
        "procedures_none": _codes_from_json(
            key, "procedures_none", "snomed", data.get("procedures_none") or []
        ),
        "smoking_ever_any": ever_codes,
        "conditions_or_smoking": conditions_or_smoking,
        "condition_needs": texts["condition_needs"],
        "requires": _requires_from_json(key, data.get("requires")),
        "info_needed": texts["info_needed"],
    }


def rule_to_dict(rule: Rule) -> dict[str, Any]:
    """The JSON form of `rule`; `Rule.from_dict(rule_to_dict(rule)) == rule`."""
    data: dict[str, Any] = {
        "key": rule.key,
        "title": rule.title,
        "kind": rule.kind.value,
        "source": {
            "name": rule.source.name,
            "grade": rule.source.grade,
            "year": rule.source.year,
            "url": rule.source.url,
        },
        "recommendation": rule.recommendation,
        "item": rule.item,
        "explanation": rule.explanation,
        "topic_query": rule.topic_query,
        "min_age": rule.min_age,
        "min_age_months": rule.min_age_months,
        "max_age": rule.max_age,
        "sex": rule.sex,
        "conditions_any": [_code_to_json(c) for c in rule.conditions_any],
        "conditions_none": [_code_to_json(c) for c in rule.conditions_none],
        "condition_note": rule.condition_note,
        "smoking": (
            {"latest_status_any": [_code_to_json(c) for c in rule.smoking_status_any]}
            if rule.smoking_status_any
            else None
        ),
        "satisfied_by": {
            system: [_code_to_json(c) for c in rule.satisfied_by if c.system == system]
            for system in RULE_SYSTEMS
            if any(c.system == system for c in rule.satisfied_by)
        },
        "interval_days": rule.interval_days,
        "interval_by_code": dict(rule.interval_by_code),
        "season_start": rule.season_start,
        "doses_required": rule.doses_required,
        "reduced_series": (
            {
                "started_before_age": rule.reduced_series[0],
                "doses_required": rule.reduced_series[1],
            }
            if rule.reduced_series
            else None
        ),
        "min_age_at_entry": rule.min_age_at_entry,
    }
    data.update(_newer_fields_to_dict(rule))
    return data


def _newer_fields_to_dict(rule: Rule) -> dict[str, Any]:
    """Fields added after the first rule set appear only when used, so rules stored before
    them keep their form."""
    data: dict[str, Any] = {}
    if rule.procedures_none:
        data["procedures_none"] = [_code_to_json(c) for c in rule.procedures_none]
    if rule.smoking_ever_any:
        data["smoking"] = {"ever_status_any": [_code_to_json(c) for c in rule.smoking_ever_any]}
    if rule.conditions_or_smoking:
        data["conditions_or_smoking"] = True
    if rule.condition_needs:
        data["condition_needs"] = rule.condition_needs
    if rule.requires:
        data["requires"] = [_requirement_to_json(r) for r in rule.requires]
    if rule.info_needed:
        data["info_needed"] = rule.info_needed
    if rule.interval_by_condition:
        data["interval_by_condition"] = dict(rule.interval_by_condition)
    if rule.counts_from_age_by_code:
        data["counts_from_age_by_code"] = dict(rule.counts_from_age_by_code)
    if rule.recommended_since:
        data["recommended_since"] = [
            {
                "date": when.isoformat(),
                **({"from_age": low} if low is not None else {}),
                **({"to_age": high} if high is not None else {}),
            }
            for when, low, high in rule.recommended_since
        ]
    if rule.series:
        data["series"] = [_option_to_json(o) for o in rule.series]
    if rule.adequate_before_stop:
        (window, latest), options = rule.adequate_before_stop
        data["adequate_before_stop"] = {
            "window_days": window,
            "latest_within_days": latest,
            "options": [
                {"count": count, **({"codes": list(codes)} if codes else {})}
                for count, codes in options
            ],
        }
    return data

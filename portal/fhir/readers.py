"""Small readers of FHIR values: quantities, dosages and schedules, codings, references, dates and
units, as a patient would read them.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from typing import Any

MRN_TYPE_CODE = "MR"  # v2-0203 identifier type "Medical Record Number"


BP_PANEL_CODES = {"85354-9", "55284-4"}  # LOINC blood pressure panels


SYSTOLIC_CODE = "8480-6"


DIASTOLIC_CODE = "8462-4"


# Synthea appends digits to every generated name ("Dewitt635 Haag279") so that names are unique;
# they are noise to a reader. Only digits glued to the end of a word are dropped, so that a name
# written with a number on its own ("Henry 8") survives.
_SYNTHEA_NAME_DIGITS = re.compile(r"(?<=[^\W\d_])\d+\b")


_UNIT_WORDS = {
    "s": "second",
    "min": "minute",
    "h": "hour",
    "d": "day",
    "wk": "week",
    "mo": "month",
    "a": "year",
}


_UCUM_DISPLAY = {"mm[Hg]": "mmHg", "Cel": "°C", "[degF]": "°F", "kg/m2": "kg/m²"}


def strip_synthea_digits(name: str) -> str:
    """ "Dewitt635" -> "Dewitt", "Dr. Damaris45 Borer986" -> "Dr. Damaris Borer"."""
    return " ".join(_SYNTHEA_NAME_DIGITS.sub("", name).split())


def _official_name(names: list) -> Any:
    for wanted in ("official", "usual", None):
        for name in names:
            if wanted is None or name.use == wanted:
                return name
    return None


def _value(res) -> tuple[float | None, str, str, str]:
    """(quantity, unit, code, text) of an observation or a component."""
    if res.valueQuantity is not None and res.valueQuantity.value is not None:
        q = res.valueQuantity
        raw_unit = q.unit or q.code or ""
        unit = _unit(raw_unit)
        number = float(q.value)
        # A UCUM annotation ("{score}") names what was counted, not a unit: the number says it all.
        shown = "" if raw_unit.startswith(("{", "(")) else unit
        gap = "" if shown.startswith("/") else " "  # "72 /min" reads as a fraction gone wrong
        return number, unit, "", f"{_number(number)}{gap}{shown}".strip()
    if res.valueCodeableConcept is not None:
        _, code, display = _coded(res.valueCodeableConcept)
        return None, "", code, display
    for attr in ("valueString", "valueInteger", "valueBoolean", "valueDateTime"):
        value = getattr(res, attr, None)
        if value is not None:
            return None, "", "", str(value)
    return None, "", "", ""


def _components_text(code: str, components: list) -> str:
    values: dict[str, tuple[float | None, str, str]] = {}
    parts = []
    for comp in components:
        _, c_code, c_display = _coded(comp.code)
        quantity, unit, _, text = _value(comp)
        values[c_code] = (quantity, unit, text)
        if text:
            parts.append(f"{c_display}: {text}")
    systolic, diastolic = values.get(SYSTOLIC_CODE), values.get(DIASTOLIC_CODE)
    if code in BP_PANEL_CODES and systolic and diastolic and systolic[0] is not None:
        unit = systolic[1] or diastolic[1] or "mmHg"
        return f"{_number(systolic[0])}/{_number(diastolic[0])} {unit}"
    return "; ".join(parts)


def _dosage_text(dosages: list) -> str:
    """The first dosage instruction in words: its own text, else built from timing and dose."""
    if not dosages:
        return ""
    dosage = dosages[0]
    text = " ".join((dosage.text or "").split())
    # "Take as needed." already says it: only add the dose and timing to a written instruction.
    schedule = _schedule(dosage, as_needed=not text)
    if text and schedule:
        return f"{text} ({schedule})"
    if text:
        return text
    if schedule:
        return schedule[0].upper() + schedule[1:]
    if dosage.asNeededBoolean:
        return "As needed"
    return ""


def _schedule(dosage, *, as_needed: bool = True) -> str:
    parts = []
    for dose_rate in dosage.doseAndRate or []:
        quantity = dose_rate.doseQuantity
        if quantity is not None and quantity.value is not None:
            amount = _number(float(quantity.value))
            unit = quantity.unit or ("dose" if amount == "1" else "doses")
            parts.append(f"{amount} {unit}")
            break
    repeat = dosage.timing.repeat if dosage.timing else None
    if repeat is not None and repeat.frequency and repeat.period and repeat.periodUnit:
        unit = _UNIT_WORDS.get(repeat.periodUnit, repeat.periodUnit)
        period = float(repeat.period)
        if period == 1:
            times = {1: "once", 2: "twice"}.get(repeat.frequency, f"{repeat.frequency} times")
            parts.append(f"{times} a {unit}")
        elif repeat.frequency == 1:
            parts.append(f"every {_number(period)} {unit}s")
        else:
            parts.append(f"{repeat.frequency} times every {_number(period)} {unit}s")
    if as_needed and dosage.asNeededBoolean:
        parts.append("as needed")
    return ", ".join(parts)


def _coded(concept) -> tuple[str, str, str]:
    """(system, code, display) of a CodeableConcept: its first coding, its text as display."""
    if concept is None:
        return "", "", ""
    coding = (concept.coding or [None])[0]
    system = (coding.system or "") if coding else ""
    code = (coding.code or "") if coding else ""
    display = concept.text or (coding.display if coding else "") or code
    return system, code, display.strip()


def _text(concept) -> str:
    return _coded(concept)[2]


def _status_code(concept) -> str:
    if concept is None:
        return ""
    for coding in concept.coding or []:
        if coding.code:
            return coding.code
    return (concept.text or "").lower()


_PERSON_TYPES = {"Practitioner", "PractitionerRole", "Patient", "RelatedPerson"}


def _reference_display(reference, by_ref, *, person: bool = False) -> str:
    """A reference's own display, else the name of the resource it points to in the bundle.

    Synthea's digits are dropped from people's names only: in a condition ("Vitamin B12
    deficiency") or a place ("PCP13848") the digits mean something.
    """
    if reference is None:
        return ""
    target = by_ref.get(reference.reference or "")
    kind = target.get_resource_type() if target is not None else ""
    is_person = person or kind in _PERSON_TYPES
    if reference.display:
        return strip_synthea_digits(reference.display) if is_person else reference.display
    if target is None:
        return ""
    if is_person:
        name = _official_name(getattr(target, "name", None) or [])
        if name is None:
            return ""
        words = [*(name.prefix or []), *(name.given or []), name.family or ""]
        return strip_synthea_digits(" ".join(w for w in words if w))
    if kind == "Organization":
        return target.name or ""
    for attr in ("code", "vaccineCode", "medicationCodeableConcept"):
        concept = getattr(target, attr, None)
        if concept is not None:
            return _text(concept)
    return ""


def _when(value) -> datetime | None:
    """A FHIR date/dateTime/instant as an aware datetime (partial dates: their first day, UTC)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime.combine(value, time.min, tzinfo=UTC)
    if isinstance(value, str):  # "2016" or "2016-03": a partial date
        parts = [int(p) for p in value.split("-")[:3] if p.isdigit()]
        if not parts:
            return None
        year, month, day = [*parts, 1, 1][:3]
        return datetime(year, month, day, tzinfo=UTC)
    return None


def _unit(unit: str) -> str:
    return _UCUM_DISPLAY.get(unit, unit.strip("{}()"))


def _number(value: float) -> str:
    """72.0 -> "72", 27.456 -> "27.46": what a person would write."""
    if value == int(value):
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _unique(items) -> list[str]:
    seen: dict[str, None] = {}
    for item in items:
        seen.setdefault(item, None)
    return list(seen)

"""Read a FHIR R4 transaction bundle (as Synthea writes them) into plain dataclasses.

Pure: no ORM here. portal/services.py turns a `PatientBundle` into rows. The bundle is validated
with fhir.resources' R4B models (the package's default models are R5, which rejects Synthea's R4
output); anything that does not validate raises `BundleError` with a reason a person can act on.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError

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


class BundleError(ValueError):
    """The file is not a usable FHIR bundle; the message says why. `resource` names the entry
    at fault ("Condition 977961cb-…") when one is."""

    def __init__(self, message: str, *, resource: str = "") -> None:
        super().__init__(message)
        self.resource = resource


@dataclass(frozen=True)
class PatientData:
    fhir_id: str
    given_name: str
    family_name: str
    prefix: str = ""
    mrn: str = ""
    gender: str = ""
    birth_date: date | None = None
    deceased_at: datetime | None = None
    active: bool = True
    phone: str = ""
    city: str = ""
    state: str = ""
    language: str = ""


@dataclass(frozen=True)
class ConditionData:
    fhir_id: str
    system: str
    code: str
    display: str
    clinical_status: str = ""
    verification_status: str = ""
    onset: datetime | None = None
    abated: datetime | None = None


@dataclass(frozen=True)
class MedicationData:
    fhir_id: str
    system: str
    code: str
    display: str
    status: str = ""
    authored_on: datetime | None = None
    dosage_text: str = ""
    reason: str = ""


@dataclass(frozen=True)
class CarePlanActivityData:
    system: str
    code: str
    display: str
    status: str = ""
    location: str = ""


@dataclass(frozen=True)
class CarePlanData:
    fhir_id: str
    system: str
    code: str
    display: str
    status: str = ""
    period_start: datetime | None = None
    period_end: datetime | None = None
    addresses: str = ""  # display names of the conditions the plan is for, "; "-separated
    activities: tuple[CarePlanActivityData, ...] = ()


@dataclass(frozen=True)
class AllergyData:
    fhir_id: str
    system: str
    code: str
    display: str
    clinical_status: str = ""
    category: str = ""
    criticality: str = ""
    recorded: datetime | None = None
    reactions: str = ""


@dataclass(frozen=True)
class ImmunizationData:
    fhir_id: str
    system: str
    code: str  # CVX
    display: str
    status: str = ""
    occurred: datetime | None = None


@dataclass(frozen=True)
class EncounterData:
    fhir_id: str
    system: str
    code: str
    display: str  # the encounter type, e.g. "Encounter for check up"
    status: str = ""
    encounter_class: str = ""  # AMB, EMER, IMP ...
    start: datetime | None = None
    end: datetime | None = None
    provider: str = ""  # the practitioner
    organization: str = ""  # the service provider
    reason: str = ""


@dataclass(frozen=True)
class ProcedureData:
    fhir_id: str
    system: str
    code: str
    display: str
    status: str = ""
    performed: datetime | None = None
    reason: str = ""


@dataclass(frozen=True)
class ObservationData:
    fhir_id: str
    system: str
    code: str
    display: str
    status: str = ""
    category: str = ""
    effective: datetime | None = None
    value_quantity: float | None = None
    value_unit: str = ""
    value_code: str = ""
    value_text: str = ""


@dataclass
class PatientBundle:
    """Everything of one patient that the portal keeps, read from one bundle."""

    patient: PatientData
    conditions: list[ConditionData] = field(default_factory=list)
    medications: list[MedicationData] = field(default_factory=list)
    care_plans: list[CarePlanData] = field(default_factory=list)
    allergies: list[AllergyData] = field(default_factory=list)
    immunizations: list[ImmunizationData] = field(default_factory=list)
    encounters: list[EncounterData] = field(default_factory=list)
    procedures: list[ProcedureData] = field(default_factory=list)
    observations: list[ObservationData] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)  # resource types not kept

    def counts(self) -> dict[str, int]:
        return {
            "patients": 1,
            "conditions": len(self.conditions),
            "medications": len(self.medications),
            "care_plans": len(self.care_plans),
            "care_plan_activities": sum(len(p.activities) for p in self.care_plans),
            "allergies": len(self.allergies),
            "immunizations": len(self.immunizations),
            "encounters": len(self.encounters),
            "procedures": len(self.procedures),
            "observations": len(self.observations),
        }


# --- public entry points -----------------------------------------------------------------------


def bundle_load(path: Path | str) -> PatientBundle:
    """Read and parse one bundle file. Raises BundleError (with the reason) on any problem."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BundleError(f"cannot read the file: {exc.strerror or exc}") from exc
    return bundle_parse(raw)


def bundle_parse(raw: bytes | str) -> PatientBundle:
    """Validate `raw` as an R4 Bundle and extract the one patient's record from it."""
    if not raw or not raw.strip():
        raise BundleError("the file is empty")
    try:
        bundle = Bundle.model_validate_json(raw)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        resource = _resource_at(raw, tuple(errors[0].get("loc", ()))) if errors else ""
        raise BundleError(describe_validation_error(exc, raw=raw), resource=resource) from exc
    except ValueError as exc:  # e.g. a resourceType the library does not know
        raise BundleError(" ".join(f"not a valid FHIR R4 Bundle: {exc}".split())) from exc
    return _extract(bundle)


def describe_validation_error(exc: ValidationError, *, raw: bytes | str | None = None) -> str:
    """One line that says what is wrong: broken JSON, or which field of which resource."""
    errors = exc.errors(include_url=False)
    if not errors:
        return "not a valid FHIR R4 Bundle"
    first = errors[0]
    loc = tuple(first.get("loc", ()))
    if first.get("type") == "json_invalid" and not loc:
        detail = first.get("ctx", {}).get("error") or first.get("msg", "")
        return f"not valid JSON (truncated or corrupt file?): {detail}"
    where = ".".join(str(part) for part in loc) or "bundle"
    resource = _resource_at(raw, loc)
    if resource:
        where = f"{where} ({resource})"
    msg = first.get("msg", "")
    if first.get("type") == "json_invalid":  # pydantic tried to read a bare string as an object
        msg = f"expected a structure, got {first.get('input')!r}"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return " ".join(f"not a valid FHIR R4 Bundle: {where}: {msg}{more}".split())


def _resource_at(raw: bytes | str | None, loc: tuple) -> str:
    """ "Condition 977961cb-…" for an error located in entry N of the raw bundle, else ""."""
    if raw is None or len(loc) < 2 or loc[0] != "entry" or not isinstance(loc[1], int):
        return ""
    try:
        resource = json.loads(raw)["entry"][loc[1]]["resource"]
        return f"{resource['resourceType']} {resource.get('id', '')}".strip()
    except (ValueError, KeyError, IndexError, TypeError):
        return ""


def strip_synthea_digits(name: str) -> str:
    """ "Dewitt635" -> "Dewitt", "Dr. Damaris45 Borer986" -> "Dr. Damaris Borer"."""
    return " ".join(_SYNTHEA_NAME_DIGITS.sub("", name).split())


# --- extraction ----------------------------------------------------------------------------------


def _extract(bundle: Bundle) -> PatientBundle:
    entries = [e for e in (bundle.entry or []) if e.resource is not None]
    # References inside a transaction bundle point at fullUrl ("urn:uuid:...") or "Type/id".
    by_ref: dict[str, Any] = {}
    for entry in entries:
        res = entry.resource
        if entry.fullUrl:
            by_ref[entry.fullUrl] = res
        if res.id:
            by_ref[f"{res.get_resource_type()}/{res.id}"] = res
            by_ref[f"urn:uuid:{res.id}"] = res

    patients = [e.resource for e in entries if e.resource.get_resource_type() == "Patient"]
    if not patients:
        raise BundleError("the bundle holds no Patient resource")
    if len(patients) > 1:
        raise BundleError(f"the bundle holds {len(patients)} Patient resources; expected one")

    result = PatientBundle(patient=_patient(patients[0]))
    readers = {
        "Condition": (_condition, result.conditions),
        "MedicationRequest": (_medication, result.medications),
        "CarePlan": (_care_plan, result.care_plans),
        "AllergyIntolerance": (_allergy, result.allergies),
        "Immunization": (_immunization, result.immunizations),
        "Encounter": (_encounter, result.encounters),
        "Procedure": (_procedure, result.procedures),
        "Observation": (_observation, result.observations),
    }
    for entry in entries:
        res = entry.resource
        kind = res.get_resource_type()
        if kind == "Patient":
            continue
        reader = readers.get(kind)
        if reader is None or not res.id:
            result.skipped[kind] += 1
            continue
        read, target = reader
        target.append(read(res, by_ref))
    return result


def _patient(res) -> PatientData:
    name = _official_name(res.name or [])
    mrn = ""
    for ident in res.identifier or []:
        codes = {c.code for c in (ident.type.coding or [])} if ident.type else set()
        if MRN_TYPE_CODE in codes and ident.value:
            mrn = ident.value
            break
    phone = next((t.value for t in res.telecom or [] if t.system == "phone" and t.value), "")
    address = (res.address or [None])[0]
    language = ""
    for comm in res.communication or []:
        language = _text(comm.language)
        if language:
            break
    return PatientData(
        fhir_id=res.id,
        given_name=strip_synthea_digits(" ".join(name.given or [])) if name else "",
        family_name=strip_synthea_digits(name.family or "") if name else "",
        prefix=" ".join(name.prefix or []) if name else "",
        mrn=mrn,
        gender=res.gender or "",
        birth_date=res.birthDate if isinstance(res.birthDate, date) else None,
        deceased_at=_when(res.deceasedDateTime),
        active=res.active if res.active is not None else True,
        phone=phone or "",
        city=(address.city or "") if address else "",
        state=(address.state or "") if address else "",
        language=language,
    )


def _official_name(names: list) -> Any:
    for wanted in ("official", "usual", None):
        for name in names:
            if wanted is None or name.use == wanted:
                return name
    return None


def _condition(res, by_ref) -> ConditionData:
    system, code, display = _coded(res.code)
    return ConditionData(
        fhir_id=res.id,
        system=system,
        code=code,
        display=display,
        clinical_status=_status_code(res.clinicalStatus),
        verification_status=_status_code(res.verificationStatus),
        onset=_when(res.onsetDateTime) or _when(res.onsetPeriod.start if res.onsetPeriod else None),
        abated=_when(res.abatementDateTime)
        or _when(res.abatementPeriod.end if res.abatementPeriod else None),
    )


def _medication(res, by_ref) -> MedicationData:
    concept = res.medicationCodeableConcept
    system, code, display = "", "", ""
    if concept is None and res.medicationReference is not None:
        target = by_ref.get(res.medicationReference.reference or "")
        concept = getattr(target, "code", None)
        display = res.medicationReference.display or ""
    if concept is not None:
        system, code, display = _coded(concept)
    reasons = [_text(c) for c in res.reasonCode or []]
    reasons += [_reference_display(r, by_ref) for r in res.reasonReference or []]
    return MedicationData(
        fhir_id=res.id,
        system=system,
        code=code,
        display=display,
        status=res.status or "",
        authored_on=_when(res.authoredOn),
        dosage_text=_dosage_text(res.dosageInstruction or []),
        reason="; ".join(_unique(r for r in reasons if r)),
    )


def _care_plan(res, by_ref) -> CarePlanData:
    # Synthea's CarePlan has no title: the SNOMED category is the plan's name.
    system, code, display = "", "", res.title or ""
    for category in res.category or []:
        s, c, d = _coded(category)
        if c and s.endswith("snomed.info/sct"):
            system, code, display = s, c, display or d
            break
    if not display and res.category:
        system, code, display = _coded(res.category[0])
    activities = []
    for activity in res.activity or []:
        detail = activity.detail
        if detail is None:
            continue
        a_system, a_code, a_display = _coded(detail.code)
        if not a_display and detail.description:
            a_display = detail.description
        activities.append(
            CarePlanActivityData(
                system=a_system,
                code=a_code,
                display=a_display,
                status=detail.status or "",
                location=detail.location.display or "" if detail.location else "",
            )
        )
    addresses = [_reference_display(r, by_ref) for r in res.addresses or []]
    return CarePlanData(
        fhir_id=res.id,
        system=system,
        code=code,
        display=display or "Care plan",
        status=res.status or "",
        period_start=_when(res.period.start) if res.period else None,
        period_end=_when(res.period.end) if res.period else None,
        addresses="; ".join(_unique(a for a in addresses if a)),
        activities=tuple(activities),
    )


def _allergy(res, by_ref) -> AllergyData:
    system, code, display = _coded(res.code)
    reactions = []
    for reaction in res.reaction or []:
        names = [_text(m) for m in reaction.manifestation or []]
        label = ", ".join(n for n in names if n)
        if label and reaction.severity:
            label = f"{label} ({reaction.severity})"
        if label:
            reactions.append(label)
    return AllergyData(
        fhir_id=res.id,
        system=system,
        code=code,
        display=display,
        clinical_status=_status_code(res.clinicalStatus),
        category=", ".join(res.category or []),
        criticality=res.criticality or "",
        recorded=_when(res.recordedDate) or _when(res.onsetDateTime),
        reactions="; ".join(reactions),
    )


def _immunization(res, by_ref) -> ImmunizationData:
    system, code, display = _coded(res.vaccineCode)
    return ImmunizationData(
        fhir_id=res.id,
        system=system,
        code=code,
        display=display,
        status=res.status or "",
        occurred=_when(res.occurrenceDateTime),
    )


def _encounter(res, by_ref) -> EncounterData:
    system, code, display = _coded(res.type[0]) if res.type else ("", "", "")
    practitioner = ""
    for participant in res.participant or []:
        if participant.individual is not None:
            practitioner = _reference_display(participant.individual, by_ref, person=True)
            if practitioner:
                break
    organization = _reference_display(res.serviceProvider, by_ref) if res.serviceProvider else ""
    reasons = [_text(c) for c in res.reasonCode or []]
    reasons += [_reference_display(r, by_ref) for r in res.reasonReference or []]
    encounter_class = ""
    if res.class_fhir is not None:
        encounter_class = res.class_fhir.code or res.class_fhir.display or ""
    return EncounterData(
        fhir_id=res.id,
        system=system,
        code=code,
        display=display or "Visit",
        status=res.status or "",
        encounter_class=encounter_class,
        start=_when(res.period.start) if res.period else None,
        end=_when(res.period.end) if res.period else None,
        provider=practitioner,
        organization=organization,
        reason="; ".join(_unique(r for r in reasons if r)),
    )


def _procedure(res, by_ref) -> ProcedureData:
    system, code, display = _coded(res.code)
    performed = _when(res.performedDateTime)
    if performed is None and res.performedPeriod is not None:
        performed = _when(res.performedPeriod.start)
    reasons = [_text(c) for c in res.reasonCode or []]
    reasons += [_reference_display(r, by_ref) for r in res.reasonReference or []]
    return ProcedureData(
        fhir_id=res.id,
        system=system,
        code=code,
        display=display,
        status=res.status or "",
        performed=performed,
        reason="; ".join(_unique(r for r in reasons if r)),
    )


def _observation(res, by_ref) -> ObservationData:
    system, code, display = _coded(res.code)
    category = ""
    for cat in res.category or []:
        for coding in cat.coding or []:
            if coding.code:
                category = coding.code
                break
        if category:
            break
    effective = _when(res.effectiveDateTime) or _when(res.effectiveInstant)
    if effective is None and res.effectivePeriod is not None:
        effective = _when(res.effectivePeriod.start)
    value_quantity, value_unit, value_code, value_text = _value(res)
    if res.component and not value_text:
        value_text = _components_text(code, res.component)
    return ObservationData(
        fhir_id=res.id,
        system=system,
        code=code,
        display=display,
        status=res.status or "",
        category=category,
        effective=effective,
        value_quantity=value_quantity,
        value_unit=value_unit,
        value_code=value_code,
        value_text=value_text,
    )


# --- small readers ---------------------------------------------------------------------------


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

"""From a validated FHIR R4B Bundle to the plain dataclasses, one reader per resource type."""

from __future__ import annotations

from datetime import date
from typing import Any

from fhir.resources.R4B.bundle import Bundle

from portal.fhir.data import (
    AllergyData,
    BundleError,
    CarePlanActivityData,
    CarePlanData,
    ConditionData,
    EncounterData,
    ImmunizationData,
    MedicationData,
    ObservationData,
    PatientBundle,
    PatientData,
    ProcedureData,
)
from portal.fhir.readers import (
    MRN_TYPE_CODE,
    _coded,
    _components_text,
    _dosage_text,
    _official_name,
    _reference_display,
    _status_code,
    _text,
    _unique,
    _value,
    _when,
    strip_synthea_digits,
)


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

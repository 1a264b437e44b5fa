"""A patient's FHIR bundle as plain dataclasses: what the portal stores of it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime


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

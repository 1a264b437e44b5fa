"""Read a FHIR R4 transaction bundle (as Synthea writes them) into plain dataclasses.

Pure: no ORM here (`bundles`: the entry points; `extract`: one reader per resource type;
`readers`: FHIR values as a patient reads them; `data`: the dataclasses). portal/services.py
turns a `PatientBundle` into rows. The bundle is validated with fhir.resources' R4B models (the
package's default models are R5, which rejects Synthea's R4 output); anything that does not
validate raises `BundleError` with a reason a person can act on.
"""

from portal.fhir.bundles import bundle_load, bundle_parse, describe_validation_error
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
from portal.fhir.readers import strip_synthea_digits

__all__ = [
    "AllergyData",
    "BundleError",
    "CarePlanActivityData",
    "CarePlanData",
    "ConditionData",
    "EncounterData",
    "ImmunizationData",
    "MedicationData",
    "ObservationData",
    "PatientBundle",
    "PatientData",
    "ProcedureData",
    "bundle_load",
    "bundle_parse",
    "describe_validation_error",
    "strip_synthea_digits",
]

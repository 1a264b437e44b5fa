"""The patient's record as plain data for the answer pipeline (which never touches the ORM).

Only what personalises an answer goes in: age, sex and the active parts of the record. The name
stays out on purpose: the pipeline (and an optional external LLM) has no need to know who this is;
the identifying strings are passed only as `private_terms`, so they can be scrubbed from anything
sent to an external model.
"""

from __future__ import annotations

import logging
from typing import Any

from django.utils import timezone

from portal.models import Patient

from .answer.types import PatientContext
from .preventive.services import preventive_results

log = logging.getLogger(__name__)

ACTIVE_CONDITION = {"active", "recurrence", "relapse"}
INACTIVE_ALLERGY = {"inactive", "resolved"}


def _unique(names) -> list[str]:
    seen: dict[str, None] = {}
    for name in names:
        name = name.strip()
        if name and name.lower() not in {k.lower() for k in seen}:
            seen[name] = None
    return list(seen)


def preventive_for(patient: Patient) -> list[Any] | None:
    """The patient's preventive-care results (None when they cannot be worked out).

    A failure there must never stop an answer, so it is logged and treated as "unknown".
    """
    try:
        return list(preventive_results(patient))
    except Exception:
        log.exception("preventive results failed for patient %s", patient.pk)
        return None


def patient_context(patient: Patient) -> PatientContext:
    today = timezone.localdate()
    conditions = _unique(
        c.plain_name
        for c in patient.conditions.filter(clinical_status__in=ACTIVE_CONDITION).order_by("-onset")
    )
    medications = _unique(
        m.display for m in patient.medications.filter(status="active").order_by("-authored_on")
    )
    care_plans = [
        (plan.plain_name, _unique(a.plain_name for a in plan.activities.all()))
        for plan in patient.care_plans.filter(status="active").prefetch_related("activities")
    ]
    allergies = _unique(
        a.display for a in patient.allergies.exclude(clinical_status__in=INACTIVE_ALLERGY)
    )
    return PatientContext(
        age=patient.age_on(today),
        sex=patient.gender or "",
        conditions=conditions,
        medications=medications,
        care_plans=care_plans,
        allergies=allergies,
        preventive=preventive_for(patient),
        private_terms=private_terms(patient),
    )


def private_terms(patient: Patient) -> list[str]:
    """Strings that identify the patient, kept out of anything sent to an external model."""
    terms = [patient.given_name, patient.family_name, patient.full_name, patient.mrn, patient.phone]
    if patient.birth_date:
        b = patient.birth_date
        terms += [
            b.isoformat(),
            f"{b.month}/{b.day}/{b.year}",
            f"{b.month:02d}/{b.day:02d}/{b.year}",
        ]
    return _unique(t for t in terms if t and len(t.strip()) > 1)

"""The patient's record as plain data for the answer pipeline (which never touches the ORM).

Only what personalises an answer goes in: age, sex and the active parts of the record. The name
stays out on purpose: the pipeline (and an optional external LLM) has no need to know who this is;
the identifying strings are passed only as `private_terms`, so they can be scrubbed from anything
sent to an external model.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from knowledge.preventive import evaluate
from knowledge.selectors import approved_rules
from portal.models import Patient, strip_semantic_tag

from .answer.types import PatientContext
from .preventive.services import bundle_facts, preventive_results

if TYPE_CHECKING:
    from portal.fhir import PatientBundle

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
        results = preventive_results(patient)  # None: no record to work from (no birth date...)
        return None if results is None else list(results)
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


def patient_context_from_bundle(bundle: PatientBundle) -> PatientContext:
    """The same context read from a parsed FHIR bundle that is not saved (the API's answers):
    the same active conditions, medications, care plans and allergies, and preventive care
    under the approved rules."""

    today = timezone.localdate()
    data = bundle.patient
    active = [c for c in bundle.conditions if c.clinical_status in ACTIVE_CONDITION]
    active.sort(key=lambda c: c.onset.timestamp() if c.onset else 0.0, reverse=True)
    medications = [m for m in bundle.medications if m.status == "active"]
    medications.sort(
        key=lambda m: m.authored_on.timestamp() if m.authored_on else 0.0, reverse=True
    )
    preventive = None
    if data.deceased_at is None and data.active and data.birth_date is not None:
        try:
            preventive = evaluate(
                facts=bundle_facts(bundle, on=today), rules=approved_rules(), on=today
            )
        except Exception:
            log.exception("preventive results failed for a bundle in a request")
    birth = data.birth_date
    age = None
    if birth:
        age = today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
    full_name = " ".join(p for p in (data.given_name, data.family_name) if p)
    terms = [data.given_name, data.family_name, full_name, data.mrn, data.phone]
    if birth:
        terms.append(birth.isoformat())
    return PatientContext(
        age=age,
        sex=data.gender or "",
        conditions=_unique(strip_semantic_tag(c.display) for c in active),
        medications=_unique(m.display for m in medications),
        care_plans=[
            (
                strip_semantic_tag(plan.display),
                _unique(strip_semantic_tag(a.display) for a in plan.activities),
            )
            for plan in bundle.care_plans
            if plan.status == "active"
        ],
        allergies=_unique(
            a.display for a in bundle.allergies if a.clinical_status not in INACTIVE_ALLERGY
        ),
        preventive=preventive,
        private_terms=_unique(t for t in terms if t and len(t.strip()) > 1),
    )

"""The patient's record as plain data for the answer pipeline (which never touches the ORM).

Only what personalises an answer goes in: age, sex and the active parts of the record. The name
stays out on purpose: the pipeline (and an optional external LLM) has no need to know who this is;
the identifying strings are passed only as `private_terms`, so they can be scrubbed from anything
sent to an external model.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from knowledge.preventive import evaluate
from knowledge.selectors import approved_rules, approved_rules_versioned
from portal.models import Patient, strip_semantic_tag

from .answer.types import PatientContext
from .preventive.services import bundle_facts, preventive_results, results_apply

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


def preventive_for(patient: Patient, *, rules: list[Any] | None = None) -> list[Any] | None:
    """The patient's preventive-care results (None when they cannot be worked out).

    A failure there must never stop an answer, so it is logged and treated as "unknown".
    """
    try:
        # None: no record to work from (no birth date...)
        results = preventive_results(patient, rules=rules)
        return None if results is None else list(results)
    except Exception:
        log.exception("preventive results failed for patient %s", patient.pk)
        return None


# Contexts already worked out, by (database, patient, record version and time of the last
# change to the patient row, day, rules in force).
# Reading a full record and evaluating the preventive rules cost 15-25 ms for a patient with a
# real record, on every answer, for a result that changes only with a change to the record (an
# import, or a row saved on its own: portal.signals), an approval of rules or the date; each of
# those is in the key, so an entry is never stale, and a process on another host computes its own.
# Bounded: the least recently used go first.
_CONTEXTS: OrderedDict[tuple, PatientContext] = OrderedDict()
_CONTEXTS_LOCK = threading.Lock()
CONTEXT_CACHE_SIZE = 2048


def patient_context(patient: Patient) -> PatientContext:
    """The parts of `patient`'s record that personalise an answer (see the module docstring)."""
    today = timezone.localdate()
    rules_version, rules = approved_rules_versioned()
    # Read now, not from `patient`: the caller's copy may be older than the last import.
    version = (
        Patient.objects.using(patient._state.db)
        .filter(pk=patient.pk)
        .values_list("record_version", "imported_at")
        .first()
    )
    key = (patient._state.db, patient.pk, version, today, rules_version)
    with _CONTEXTS_LOCK:
        found = _CONTEXTS.get(key)
        if found is not None:
            _CONTEXTS.move_to_end(key)
            return found
    if version != (patient.record_version, patient.imported_at):
        patient = Patient.objects.using(patient._state.db).get(pk=patient.pk)  # an older copy
    context = _patient_context(patient, today=today, rules=rules)
    if context.preventive is None and results_apply(patient):
        return context  # the engine failed (logged): try again next time rather than keep it
    with _CONTEXTS_LOCK:
        _CONTEXTS[key] = context
        while len(_CONTEXTS) > CONTEXT_CACHE_SIZE:
            _CONTEXTS.popitem(last=False)
    return context


def _patient_context(patient: Patient, *, today, rules: list[Any]) -> PatientContext:
    conditions = _unique(
        c.plain_name
        for c in patient.conditions.filter(clinical_status__in=ACTIVE_CONDITION).order_by("-onset")
    )
    medications = _unique(
        m.display for m in patient.medications.filter(status="active").order_by("-authored_on")
    )
    care_plans = [
        (plan.plain_name, tuple(_unique(a.plain_name for a in plan.activities.all())))
        for plan in patient.care_plans.filter(status="active").prefetch_related("activities")
    ]
    allergies = _unique(
        a.display for a in patient.allergies.exclude(clinical_status__in=INACTIVE_ALLERGY)
    )
    preventive = preventive_for(patient, rules=rules)
    # Tuples: one context may serve many answers, and none of them may change it for the next.
    return PatientContext(
        age=patient.age_on(today),
        sex=patient.gender or "",
        conditions=tuple(conditions),
        medications=tuple(medications),
        care_plans=tuple(care_plans),
        allergies=tuple(allergies),
        preventive=None if preventive is None else tuple(preventive),
        private_terms=tuple(private_terms(patient)),
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

"""Reads of people and health records. Access scoping lives here, nowhere else.

`patient_record_summary` returns plain data (dicts, lists, strings, dates) so that the "My health"
page, the assistant and the nurse's thread view all describe a patient the same way.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone

from . import roles
from .models import (
    CarePlan,
    CarePlanActivity,
    Patient,
    strip_semantic_tag,
)

ACTIVE_CONDITION_STATUSES = ("active", "recurrence", "relapse")
_ANONYMOUS_PRACTICE = re.compile(r"PCP\d+")
_KEEP_UPPER = {"LLC", "PC", "LGH", "MD", "PA", "USA", "VA", "CVS", "ER"}
ACTIVE_ALLERGY_STATUSES = ("active", "")  # an allergy recorded without a status still matters


def patient_for_user(user) -> Patient | None:
    """The patient record of a signed-in patient; None for anyone else.

    Patients only ever reach their own record through this: no patient-facing URL takes a
    patient id.
    """
    if not getattr(user, "is_authenticated", False) or not roles.is_patient(user):
        return None
    return Patient.objects.filter(user=user).first()


def patient_record_summary(*, patient: Patient, recent: int = 5) -> dict[str, Any]:
    """What a clinician or the patient needs at a glance, as plain data.

    Keys: patient, conditions (active), past_conditions, medications (active), care_plans (active,
    with their activities), allergies, immunizations (the `recent` latest), encounters (the
    `recent` latest).
    """
    today = timezone.localdate()
    on = patient.deceased_at.date() if patient.deceased_at else today

    conditions = list(patient.conditions.order_by("-onset", "display"))
    active = [c for c in conditions if c.clinical_status in ACTIVE_CONDITION_STATUSES]
    past = [c for c in conditions if c.clinical_status not in ACTIVE_CONDITION_STATUSES]

    plans = (
        patient.care_plans.filter(status="active")
        .order_by("-period_start")
        .prefetch_related(
            Prefetch("activities", queryset=CarePlanActivity.objects.order_by("position"))
        )
    )
    allergies = patient.allergies.filter(clinical_status__in=ACTIVE_ALLERGY_STATUSES)

    return {
        "patient": {
            "id": patient.pk,
            "fhir_id": patient.fhir_id,
            "mrn": patient.mrn,
            "given_name": patient.given_name,
            "family_name": patient.family_name,
            "full_name": patient.full_name,
            "gender": patient.gender,
            "birth_date": patient.birth_date,
            "age": patient.age_on(on),
            "deceased": patient.is_deceased,
            "deceased_on": _day(patient.deceased_at),
            "language": patient.language,
        },
        "conditions": [_condition(c) for c in active],
        "past_conditions": [_condition(c) for c in past],
        "medications": [
            {
                "name": m.display,
                "code": m.code,
                "system": m.system,
                "dosage": m.dosage_text,
                "reason": m.reason and _plain_list(m.reason),
                "since": _day(m.authored_on),
            }
            for m in patient.medications.filter(status="active").order_by("-authored_on")
        ],
        "care_plans": [_care_plan(p) for p in plans],
        "allergies": [
            {
                "name": strip_semantic_tag(a.display),
                "code": a.code,
                "category": a.category,
                "criticality": a.criticality,
                "reactions": a.reactions,
                "since": _day(a.recorded),
            }
            for a in allergies
        ],
        "immunizations": _latest_immunizations(patient, limit=recent),
        "encounters": [
            {
                "type": strip_semantic_tag(e.display),
                "class": e.encounter_class,
                "date": _day(e.start),
                "provider": e.provider,
                "organization": e.organization,
                "place": place_name(e.organization),
                "reason": e.reason and _plain_list(e.reason),
            }
            for e in patient.encounters.order_by("-start")[:recent]
        ],
    }


def _latest_immunizations(patient: Patient, *, limit: int) -> list[dict[str, Any]]:
    """The most recent dose of each vaccine: a yearly flu shot must not crowd out the others."""
    latest: dict[str, dict[str, Any]] = {}
    for shot in patient.immunizations.order_by("-occurred"):
        key = shot.code or shot.display
        if key not in latest:
            latest[key] = {
                "name": shot.display,
                "code": shot.code,
                "date": _day(shot.occurred),
                "doses": 0,
            }
        latest[key]["doses"] += 1
    return list(latest.values())[:limit]


def place_name(name: str) -> str:
    """A clinic's name as a patient would write it: "LOWELL GENERAL HOSPITAL" -> "Lowell General
    Hospital"; Synthea's anonymous practices ("PCP13848") -> "Primary care practice"."""
    name = name.strip().rstrip("-").strip()
    if _ANONYMOUS_PRACTICE.fullmatch(name):
        return "Primary care practice"
    if name.isupper():
        return _title(name)
    return name


def _title(name: str) -> str:
    words = []
    for word in name.split():
        bare = word.strip(".,")
        if bare in _KEEP_UPPER:
            words.append(word)
        else:  # "NEWTON-WELLESLEY" -> "Newton-Wellesley", "CHILDREN'S" -> "Children's"
            words.append("-".join(part.capitalize() for part in word.split("-")))
    return " ".join(words)


def _condition(condition) -> dict[str, Any]:
    return {
        "name": condition.plain_name,
        "display": condition.display,
        "code": condition.code,
        "system": condition.system,
        "status": condition.clinical_status,
        "since": _day(condition.onset),
        "until": _day(condition.abated),
    }


def _care_plan(plan: CarePlan) -> dict[str, Any]:
    # Synthea repeats an activity within a plan ("Allergy education" twice): a reader wants it once.
    seen: set[str] = set()
    activities = []
    for activity in plan.activities.all():
        name = activity.plain_name
        if name.lower() in seen:
            continue
        seen.add(name.lower())
        activities.append(
            {
                "name": name,
                "code": activity.code,
                "status": activity.status,
                "location": activity.location,
            }
        )
    return {
        "name": plan.plain_name,
        "code": plan.code,
        "since": _day(plan.period_start),
        "addresses": _plain_list(plan.addresses) if plan.addresses else "",
        "activities": activities,
    }


def _plain_list(text: str) -> str:
    return "; ".join(strip_semantic_tag(part) for part in text.split("; "))


def _day(value: datetime | None) -> date | None:
    if value is None:
        return None
    return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()

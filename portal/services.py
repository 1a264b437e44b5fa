"""Writes for people and health records: FHIR import, demo logins, the audit log."""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import models, transaction
from django.db.models import F

from . import fhir, roles
from .audit import audit_record
from .models import (
    Allergy,
    AuditEvent,
    CarePlan,
    CarePlanActivity,
    Condition,
    Encounter,
    Immunization,
    Medication,
    Observation,
    Patient,
    Procedure,
)

logger = logging.getLogger(__name__)

# Which dataclass list of a PatientBundle fills which model, keyed by FHIR id per patient.
_RECORD_KINDS: tuple[tuple[str, type[models.Model]], ...] = (
    ("conditions", Condition),
    ("medications", Medication),
    ("care_plans", CarePlan),
    ("allergies", Allergy),
    ("immunizations", Immunization),
    ("encounters", Encounter),
    ("procedures", Procedure),
    ("observations", Observation),
)
_PATIENT_FIELDS = (
    "mrn",
    "given_name",
    "family_name",
    "prefix",
    "gender",
    "birth_date",
    "deceased_at",
    "active",
    "phone",
    "city",
    "state",
    "language",
)
_ACTIVITY_FIELDS = ("system", "code", "display", "status", "location")


@dataclass
class ImportResult:
    """What one bundle import did; `counts` are the entries of each kind the patient now has."""

    path: Path
    patient_id: int
    patient_fhir_id: str
    patient_name: str
    patient_created: bool
    counts: dict[str, int] = field(default_factory=dict)
    created: int = 0
    updated: int = 0
    removed: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.patient_created or self.created or self.updated or self.removed)


def patient_import_bundle(*, path: Path | str) -> ImportResult:
    """Import one patient's FHIR bundle file: create or update every record in one transaction.

    Rows are keyed on their FHIR ids, so a re-import updates in place; rows of this patient that
    are no longer in the bundle are removed, so the portal mirrors the source system. Raises
    fhir.BundleError (and writes nothing) if the file is not a usable bundle.
    """
    path = Path(path)
    bundle = fhir.bundle_load(path)  # parse before touching the database
    return patient_import_parsed(bundle=bundle, source_name=path.name)


def patient_import_raw(*, raw: bytes | str, source_name: str) -> ImportResult:
    """The same import from a bundle's bytes (the API's POST /api/v1/fhir/Bundle); nothing is
    written unless all of it imports. `source_name` is kept as the record's source."""
    bundle = fhir.bundle_parse(raw)  # parse before touching the database
    return patient_import_parsed(bundle=bundle, source_name=source_name)


@transaction.atomic
def patient_import_parsed(*, bundle: fhir.PatientBundle, source_name: str) -> ImportResult:
    patient, patient_created = _patient_upsert(data=bundle.patient, source_file=source_name)
    result = ImportResult(
        path=Path(source_name),
        patient_id=patient.pk,
        patient_fhir_id=patient.fhir_id,
        patient_name=patient.full_name,
        patient_created=patient_created,
    )
    for kind, model in _RECORD_KINDS:
        created, updated, removed = _entries_sync(
            model=model, patient=patient, items=getattr(bundle, kind)
        )
        result.created += created
        result.updated += updated
        result.removed += removed
    created, updated, removed = _activities_sync(patient=patient, plans=bundle.care_plans)
    result.created += created
    result.updated += updated
    result.removed += removed
    result.counts = bundle.counts()
    Patient.objects.filter(pk=patient.pk).update(record_version=F("record_version") + 1)

    if patient.deceased_at and patient.user_id:
        # Nobody should be able to sign in as, or send messages to, a patient who has died.
        get_user_model().objects.filter(pk=patient.user_id, is_active=True).update(is_active=False)
    return result


def _patient_upsert(*, data: fhir.PatientData, source_file: str) -> tuple[Patient, bool]:
    values = {name: getattr(data, name) for name in _PATIENT_FIELDS}
    values = _fit(Patient, values)
    patient = Patient.objects.select_for_update().filter(fhir_id=data.fhir_id).first()
    if patient is None:
        patient = Patient.objects.create(fhir_id=data.fhir_id, source_file=source_file, **values)
        return patient, True
    values["source_file"] = source_file
    changed = [name for name, value in values.items() if getattr(patient, name) != value]
    if changed:
        for name in changed:
            setattr(patient, name, values[name])
        patient.save(update_fields=[*changed, "imported_at"])
    return patient, False


def _entries_sync(
    *, model: type[models.Model], patient: Patient, items: list[Any]
) -> tuple[int, int, int]:
    """Make `model`'s rows of `patient` equal `items`. Returns (created, updated, removed)."""
    field_names = [
        f.name for f in model._meta.concrete_fields if f.name not in {"id", "patient", "fhir_id"}
    ]
    wanted: dict[str, dict[str, Any]] = {}
    for item in items:
        # A bundle repeating an id would break the unique constraint: the last one wins.
        wanted[item.fhir_id] = _fit(model, {name: getattr(item, name) for name in field_names})

    existing = {obj.fhir_id: obj for obj in model.objects.filter(patient=patient)}
    to_create, to_update = [], []
    for fhir_id, values in wanted.items():
        obj = existing.pop(fhir_id, None)
        if obj is None:
            to_create.append(model(patient=patient, fhir_id=fhir_id, **values))
            continue
        changed = False
        for name, value in values.items():
            if getattr(obj, name) != value:
                setattr(obj, name, value)
                changed = True
        if changed:
            to_update.append(obj)
    model.objects.bulk_create(to_create, batch_size=500)
    if to_update:
        model.objects.bulk_update(to_update, field_names, batch_size=500)
    removed = 0
    if existing:
        removed = model.objects.filter(pk__in=[obj.pk for obj in existing.values()]).delete()[1]
        removed = removed.get(model._meta.label, 0)
    return len(to_create), len(to_update), removed


def _activities_sync(*, patient: Patient, plans: list[fhir.CarePlanData]) -> tuple[int, int, int]:
    """Activities have no FHIR id of their own: they are keyed by their position in the plan."""
    plan_ids = dict(CarePlan.objects.filter(patient=patient).values_list("fhir_id", "pk"))
    existing = {
        (a.care_plan_id, a.position): a
        for a in CarePlanActivity.objects.filter(care_plan__patient=patient)
    }
    to_create, to_update = [], []
    for plan in plans:
        plan_pk = plan_ids[plan.fhir_id]
        for position, activity in enumerate(plan.activities):
            values = _fit(
                CarePlanActivity, {name: getattr(activity, name) for name in _ACTIVITY_FIELDS}
            )
            obj = existing.pop((plan_pk, position), None)
            if obj is None:
                to_create.append(
                    CarePlanActivity(care_plan_id=plan_pk, position=position, **values)
                )
                continue
            if any(getattr(obj, name) != value for name, value in values.items()):
                for name, value in values.items():
                    setattr(obj, name, value)
                to_update.append(obj)
    CarePlanActivity.objects.bulk_create(to_create, batch_size=500)
    if to_update:
        CarePlanActivity.objects.bulk_update(to_update, _ACTIVITY_FIELDS, batch_size=500)
    removed = 0
    if existing:
        removed, _ = CarePlanActivity.objects.filter(
            pk__in=[a.pk for a in existing.values()]
        ).delete()
    return len(to_create), len(to_update), removed


def _fit(model: type[models.Model], values: dict[str, Any]) -> dict[str, Any]:
    """Cut strings to their column's length: PostgreSQL refuses what SQLite would silently keep."""
    fitted = dict(values)
    for name, value in values.items():
        if isinstance(value, str):
            max_length = model._meta.get_field(name).max_length
            if max_length and len(value) > max_length:
                fitted[name] = value[: max_length - 1] + "…"
    return fitted


# --- accounts ------------------------------------------------------------------------------------


def groups_ensure() -> dict[str, Group]:
    """The role groups exist (idempotent)."""
    return {name: Group.objects.get_or_create(name=name)[0] for name in roles.ALL_ROLES}


def username_for_patient(*, patient: Patient) -> str:
    """ "firstname.lastname": lowercase ASCII, Synthea digits already stripped at import."""
    return (
        ".".join(
            part
            for part in (_ascii_slug(patient.given_name), _ascii_slug(patient.family_name))
            if part
        )
        or f"patient{patient.pk}"
    )


def _ascii_slug(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "", text.lower())


@dataclass(frozen=True)
class LoginOutcome:
    user: Any
    created: bool
    password_set: bool


@transaction.atomic
def patient_login_ensure(
    *, patient: Patient, password: str, reset_password: bool = False
) -> LoginOutcome:
    """Give `patient` a login (username "first.last", unique), in the patient group.

    An existing login keeps its password unless reset_password. A deceased patient's login is
    inactive: the record stays for staff, but nobody can sign in with it.
    """
    User = get_user_model()
    group = Group.objects.get_or_create(name=roles.PATIENT)[0]
    user = patient.user
    created = password_set = dirty = False
    if user is None:
        base = username_for_patient(patient=patient)
        username, n = base, 1
        while User.objects.filter(username=username).exists():
            n += 1
            username = f"{base}{n}"
        user = User(
            username=username,
            first_name=patient.given_name,
            last_name=patient.family_name,
            email=f"{username}@example.org",
            is_active=not patient.is_deceased,
        )
        user.set_password(password)
        created = password_set = dirty = True
    else:
        if reset_password:
            user.set_password(password)
            password_set = dirty = True
        # Only ever switched off here: a login an administrator disabled stays disabled.
        if patient.is_deceased and user.is_active:
            user.is_active = False
            dirty = True
    if dirty:
        user.save()
    user.groups.add(group)
    if patient.user_id != user.pk:
        patient.user = user
        patient.save(update_fields=["user"])
    return LoginOutcome(user=user, created=created, password_set=password_set)


@transaction.atomic
def staff_user_ensure(
    *,
    username: str,
    password: str,
    role_names: tuple[str, ...],
    first_name: str = "",
    last_name: str = "",
    is_staff: bool = False,
    is_superuser: bool = False,
    reset_password: bool = False,
) -> LoginOutcome:
    """Create or refresh a staff login with the given roles. Keeps a changed password."""
    User = get_user_model()
    user = User.objects.filter(username=username).first()
    created = user is None
    if user is None:
        user = User(
            username=username,
            email=f"{username}@example.org",
            first_name=first_name,
            last_name=last_name,
        )
    password_set = created or reset_password
    if password_set:
        user.set_password(password)
    dirty = password_set
    for flag, wanted in (("is_staff", is_staff), ("is_superuser", is_superuser)):
        if wanted and not getattr(user, flag):
            setattr(user, flag, True)
            dirty = True
    if dirty:
        user.save()
    for name in role_names:
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    return LoginOutcome(user=user, created=created, password_set=password_set)


# --- audit ---------------------------------------------------------------------------------------


def audit_event_record(
    *,
    actor,
    action: str,
    request=None,
    patient: Patient | None = None,
    object_type: str = "",
    object_id: str | int = "",
    detail: dict | None = None,
) -> AuditEvent:
    """Write one audit entry through the site's one audit writer (portal.audit.audit_record);
    this keyword form is kept for callers that hold the actor and the request apart."""

    same_person = request is not None and getattr(request, "user", None) == actor
    return audit_record(
        request_or_actor=request if same_person else actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        patient=patient,
        detail=detail,
    )

"""Sign-in security events go to the audit log: each lockout, and each attempt refused by one.
A change to a row of a patient's record raises the patient's record version."""

from __future__ import annotations

from axes.signals import user_locked_out
from django.db.models import F
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .audit import audit_record
from .models import RECORD_MODELS, CarePlan, CarePlanActivity, Patient


@receiver(user_locked_out, dispatch_uid="portal-audit-lockout")
def audit_lockout(sender, *, request, username=None, ip_address=None, **_):
    audit_record(
        request_or_actor=request,
        action="login.locked_out",
        object_type="user",
        object_id=(username or "")[:64],
        detail={"username": (username or "")[:150]},
    )


def _record_changed(sender, instance, **_) -> None:
    """A row of a patient's record was saved or deleted one by one (the FHIR import writes in
    bulk and raises the version itself): what was computed from the record must be redone."""
    patient_id = getattr(instance, "patient_id", None)
    if patient_id is None and isinstance(instance, CarePlanActivity):
        patient_id = (
            CarePlan.objects.filter(pk=instance.care_plan_id)
            .values_list("patient_id", flat=True)
            .first()
        )
    if patient_id is not None:
        Patient.objects.filter(pk=patient_id).update(record_version=F("record_version") + 1)


for _model in RECORD_MODELS:
    post_save.connect(_record_changed, sender=_model, dispatch_uid=f"record-version-save-{_model}")
    post_delete.connect(
        _record_changed, sender=_model, dispatch_uid=f"record-version-delete-{_model}"
    )

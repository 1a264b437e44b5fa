"""People who use the portal and the health records that make the assistant personal.

Records are imported from FHIR R4 bundles (portal/fhir.py); every row keeps the FHIR resource id
it came from so that a re-import updates in place instead of duplicating.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A login. Roles are groups (see portal/roles.py); a patient login links to one Patient."""

    display_name = models.CharField(max_length=150, blank=True)

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username


class Patient(models.Model):
    fhir_id = models.CharField(max_length=64, unique=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="patient",
    )
    mrn = models.CharField("medical record number", max_length=64, blank=True)
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=20, blank=True)
    gender = models.CharField(max_length=20, blank=True)
    birth_date = models.DateField(null=True, blank=True)
    deceased_at = models.DateTimeField(null=True, blank=True)
    active = models.BooleanField(default=True)
    phone = models.CharField(max_length=40, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=100, blank=True)
    language = models.CharField(max_length=40, blank=True)
    source_file = models.CharField(max_length=255, blank=True)
    imported_at = models.DateTimeField(auto_now=True)
    # Raised by every import of the record and every record row saved on its own (signals): what
    # was computed from the record (the answer pipeline's patient context) is reused only while
    # this is unchanged.
    record_version = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["family_name", "given_name"]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()

    @property
    def is_deceased(self) -> bool:
        return self.deceased_at is not None

    def age_on(self, day: date) -> int | None:
        if not self.birth_date:
            return None
        b = self.birth_date
        return day.year - b.year - ((day.month, day.day) < (b.month, b.day))


class RecordEntry(models.Model):
    """Fields shared by every coded record entry imported from FHIR."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+")
    fhir_id = models.CharField(max_length=64)
    system = models.CharField(max_length=200, blank=True)
    code = models.CharField(max_length=64, blank=True)
    display = models.CharField(max_length=500)

    class Meta:
        abstract = True
        constraints = []

    def __str__(self) -> str:
        return self.display


class Condition(RecordEntry):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="conditions")
    clinical_status = models.CharField(max_length=40, blank=True)  # active, resolved, ...
    verification_status = models.CharField(max_length=40, blank=True)
    onset = models.DateTimeField(null=True, blank=True)
    abated = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-onset"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "fhir_id"], name="uniq_condition_fhir")
        ]

    @property
    def is_active(self) -> bool:
        return self.clinical_status in {"active", "recurrence", "relapse"}

    @property
    def plain_name(self) -> str:
        """The display without its SNOMED semantic tag: "Asthma (disorder)" -> "Asthma"."""
        return strip_semantic_tag(self.display)


class Medication(RecordEntry):
    """A MedicationRequest: what the patient was prescribed."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="medications")
    status = models.CharField(max_length=40, blank=True)  # active, stopped, completed
    authored_on = models.DateTimeField(null=True, blank=True)
    dosage_text = models.CharField(max_length=500, blank=True)
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-authored_on"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "fhir_id"], name="uniq_medication_fhir")
        ]

    @property
    def is_active(self) -> bool:
        return self.status == "active"


class CarePlan(RecordEntry):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="care_plans")
    status = models.CharField(max_length=40, blank=True)
    period_start = models.DateTimeField(null=True, blank=True)
    period_end = models.DateTimeField(null=True, blank=True)
    addresses = models.CharField(max_length=500, blank=True)  # the conditions it is for

    class Meta:
        ordering = ["-period_start"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "fhir_id"], name="uniq_careplan_fhir")
        ]

    @property
    def is_active(self) -> bool:
        return self.status == "active"

    @property
    def plain_name(self) -> str:
        return strip_semantic_tag(self.display)


class CarePlanActivity(models.Model):
    """One "next step" of a care plan."""

    care_plan = models.ForeignKey(CarePlan, on_delete=models.CASCADE, related_name="activities")
    position = models.PositiveIntegerField()
    system = models.CharField(max_length=200, blank=True)
    code = models.CharField(max_length=64, blank=True)
    display = models.CharField(max_length=500)
    status = models.CharField(max_length=40, blank=True)
    location = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["care_plan", "position"]
        constraints = [
            models.UniqueConstraint(fields=["care_plan", "position"], name="uniq_activity_pos")
        ]

    def __str__(self) -> str:
        return self.display

    @property
    def plain_name(self) -> str:
        return strip_semantic_tag(self.display)


class Allergy(RecordEntry):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="allergies")
    clinical_status = models.CharField(max_length=40, blank=True)
    category = models.CharField(max_length=80, blank=True)
    criticality = models.CharField(max_length=40, blank=True)
    recorded = models.DateTimeField(null=True, blank=True)
    reactions = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["display"]
        verbose_name_plural = "allergies"
        constraints = [
            models.UniqueConstraint(fields=["patient", "fhir_id"], name="uniq_allergy_fhir")
        ]


class Immunization(RecordEntry):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="immunizations")
    status = models.CharField(max_length=40, blank=True)
    occurred = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-occurred"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "fhir_id"], name="uniq_immunization_fhir")
        ]


class Encounter(RecordEntry):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="encounters")
    status = models.CharField(max_length=40, blank=True)
    encounter_class = models.CharField(max_length=40, blank=True)
    start = models.DateTimeField(null=True, blank=True)
    end = models.DateTimeField(null=True, blank=True)
    provider = models.CharField(max_length=200, blank=True)  # the practitioner seen
    organization = models.CharField(max_length=200, blank=True)  # the clinic or hospital
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-start"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "fhir_id"], name="uniq_encounter_fhir")
        ]


class Procedure(RecordEntry):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="procedures")
    status = models.CharField(max_length=40, blank=True)
    performed = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-performed"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "fhir_id"], name="uniq_procedure_fhir")
        ]


class Observation(RecordEntry):
    """Measurements and survey answers (blood pressure, BMI, smoking status, cholesterol...)."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="observations")
    status = models.CharField(max_length=40, blank=True)
    category = models.CharField(max_length=80, blank=True)
    effective = models.DateTimeField(null=True, blank=True)
    value_quantity = models.FloatField(null=True, blank=True)
    value_unit = models.CharField(max_length=40, blank=True)
    value_code = models.CharField(max_length=64, blank=True)
    value_text = models.CharField(max_length=500, blank=True)  # coded value display, or components

    class Meta:
        ordering = ["-effective"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "fhir_id"], name="uniq_observation_fhir")
        ]
        indexes = [models.Index(fields=["patient", "code"])]


class AuditEvent(models.Model):
    """Who did what to which record, when and from where.

    Staff reads of patient threads and records, replies, claims, resolutions and content edits
    are written here. Patients reading their own data are deliberately not logged: it would
    drown the accesses that matter.
    """

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=150)  # kept if the account is later removed
    action = models.CharField(max_length=60, db_index=True)  # e.g. "thread.view", "record.view"
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    patient = models.ForeignKey(
        Patient, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action}"


def strip_semantic_tag(text: str) -> str:
    """SNOMED displays end in a semantic tag ("(disorder)", "(finding)") that means nothing to a
    patient; drop it for display."""
    text = text.strip()
    if text.endswith(")") and " (" in text:
        head, _, tag = text.rpartition(" (")
        if tag[:-1] in {
            "disorder",
            "finding",
            "procedure",
            "situation",
            "regime/therapy",
            "observable entity",
            "morphologic abnormality",
            "qualifier value",
            "record artifact",
            "person",
        }:
            return head
    return text


# The rows of a patient's record (everything imported from their FHIR bundle but the patient).
RECORD_MODELS = (
    Allergy,
    CarePlan,
    CarePlanActivity,
    Condition,
    Encounter,
    Immunization,
    Medication,
    Observation,
    Procedure,
)

"""Admin for people and records.

Health records come from the FHIR import: here they can be read, not edited (the source system
is where a correction belongs, and a re-import would undo an edit). Staff opening a patient's
record leave an audit entry.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.html import format_html

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
    User,
)

admin.site.site_header = "Riverside Health administration"
admin.site.site_title = "Riverside Health admin"
admin.site.index_title = "Content, people and records"


class ReadOnlyMixin:
    """Imported data: visible to those allowed to view it, changed only by a re-import."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RecordInline(ReadOnlyMixin, admin.TabularInline):
    extra = 0
    show_change_link = False
    classes = ("collapse",)


class ConditionInline(RecordInline):
    model = Condition
    fields = ("display", "code", "clinical_status", "onset", "abated")
    readonly_fields = fields
    ordering = ("-onset",)


class MedicationInline(RecordInline):
    model = Medication
    fields = ("display", "code", "status", "dosage_text", "reason", "authored_on")
    readonly_fields = fields


class CarePlanInline(RecordInline):
    model = CarePlan
    fields = ("display", "status", "addresses", "period_start", "period_end")
    readonly_fields = fields
    show_change_link = True


class AllergyInline(RecordInline):
    model = Allergy
    fields = ("display", "clinical_status", "category", "criticality", "reactions")
    readonly_fields = fields


class ImmunizationInline(RecordInline):
    model = Immunization
    fields = ("display", "code", "occurred")
    readonly_fields = fields


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin):
    list_display = ("full_name", "mrn_short", "birth_date", "gender", "alive", "login", "city")
    list_filter = ("gender", ("deceased_at", admin.EmptyFieldListFilter), "language", "state")
    search_fields = ("given_name", "family_name", "mrn", "fhir_id", "user__username")
    list_select_related = ("user",)
    autocomplete_fields = ("user",)
    fieldsets = (
        (None, {"fields": ("prefix", "given_name", "family_name", "birth_date", "gender")}),
        ("Portal login", {"fields": ("user", "active")}),
        (
            "Record",
            {
                "fields": (
                    "mrn",
                    "fhir_id",
                    "deceased_at",
                    "language",
                    "phone",
                    "city",
                    "state",
                    "source_file",
                    "imported_at",
                    "record_counts",
                )
            },
        ),
    )
    readonly_fields = (
        "prefix",
        "given_name",
        "family_name",
        "birth_date",
        "gender",
        "mrn",
        "fhir_id",
        "deceased_at",
        "language",
        "phone",
        "city",
        "state",
        "source_file",
        "imported_at",
        "record_counts",
    )
    inlines = (ConditionInline, MedicationInline, CarePlanInline, AllergyInline, ImmunizationInline)

    def has_add_permission(self, request):
        return False  # patients arrive through the FHIR import

    @admin.display(description="MRN", ordering="mrn")
    def mrn_short(self, obj):
        return obj.mrn[:8] + "…" if len(obj.mrn) > 12 else obj.mrn

    @admin.display(description="living", boolean=True, ordering="deceased_at")
    def alive(self, obj):
        return not obj.is_deceased

    @admin.display(description="login", ordering="user__username")
    def login(self, obj):
        if obj.user is None:
            return "—"
        state = "" if obj.user.is_active else " (inactive)"
        return f"{obj.user.username}{state}"

    @admin.display(description="entries in the record")
    def record_counts(self, obj):
        counts = {
            "conditions": obj.conditions.count(),
            "active_conditions": obj.conditions.filter(clinical_status="active").count(),
            "medications": obj.medications.count(),
            "encounters": obj.encounters.count(),
            "observations": obj.observations.count(),
            "procedures": obj.procedures.count(),
        }
        return format_html(
            "{} conditions ({} active), {} prescriptions, {} visits, {} observations, "
            "{} procedures",
            counts["conditions"],
            counts["active_conditions"],
            counts["medications"],
            counts["encounters"],
            counts["observations"],
            counts["procedures"],
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        patient = Patient.objects.filter(pk=object_id).first() if object_id.isdigit() else None
        if patient is not None and response.status_code == 200 and request.method == "GET":
            audit_record(
                request_or_actor=request,
                action="record.view",
                patient=patient,
                object_type="patient",
                object_id=patient.pk,
                detail={"via": "admin"},
            )
        return response


class RecordAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """A patient's conditions, medicines, visits...: opening one, or a list of them, is a read of
    health records and goes into the audit log as the patient page does."""

    list_select_related = ("patient",)
    search_fields = ("display", "code", "patient__given_name", "patient__family_name")
    raw_id_fields = ("patient",)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if response.status_code == 200 and request.method == "GET":
            record = (
                self.model.objects.filter(pk=object_id).first() if object_id.isdigit() else None
            )
            if record is not None:
                audit_record(
                    request_or_actor=request,
                    action="record.view",
                    object_type=self.model._meta.model_name,
                    object_id=record.pk,
                    patient_id=record.patient_id,
                    detail={"via": "admin"},
                )
        return response

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        shown = getattr(response, "context_data", None) or {}
        changelist = shown.get("cl")
        if response.status_code == 200 and changelist is not None:
            rows = list(changelist.result_list)
            patients = sorted({row.patient_id for row in rows})
            audit_record(
                request_or_actor=request,
                action="record.list",
                object_type=self.model._meta.model_name,
                patient_id=patients[0] if len(patients) == 1 else None,
                detail={"via": "admin", "query": request.GET.urlencode(), "patients": patients},
            )
        return response


@admin.register(Condition)
class ConditionAdmin(RecordAdmin):
    list_display = ("display", "patient", "clinical_status", "onset", "abated")
    list_filter = ("clinical_status", "verification_status")
    date_hierarchy = "onset"


@admin.register(Medication)
class MedicationAdmin(RecordAdmin):
    list_display = ("display", "patient", "status", "authored_on", "dosage_text")
    list_filter = ("status",)


class CarePlanActivityInline(RecordInline):
    model = CarePlanActivity
    fields = ("position", "display", "code", "status", "location")
    readonly_fields = fields
    classes = ()


@admin.register(CarePlan)
class CarePlanAdmin(RecordAdmin):
    list_display = ("display", "patient", "status", "addresses", "period_start")
    list_filter = ("status",)
    inlines = (CarePlanActivityInline,)


@admin.register(Allergy)
class AllergyAdmin(RecordAdmin):
    list_display = ("display", "patient", "clinical_status", "category", "criticality")
    list_filter = ("clinical_status", "criticality")


@admin.register(Immunization)
class ImmunizationAdmin(RecordAdmin):
    list_display = ("display", "code", "patient", "occurred")
    list_filter = ("display",)


@admin.register(Encounter)
class EncounterAdmin(RecordAdmin):
    list_display = ("display", "patient", "encounter_class", "start", "organization", "reason")
    list_filter = ("encounter_class", "status")
    date_hierarchy = "start"


@admin.register(Procedure)
class ProcedureAdmin(RecordAdmin):
    list_display = ("display", "patient", "performed", "reason")
    list_filter = ("status",)


@admin.register(Observation)
class ObservationAdmin(RecordAdmin):
    list_display = ("display", "patient", "value_text", "effective", "category")
    list_filter = ("category",)
    date_hierarchy = "effective"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "full_name", "roles", "patient_record", "is_active", "last_login")
    list_filter = ("groups", "is_active", "is_staff", "is_superuser")
    search_fields = ("username", "first_name", "last_name", "email", "display_name")
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        ("Portal", {"fields": ("display_name",)}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("patient").prefetch_related("groups")

    @admin.display(description="name")
    def full_name(self, obj):
        return obj.display_name or obj.get_full_name()

    @admin.display(description="roles")
    def roles(self, obj):
        names = sorted(g.name.replace("_", " ") for g in obj.groups.all())
        if obj.is_superuser:
            names.append("superuser")
        return ", ".join(names) or "—"

    @admin.display(description="patient record")
    def patient_record(self, obj):
        patient = getattr(obj, "patient", None)
        return patient.full_name if patient else "—"


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """The audit log can be read and searched, never changed."""

    list_display = (
        "at",
        "actor_name",
        "action",
        "object_type",
        "object_id",
        "patient",
        "ip_address",
    )
    list_filter = ("action", "object_type")
    search_fields = ("actor_name", "action", "object_id", "patient__family_name")
    date_hierarchy = "at"
    list_select_related = ("patient",)
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

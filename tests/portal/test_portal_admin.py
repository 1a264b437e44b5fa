"""The Django admin for people and records: readable, searchable, audited, not editable."""

from __future__ import annotations

import pytest
from django.urls import reverse

from portal.models import AuditEvent, Patient
from tests.portal.portal_fixtures import bundle_files, import_bundles, patient_resource


@pytest.fixture
def superuser_client(client, django_user_model):
    boss = django_user_model.objects.create_superuser("boss", "boss@example.org", "pw-Boss-2026!")
    client.force_login(boss)
    return client


@pytest.mark.django_db
def test_a_patient_is_found_by_mrn_and_opening_the_record_is_audited(superuser_client):
    path = bundle_files()[0]
    import_bundles(path)
    patient = Patient.objects.get(fhir_id=patient_resource(path)["id"])

    found = superuser_client.get(reverse("admin:portal_patient_changelist"), {"q": patient.mrn})
    assert found.status_code == 200 and patient.family_name in found.content.decode()

    page = superuser_client.get(reverse("admin:portal_patient_change", args=[patient.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert patient.conditions.first().display in html  # the conditions inline
    event = AuditEvent.objects.get(action="record.view")
    assert event.patient == patient and event.actor_name == "boss"


@pytest.mark.django_db
def test_imported_records_and_the_audit_log_cannot_be_edited_in_the_admin(superuser_client):
    path = bundle_files()[0]
    import_bundles(path)
    condition = Patient.objects.get(fhir_id=patient_resource(path)["id"]).conditions.first()

    assert superuser_client.get(reverse("admin:portal_patient_add")).status_code == 403
    assert superuser_client.get(reverse("admin:portal_condition_add")).status_code == 403
    assert superuser_client.get(reverse("admin:portal_auditevent_add")).status_code == 403
    before = condition.display
    superuser_client.post(
        reverse("admin:portal_condition_change", args=[condition.pk]), {"display": "Edited"}
    )
    condition.refresh_from_db()
    assert condition.display == before


@pytest.mark.django_db
def test_the_user_list_shows_roles(superuser_client, nurse, charge_nurse):
    html = superuser_client.get(reverse("admin:portal_user_changelist")).content.decode()
    assert "nurse.test" in html and "charge nurse, nurse" in html

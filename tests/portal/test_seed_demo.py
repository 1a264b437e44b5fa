"""seed_demo: demo logins that match the published credentials, and a second run changes nothing."""

from __future__ import annotations

import re
import unicodedata
from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command

from portal import roles
from portal.models import Patient
from portal.services import patient_login_ensure
from tests.portal.portal_fixtures import bundle_files, is_living, patient_resource, plain_name

N = 8  # the first 8 bundles (sorted) hold living patients and one deceased


def seed(*extra) -> str:
    out = StringIO()
    call_command("seed_demo", "--patients", str(N), "--skip-knowledge", *extra, stdout=out)
    return out.getvalue()


def expected_username(path) -> str:
    given, family = plain_name(path)
    ascii_name = unicodedata.normalize("NFKD", f"{given}.{family}").encode("ascii", "ignore")
    return re.sub(r"[^a-z0-9.]", "", ascii_name.decode().lower())


@pytest.mark.django_db
def test_demo_accounts_sign_in_with_the_published_passwords():
    output = seed()
    for username, password in (
        ("admin", "demo-admin-2026"),
        ("nurse", "demo-nurse-2026"),
        ("charge", "demo-charge-2026"),
    ):
        assert authenticate(username=username, password=password), username
        assert re.search(rf"^{username}\s+{password}\s", output, re.M)
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_staff and roles.is_admin(admin)
    nurse = get_user_model().objects.get(username="nurse")
    assert roles.is_nurse(nurse) and nurse.get_full_name() == "Nora Quinn"
    charge = get_user_model().objects.get(username="charge")
    assert {roles.NURSE, roles.CHARGE_NURSE} <= roles.user_roles(charge)

    files = bundle_files()[:N]
    living = [p for p in files if is_living(p)]
    assert living and len(living) < len(files)
    for path in files:
        username = expected_username(path)
        user = get_user_model().objects.get(username=username)
        assert Patient.objects.get(fhir_id=patient_resource(path)["id"]).user == user
        signs_in = authenticate(username=username, password="demo-patient-2026") is not None
        assert signs_in == is_living(path), username
        assert re.search(rf"^{re.escape(username)}\s", output, re.M)


@pytest.mark.django_db
def test_a_second_run_changes_nothing_and_keeps_changed_passwords():
    seed()
    User = get_user_model()
    nurse = User.objects.get(username="nurse")
    nurse.set_password("Nurse-chose-this-1")
    nurse.save()
    before = sorted(User.objects.values_list("username", "password", "is_active"))
    patients_before = sorted(Patient.objects.values_list("pk", "fhir_id", "user_id"))

    output = seed()
    assert sorted(User.objects.values_list("username", "password", "is_active")) == before
    assert sorted(Patient.objects.values_list("pk", "fhir_id", "user_id")) == patients_before
    assert authenticate(username="nurse", password="Nurse-chose-this-1")
    assert "created" not in output

    seed("--reset-passwords")
    assert authenticate(username="nurse", password="demo-nurse-2026")


@pytest.mark.django_db
def test_admin_role_gets_the_permissions_to_curate_content():
    from django.contrib.auth.models import Group, Permission

    seed()
    admin_group = Group.objects.get(name=roles.ADMIN)
    knowledge = set(
        Permission.objects.filter(content_type__app_label="knowledge").values_list("pk", flat=True)
    )
    assert knowledge <= set(admin_group.permissions.values_list("pk", flat=True))
    assert set(roles.ALL_ROLES) <= set(Group.objects.values_list("name", flat=True))


@pytest.mark.django_db
def test_knowledge_steps_run_after_the_patients_unless_skipped(settings):
    extra = bundle_files()[N]  # a bundle the --patients N run does not import
    settings.SEED_DEMO_KNOWLEDGE_STEPS = [["import_fhir", str(extra), "--no-progress"]]
    extra_id = patient_resource(extra)["id"]

    seed()  # --skip-knowledge
    assert not Patient.objects.filter(fhir_id=extra_id).exists()

    call_command("seed_demo", "--patients", str(N), stdout=StringIO())
    assert Patient.objects.filter(fhir_id=extra_id).exists()


@pytest.mark.django_db
def test_namesakes_get_distinct_usernames():
    twins = [
        Patient.objects.create(fhir_id=f"twin-{i}", given_name="José", family_name="O'Neil")
        for i in range(3)
    ]
    names = [patient_login_ensure(patient=p, password="x-Portal-2026").user.username for p in twins]
    assert names == ["jose.oneil", "jose.oneil2", "jose.oneil3"]

"""Who may open what: patients see only their own record, staff pages refuse patients and vice
versa, signed-out people are sent to sign in."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from portal import roles
from portal.models import Patient
from portal.services import patient_login_ensure
from tests.portal.portal_fixtures import (
    active_condition_names,
    bundle_files,
    import_bundles,
    is_living,
    patient_resource,
)
from tests.support import make_user

PASSWORD = "pw-Portal-2026!"


def signed_in(client, user):
    client.force_login(user)
    return client


def test_a_patient_sees_their_own_conditions_and_nothing_of_another_patient(client, two_patients):
    (mine_path, me), (other_path, other) = two_patients
    html = signed_in(client, me.user).get(reverse("my_health")).content.decode()

    for name in active_condition_names(mine_path):
        assert name in html
    only_theirs = set(active_condition_names(other_path)) - set(active_condition_names(mine_path))
    assert only_theirs
    for name in only_theirs:
        assert name not in html
    assert other.family_name not in html and other.given_name not in html


def test_a_patient_cannot_ask_for_another_patients_record(client, two_patients):
    (_, me), (_, other) = two_patients
    signed_in(client, me.user)
    for query in (
        {"patient": other.pk},
        {"patient_id": other.pk},
        {"id": other.pk},
        {"fhir_id": other.fhir_id},
    ):
        html = client.get(reverse("my_health"), query).content.decode()
        assert me.given_name in html
        assert other.family_name not in html


def test_no_patient_facing_url_takes_a_patient_id():
    from django.urls import get_resolver

    for pattern in get_resolver("portal.site_urls").url_patterns:
        assert "<" not in str(pattern.pattern), pattern


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", ["home", "my_health", "password_change"])
def test_signed_out_people_are_sent_to_sign_in(client, url_name):
    response = client.get(reverse(url_name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_home_sends_each_role_to_its_page(client, nurse, admin_user, two_patients):
    (_, patient), _ = two_patients
    cases = [(patient.user, "my_health"), (nurse, "inbox:queue"), (admin_user, "admin:index")]
    for user, target in cases:
        response = signed_in(client, user).get(reverse("home"))
        assert response.status_code == 302 and response["Location"] == reverse(target), user


@pytest.mark.django_db
def test_an_account_without_a_role_gets_a_friendly_refusal(client, django_user_model):
    user = django_user_model.objects.create_user("norole", password=PASSWORD)
    response = signed_in(client, user).get(reverse("home"))
    assert response.status_code == 403
    assert "not set up for any part of the portal" in response.content.decode()


@pytest.mark.django_db
def test_staff_cannot_open_my_health(client, nurse, admin_user):
    for user in (nurse, admin_user):
        response = signed_in(client, user).get(reverse("my_health"))
        assert response.status_code == 403
        html = response.content.decode()
        assert "Sorry, this page is not available to you" in html
        assert "for patients" in html


@pytest.mark.django_db
def test_patients_cannot_open_staff_pages(client, two_patients):
    (_, patient), _ = two_patients
    signed_in(client, patient.user)
    # The nurse inbox refuses outright.
    assert client.get(reverse("inbox:queue")).status_code == 403
    # The Django admin sends a non-staff account to its own sign-in page and shows nothing.
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    response = client.get(reverse("admin:portal_patient_changelist"))
    assert response.status_code == 302
    assert patient.family_name not in response.content.decode()


@pytest.mark.django_db
def test_deceased_patients_have_no_working_login(client):
    path = next(p for p in bundle_files() if not is_living(p))
    import_bundles(path)
    patient = Patient.objects.get(fhir_id=patient_resource(path)["id"])
    outcome = patient_login_ensure(patient=patient, password=PASSWORD)
    assert outcome.user.is_active is False
    assert client.login(username=outcome.user.username, password=PASSWORD) is False
    response = client.post(
        reverse("login"), {"username": outcome.user.username, "password": PASSWORD}
    )
    assert (
        response.status_code == 200
        and "did not match an active account" in response.content.decode()
    )


@pytest.mark.django_db
def test_a_patient_who_dies_loses_their_login_at_the_next_import(tmp_path, client):
    import json

    path = next(p for p in bundle_files() if is_living(p))
    import_bundles(path)
    patient = Patient.objects.get(fhir_id=patient_resource(path)["id"])
    user = patient_login_ensure(patient=patient, password=PASSWORD).user
    assert client.login(username=user.username, password=PASSWORD)

    bundle = json.loads(path.read_text())
    bundle["entry"][0]["resource"]["deceasedDateTime"] = "2026-10-01T08:00:00+02:00"
    edited = tmp_path / path.name
    edited.write_text(json.dumps(bundle))
    import_bundles(edited)

    user.refresh_from_db()
    assert user.is_active is False
    # The session from before is no longer accepted either.
    response = client.get(reverse("my_health"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_decorators_guard_nurse_and_admin_views(rf, nurse, admin_user, two_patients):
    from django.contrib.auth.models import AnonymousUser
    from django.core.exceptions import PermissionDenied
    from django.http import HttpResponse

    from portal.decorators import admin_required, nurse_required

    @nurse_required
    def nurse_view(request):
        return HttpResponse("ok")

    @admin_required
    def admin_view(request):
        return HttpResponse("ok")

    (_, patient), _ = two_patients
    charge = make_user("charge.only", roles.CHARGE_NURSE)
    for view, allowed, refused in (
        (nurse_view, [nurse, charge], [patient.user, admin_user]),
        (admin_view, [admin_user], [patient.user, nurse]),
    ):
        for user in allowed:
            request = rf.get("/x/")
            request.user = user
            assert view(request).status_code == 200
        for user in refused:
            request = rf.get("/x/")
            request.user = user
            with pytest.raises(PermissionDenied):
                view(request)
        request = rf.get("/x/")
        request.user = AnonymousUser()
        assert view(request).status_code == 302


@pytest.mark.django_db
def test_a_superuser_counts_as_admin_even_without_the_group(client, django_user_model):
    boss = django_user_model.objects.create_superuser("boss", "b@example.org", PASSWORD)
    assert not Group.objects.filter(user=boss).exists()
    response = signed_in(client, boss).get(reverse("home"))
    assert response["Location"] == reverse("admin:index")


@pytest.mark.django_db(transaction=True)
async def test_the_decorators_also_guard_async_views(nurse, admin_user):
    from django.core.exceptions import PermissionDenied
    from django.http import HttpResponse
    from django.test import AsyncRequestFactory

    from portal.decorators import nurse_required

    @nurse_required
    async def live_queue(request):
        return HttpResponse("ok")

    def request_as(user):
        request = AsyncRequestFactory().get("/inbox/live/")

        async def auser():
            return user

        request.auser = auser
        return request

    assert (await live_queue(request_as(nurse))).status_code == 200
    with pytest.raises(PermissionDenied):
        await live_queue(request_as(admin_user))

"""Signing in and out, idle sessions, and getting back into an account by email."""

from __future__ import annotations

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from portal import roles
from tests.support import make_user

PASSWORD = "pw-Portal-2026!"


@pytest.fixture
def patient_user(db):
    return make_user("pat.test", roles.PATIENT, password=PASSWORD, email="pat@example.org")


def at(moment):
    """Run requests as if the clock said `moment` (sessions read timezone.now)."""
    return mock.patch("django.utils.timezone.now", return_value=moment)


@pytest.mark.django_db
def test_the_sign_in_page_is_labelled_and_signs_a_patient_in(client, patient_user):
    page = client.get(reverse("login")).content.decode()
    assert '<label for="id_username">' in page and '<label for="id_password">' in page
    assert 'autocomplete="current-password"' in page
    assert reverse("password_reset") in page

    response = client.post(reverse("login"), {"username": "pat.test", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert client.get(reverse("home"))["Location"] == reverse("my_health")


@pytest.mark.django_db
def test_a_wrong_password_says_so_without_saying_which_part_was_wrong(client, patient_user):
    response = client.post(reverse("login"), {"username": "pat.test", "password": "nope"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'role="alert"' in html and "did not match an active account" in html


@pytest.mark.django_db
def test_sign_out_needs_a_post_and_then_says_goodbye(client, patient_user):
    client.force_login(patient_user)
    assert client.get(reverse("logout")).status_code == 405  # a link cannot sign anyone out
    response = client.post(reverse("logout"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("login")
    assert "You have signed out" in response.content.decode()
    assert client.get(reverse("my_health")).status_code == 302


@pytest.mark.django_db
def test_a_session_ends_after_inactivity_but_not_while_in_use(client, patient_user):
    idle = timedelta(seconds=settings.SESSION_COOKIE_AGE)
    start = timezone.now()
    with at(start):
        client.force_login(patient_user)
        assert client.get(reverse("my_health")).status_code == 200
    # Active use keeps the session alive well past one idle period in total.
    for step in (1, 2, 3):
        with at(start + step * (idle - timedelta(minutes=1))):
            assert client.get(reverse("my_health")).status_code == 200, step
    last_use = start + 3 * (idle - timedelta(minutes=1))
    # Then a pause longer than the idle limit: signed out, sent to sign in, and told why.
    with at(last_use + idle + timedelta(seconds=5)):
        response = client.get(reverse("my_health"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
        page = client.get(response["Location"]).content.decode()
    minutes = settings.SESSION_COOKIE_AGE // 60
    assert f"after {minutes} minute" in page


@pytest.mark.django_db
def test_forgotten_password_is_reset_through_an_emailed_link(client, patient_user):
    response = client.post(reverse("password_reset"), {"email": "pat@example.org"})
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["pat@example.org"]
    assert "Reset your Riverside Health password" in message.subject
    assert "pat.test" in message.body

    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+/)", message.body).group(1)
    form_url = client.get(link)["Location"]  # Django swaps the token for a session marker
    page = client.get(form_url).content.decode()
    assert "Choose a new password" in page
    new = "A-new-Portal-pass-77"
    response = client.post(form_url, {"new_password1": new, "new_password2": new})
    assert response["Location"] == reverse("password_reset_complete")
    assert client.login(username="pat.test", password=new)
    # The link works once.
    assert "This link no longer works" in client.get(link, follow=True).content.decode()


@pytest.mark.django_db
def test_a_reset_for_an_unknown_address_sends_nothing_and_reveals_nothing(client, patient_user):
    response = client.post(reverse("password_reset"), {"email": "stranger@example.org"})
    assert response["Location"] == reverse("password_reset_done")
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_signed_in_person_can_change_their_password(client, patient_user):
    client.force_login(patient_user)
    new = "Another-Portal-pass-88"
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response["Location"] == reverse("password_change_done")
    assert (
        "Your password has been changed"
        in client.get(reverse("password_change_done")).content.decode()
    )
    client.logout()
    assert client.login(username="pat.test", password=new)


@pytest.mark.django_db
def test_a_signed_in_person_visiting_sign_in_goes_home(client, patient_user):
    client.force_login(patient_user)
    response = client.get(reverse("login"))
    assert response.status_code == 302 and response["Location"] == reverse("home")

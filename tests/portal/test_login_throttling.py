"""Sign-in throttling: a guesser gets a few tries at an account, then the account is paused for a
while (even for the right password), on the portal's sign-in page and the admin's alike; every
lockout is in the audit log with the address it came from; the owner can sign in again after
the pause; one address guessing across many accounts is paused too."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.urls import reverse
from django.utils import timezone

from portal import roles
from portal.models import AuditEvent
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

PASSWORD = "pw-Portal-2026!"


@pytest.fixture
def patient_account(db):
    return make_user("pat.guess", roles.PATIENT)


def _sign_in(client, username, password, *, ip="203.0.113.7", url=None):
    return client.post(
        url or reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=ip,
    )


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_five_wrong_passwords_pause_the_account_even_for_the_right_one(client, patient_account):
    for attempt in range(5):
        response = _sign_in(client, "pat.guess", f"wrong-{attempt}", ip=f"203.0.113.{attempt}")
        assert response.status_code in (200, 429)
    locked = _sign_in(client, "pat.guess", PASSWORD, ip="198.51.100.1")
    assert locked.status_code == 429
    assert "Sign-in paused" in locked.content.decode()
    assert not _signed_in(client)

    events = AuditEvent.objects.filter(action="login.locked_out")
    assert events.exists()
    assert {e.detail["username"] for e in events} == {"pat.guess"}
    assert "198.51.100.1" in {e.ip_address for e in events}


def test_the_owner_signs_in_again_after_the_pause(client, patient_account, settings):
    for attempt in range(5):
        _sign_in(client, "pat.guess", f"wrong-{attempt}")
    assert _sign_in(client, "pat.guess", PASSWORD).status_code == 429
    # The pause is over: the failures are older than the cool-off time.
    AccessAttempt.objects.update(
        attempt_time=timezone.now() - timedelta(hours=settings.AXES_COOLOFF_TIME, minutes=1)
    )
    response = _sign_in(client, "pat.guess", PASSWORD)
    assert response.status_code == 302 and _signed_in(client)


def test_fewer_failures_than_the_limit_do_not_lock_and_a_success_clears_them(
    client, patient_account
):
    for attempt in range(4):
        _sign_in(client, "pat.guess", f"wrong-{attempt}")
    assert _sign_in(client, "pat.guess", PASSWORD).status_code == 302
    client.logout()
    for attempt in range(4):
        _sign_in(client, "pat.guess", f"wrong-again-{attempt}")
    assert _sign_in(client, "pat.guess", PASSWORD).status_code == 302
    assert not AuditEvent.objects.filter(action="login.locked_out").exists()


def test_one_address_guessing_across_accounts_is_paused(client, db):
    for n in range(5):
        make_user(f"spray.{n}", roles.PATIENT)
    for n in range(5):
        _sign_in(client, f"spray.{n}", "Summer2026!", ip="192.0.2.50")
    make_user("spray.victim", roles.PATIENT)
    assert _sign_in(client, "spray.victim", PASSWORD, ip="192.0.2.50").status_code == 429
    # Someone else, elsewhere, is not affected.
    assert _sign_in(client, "spray.victim", PASSWORD, ip="192.0.2.99").status_code == 302


def test_the_admin_sign_in_is_throttled_too(client, db):
    make_user("boss.guess", roles.ADMIN, is_staff=True)
    url = reverse("admin:login")
    for attempt in range(5):
        _sign_in(client, "boss.guess", f"wrong-{attempt}", url=url)
    assert _sign_in(client, "boss.guess", PASSWORD, url=url).status_code == 429
    assert AuditEvent.objects.filter(action="login.locked_out").exists()


def test_a_forged_forwarded_for_cannot_spread_one_guesser_over_many_addresses(
    client, patient_account, settings
):
    """Without a trusted proxy, X-Forwarded-For is the client's own words: every guess counts
    against the address that really sent it."""
    users = [make_user(f"other.{n}", roles.PATIENT) for n in range(5)]
    for n, user in enumerate(users):
        client.post(
            reverse("login"),
            {"username": user.username, "password": "nope"},
            REMOTE_ADDR="192.0.2.77",
            HTTP_X_FORWARDED_FOR=f"10.0.0.{n}",
        )
    assert _sign_in(client, "pat.guess", PASSWORD, ip="192.0.2.77").status_code == 429

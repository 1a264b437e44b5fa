"""A patient signs in, finds their own conditions on "My health", and signs out."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_patient_sees_their_conditions_and_signs_out(
    page, live_server, demo_patient, login, screenshot
):
    page.set_viewport_size(DESKTOP)
    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.get_by_role("heading", name="Sign in to Riverside Health")).to_be_visible()
    screenshot(page, "login-desktop")

    login(page, live_server, demo_patient.username, demo_patient.password)
    expect(page).to_have_url(f"{live_server.url}/my-health/")
    expect(page.get_by_role("heading", name=f"Hello, {demo_patient.given_name}")).to_be_visible()

    conditions = page.locator("#conditions")
    expect(conditions.get_by_role("heading", name="Your conditions")).to_be_visible()
    assert len(demo_patient.active_conditions) >= 4
    for name in demo_patient.active_conditions:
        expect(conditions).to_contain_text(name)
    expect(page.get_by_role("heading", name="Your medicines")).to_be_visible()
    expect(page.get_by_role("heading", name="Your next steps")).to_be_visible()
    chat = page.get_by_role("link", name="Ask the assistant about your health")
    expect(chat).to_be_visible()
    assert chat.get_attribute("href") == "/chat/"
    screenshot(page, "my-health-desktop")

    page.set_viewport_size(PHONE)
    expect(chat).to_be_visible()
    assert fits_the_screen(page)
    screenshot(page, "my-health-phone")

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.get_by_text("You have signed out")).to_be_visible()
    assert fits_the_screen(page)
    screenshot(page, "login-phone-signed-out")

    # Signed out means signed out: the record is behind the sign-in page again.
    page.goto(f"{live_server.url}/my-health/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/my-health/"))
    expect(page.get_by_text("Please sign in to continue")).to_be_visible()
    assert demo_patient.active_conditions[0] not in page.content()


def test_a_wrong_password_is_explained_on_a_phone(
    page, live_server, demo_patient, login, screenshot
):
    page.set_viewport_size(PHONE)
    login(page, live_server, demo_patient.username, "not-the-password")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("did not match an active account")
    assert fits_the_screen(page)
    screenshot(page, "login-phone-error")


def test_staff_are_turned_away_from_my_health_kindly(
    page, live_server, nurse_user, login, screenshot
):
    page.set_viewport_size(DESKTOP)
    login(page, live_server, nurse_user.username, nurse_user.password)
    response = page.goto(f"{live_server.url}/my-health/")
    assert response.status == 403
    expect(
        page.get_by_role("heading", name="Sorry, this page is not available to you")
    ).to_be_visible()
    screenshot(page, "forbidden-desktop")


def test_a_forgotten_password_is_reset_from_the_emailed_link(
    page, live_server, demo_patient, login, screenshot
):
    from django.core import mail

    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill(demo_patient.patient.user.email)
    screenshot(page, "password-reset-phone")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/accounts/reset/\S+/", mail.outbox[0].body).group(0)
    page.goto(link)
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    new_password = "Riverside-new-pass-41"
    page.get_by_label("New password", exact=True).fill(new_password)
    page.get_by_label("New password confirmation").fill(new_password)
    screenshot(page, "password-new-phone")
    page.get_by_role("button", name="Save new password").click()
    expect(page.get_by_role("heading", name="Your new password is saved")).to_be_visible()

    login(page, live_server, demo_patient.username, new_password)
    expect(page).to_have_url(f"{live_server.url}/my-health/")

"""Preventive care in the browser: a patient who is overdue for a screening sees it on My health
(with a link to approved education about it), asks the chat what is due and gets a cited,
personal answer; a content admin tries the rules, and a draft of one, on that patient.

Patient 1130164 (a man of 58): his last blood sugar test was on 2023-09-19, so under the 3-year
rule the diabetes screening has been overdue since 2026-09-19.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
SYNTHEA_DIR = Path(settings.PORTAL_DATA_DIR) / "synthea"
MEDQUAD_DIR = Path(settings.PORTAL_DATA_DIR) / "medquad"
EDUCATION_DOCUMENTS = (
    "7_SeniorHealth_QA/0000062.xml",  # Shingles
    "4_MPlus_Health_Topics_QA/0000370.xml",  # Flu Shot
    "7_SeniorHealth_QA/0000036.xml",  # High Blood Pressure
)
OVERDUE_PATIENT = "1130164"
PATIENT_PASSWORD = "demo-patient-2026"
ADMIN_PASSWORD = "demo-admin-2026"
# The clinic's time zone, in which the Synthea records were written (+01:00/+02:00).
CLINIC_TIME_ZONE = "Europe/Berlin"
SCREENSHOTS = Path(settings.VAR_DIR) / "screenshots"


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.fixture
def clinic_time_zone():
    with override_settings(TIME_ZONE=CLINIC_TIME_ZONE):
        yield


@pytest.fixture
def education_index(tmp_path, transactional_db, content_admin):
    """A knowledge index of this test's own, holding three real approved MedQuAD documents
    (shingles, the flu shot, high blood pressure): never the developer's index."""
    from django.core.cache import cache
    from django.core.management import call_command

    if not MEDQUAD_DIR.is_dir():
        pytest.skip("MedQuAD corpus not available")
    root = tmp_path / "medquad"
    for relative in EDUCATION_DOCUMENTS:
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(MEDQUAD_DIR / relative, root / relative)
    with override_settings(KNOWLEDGE_INDEX_DIR=tmp_path / "index"):
        cache.clear()  # education links are cached by topic
        call_command(
            "import_medquad",
            str(root),
            "--approve-as",
            content_admin.username,
            "--no-progress",
            verbosity=0,
        )
        yield tmp_path / "index"
        cache.clear()


@pytest.fixture
def content_admin(transactional_db):
    from portal import roles
    from portal.services import staff_user_ensure

    return staff_user_ensure(
        username="admin.e2e",
        password=ADMIN_PASSWORD,
        role_names=(roles.ADMIN,),
        first_name="Ada",
        last_name="Admin",
        is_staff=True,
        is_superuser=True,
    ).user


@pytest.fixture
def overdue_patient(transactional_db, clinic_time_zone, content_admin, education_index):
    """Patient 1130164 imported with a login, and the shipped rules approved."""
    from knowledge.importers import load_rules
    from knowledge.preventive import DEFAULT_RULES_PATH
    from portal.models import Patient
    from portal.services import patient_import_bundle, patient_login_ensure

    result = patient_import_bundle(path=SYNTHEA_DIR / f"{OVERDUE_PATIENT}-bundle.json")
    patient = Patient.objects.get(pk=result.patient_id)
    user = patient_login_ensure(patient=patient, password=PATIENT_PASSWORD).user
    rules = json.loads(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))["rules"]
    load_rules(rules, approve_as=content_admin)
    return patient, user


def test_an_overdue_screening_is_on_my_health_first_and_plain(
    page, live_server, overdue_patient, login, screenshot
):
    _, user = overdue_patient
    page.set_viewport_size(DESKTOP)
    login(page, live_server, user.username, PATIENT_PASSWORD)
    expect(page).to_have_url(f"{live_server.url}/my-health/")

    panel = page.locator("#preventive-care")
    expect(panel.get_by_role("heading", name="Preventive care")).to_be_visible()
    # Overdue items lead the list, each visible without a click.
    expect(panel.locator(".pc-item").first).to_have_attribute("data-status", "overdue")
    first = panel.locator("#pc-diabetes-screening")
    expect(first.get_by_role("heading")).to_have_text("Prediabetes and type 2 diabetes screening")
    expect(first).to_be_visible()
    expect(first).to_contain_text("Overdue")
    expect(first).to_contain_text(
        "Your last blood sugar test (Hemoglobin A1c/Hemoglobin.total in Blood) was on 2023-09-19"
    )
    expect(first).to_contain_text("Last done: 19 September 2023")
    # Two doses of the old live vaccine are not the Shingrix course: due, and it says why.
    expect(panel.locator("#pc-zoster-vaccine")).to_contain_text("does not count")
    # Approved education about the item, when the knowledge base has some.
    learn = panel.locator("#pc-blood-pressure-screening .pc-learn a")
    expect(learn).to_have_text(re.compile(r"High Blood Pressure"))
    assert learn.get_attribute("href") == "http://nihseniorhealth.gov/highbloodpressure/toc.html"
    expect(first.locator(".pc-learn")).to_have_count(0)  # nothing approved about diabetes
    # What is up to date waits behind one click; what does not apply is not there at all.
    done = panel.locator("details.pc-done")
    colorectal = panel.locator("#pc-colorectal-cancer-screening")
    expect(colorectal).to_be_hidden()
    expect(panel).not_to_contain_text("Breast cancer")
    panel.scroll_into_view_if_needed()
    screenshot(page, "preventive-my-health-desktop")

    done.get_by_text("Up to date (2)").click()  # colonoscopy, Td
    expect(colorectal).to_be_visible()
    expect(colorectal).to_contain_text("Up to date")
    first.locator("summary", has_text="Why it matters").click()
    expect(first).to_contain_text("Recommendation:")
    screenshot(page, "preventive-my-health-open-desktop")

    page.set_viewport_size(PHONE)
    assert fits_the_screen(page)
    screenshot(page, "preventive-my-health-phone")
    panel.evaluate("el => el.scrollIntoView()")
    screenshot(page, "preventive-panel-phone-top", full_page=False)
    colorectal.evaluate("el => el.scrollIntoView()")
    screenshot(page, "preventive-panel-phone-done", full_page=False)
    panel.screenshot(
        path=str(Path(settings.VAR_DIR) / "screenshots" / "preventive-panel-phone.png")
    )


def test_the_content_admin_tries_the_rules_on_that_patient(
    page, live_server, overdue_patient, content_admin, login, screenshot
):
    from knowledge import services
    from knowledge.models import PreventiveRule

    patient, _ = overdue_patient
    page.set_viewport_size(DESKTOP)
    login(page, live_server, content_admin.username, ADMIN_PASSWORD)
    page.goto(f"{live_server.url}/preventive/try/")
    page.get_by_label("Patient", exact=True).select_option(value=str(patient.pk))
    page.get_by_label("As of").fill("2026-11-24")
    page.get_by_role("button", name="Show decisions").click()
    expect(page.get_by_role("heading", name=patient.full_name)).to_be_visible()
    expect(page.locator("tr[data-rule]")).to_have_count(29)
    row = page.locator("#rule-diabetes-screening")
    expect(row.locator(".try-approved")).to_contain_text("Overdue")
    expect(row.locator(".try-approved")).to_contain_text("2023-09-19 Hemoglobin A1c")
    expect(page.get_by_text("only the approved versions are shown")).to_be_visible()
    screenshot(page, "preventive-try-desktop")

    # A curator drafts a longer interval: the page shows what it would tell this patient.
    rule = PreventiveRule.objects.get(key="diabetes-screening")
    definition = {**rule.current_approved.definition, "interval_days": 1200}
    del definition["interval_by_condition"]  # he has prediabetes: yearly would still decide
    services.rule_edit(
        rule=rule, definition=definition, author=content_admin, note="Trial: 1200 days"
    )
    page.reload()
    expect(row).to_have_class(re.compile("try-changed"))
    expect(row.locator(".try-approved")).to_contain_text("Overdue")
    expect(row.locator(".try-pending")).to_contain_text("Up to date")
    expect(row.locator(".try-pending")).to_contain_text("v2 · Draft")
    expect(page.locator("#rule-zoster-vaccine .try-pending")).to_contain_text("No pending version")
    row.scroll_into_view_if_needed()
    screenshot(page, "preventive-try-pending-desktop", full_page=False)

    page.set_viewport_size(PHONE)
    assert fits_the_screen(page)
    row.evaluate("el => el.scrollIntoView()")
    screenshot(page, "preventive-try-phone", full_page=False)


def test_the_patient_asks_the_chat_what_is_due_and_gets_a_cited_personal_answer(
    overdue_patient, asgi_live_server, page, login, screenshot
):
    live_server = asgi_live_server
    _, user = overdue_patient
    page.set_viewport_size(DESKTOP)
    login(page, live_server, user.username, PATIENT_PASSWORD)
    expect(page.locator("#pc-diabetes-screening")).to_contain_text("Overdue")
    page.get_by_role("link", name="Ask the assistant about your health").click()
    expect(page.locator("#chat-connection")).to_have_attribute(
        "data-state", "online", timeout=10_000
    )

    page.locator("#chat-input").fill("what screenings am I due for?")
    page.locator("#chat-send").click()
    answer = page.locator('#chat-log li[data-role="assistant"]').last
    expect(answer).to_be_visible(timeout=30_000)
    # Personal: his own overdue items, in the engine's words, with his own dates.
    expect(answer).to_contain_text("Prediabetes and type 2 diabetes screening (overdue)")
    expect(answer).to_contain_text(
        "Your last blood sugar test (Hemoglobin A1c/Hemoglobin.total in Blood) was on 2023-09-19"
    )
    # Cited: the published recommendation behind it.
    sources = answer.locator(".citation-list li")
    expect(sources.first).to_be_visible()
    expect(answer.locator(".citations")).to_contain_text("USPSTF")
    # ... and approved education about it from the knowledge base.
    expect(answer.locator(".citations")).to_contain_text("High Blood Pressure")
    screenshot(page, "preventive-chat-desktop")

    page.set_viewport_size(PHONE)
    assert fits_the_screen(page)
    answer.evaluate("el => el.scrollIntoView()")
    screenshot(page, "preventive-chat-phone", full_page=False)
    page.goto("about:blank")  # close the socket while the database is still there

"""Accessibility: an axe-core scan of every page a patient, a nurse and an admin use, at desktop and
phone width, with no serious or critical violation.

axe-core comes inside axe-playwright-python (its `axe.min.js`), so the scan runs offline. Each page
is scanned in the state a person meets it in: the chat with a cited answer and an emergency in it,
the nurse's queue and thread with that escalation, the admin's index and try-out pages with a result
shown.
"""

from __future__ import annotations

import re

from axe_playwright_python.sync_playwright import Axe
from conftest import DESKTOP, NURSE_PASSWORD, PHONE
from playwright.sync_api import expect
from test_chat import (  # noqa: F401  (fixtures, shared with the chat tests)
    asgi_server,
    ask,
    chat_site,
    open_chat,
    small_index_dir,
)

AXE = Axe()
BLOCKING = ("serious", "critical")


def _violations(page, name: str) -> list[str]:
    """The serious and critical violations of the page as it is now, at both widths."""
    found = []
    for label, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        response = AXE.run(page).response
        for v in response["violations"]:
            if v["impact"] in BLOCKING:
                targets = [" ".join(n["target"]) for n in v["nodes"]][:3]
                found.append(f"{name} ({label}): {v['id']} [{v['impact']}] {targets}")
    page.set_viewport_size(DESKTOP)
    return found


def test_every_page_passes_an_axe_scan_at_desktop_and_phone_width(
    page,
    browser,
    chat_site,  # noqa: F811  (the fixture imported above)
    demo_patient,
    nurse_user,
    login,
):
    from assistant.models import Escalation
    from portal import roles
    from portal.services import staff_user_ensure

    found: list[str] = []
    page.goto(f"{chat_site.url}/accounts/login/")
    found += _violations(page, "sign-in")
    page.goto(f"{chat_site.url}/accounts/password_reset/")
    found += _violations(page, "password reset")

    # The patient: their record, then a chat with a cited answer and an emergency.
    login(page, chat_site, demo_patient.username, demo_patient.password)
    page.goto(f"{chat_site.url}/my-health/")
    found += _violations(page, "my health")
    open_chat(page, chat_site, lambda *a: None, demo_patient)  # already signed in
    ask(page, "What is asthma?")
    expect(page.locator("#chat-log details.citation").first).to_be_visible(timeout=20_000)
    ask(page, "I have crushing chest pain right now and my left arm is numb")
    expect(page.get_by_text("911").first).to_be_visible(timeout=20_000)
    found += _violations(page, "chat")

    # The nurse: the queue, the thread of that escalation, the dashboard and the audit log.
    nurse = browser.new_context(viewport=DESKTOP).new_page()
    login(nurse, chat_site, nurse_user.username, NURSE_PASSWORD)
    nurse.goto(f"{chat_site.url}/inbox/")
    expect(nurse.locator("#live-status")).to_have_text("Live", timeout=10_000)
    found += _violations(nurse, "inbox")
    escalation = Escalation.objects.latest("pk")
    nurse.goto(f"{chat_site.url}/inbox/{escalation.pk}/")
    expect(nurse.get_by_text(re.compile("crushing chest pain")).first).to_be_visible()
    found += _violations(nurse, "inbox thread")
    for path, name in (("dashboard/", "dashboard"), ("audit/", "audit log")):
        nurse.goto(f"{chat_site.url}/inbox/{path}")
        found += _violations(nurse, name)

    # The admin: the content and rule try-out pages, each with a result shown.
    staff_user_ensure(
        username="admin.axe",
        password="admin-axe-2026",
        role_names=(roles.ADMIN,),
        is_staff=True,
        is_superuser=True,
    )
    admin = browser.new_context(viewport=DESKTOP).new_page()
    login(admin, chat_site, "admin.axe", "admin-axe-2026")
    admin.goto(f"{chat_site.url}/knowledge/try/?question=What+is+asthma%3F")
    found += _violations(admin, "knowledge try-out")
    admin.goto(f"{chat_site.url}/preventive/try/")
    found += _violations(admin, "preventive try-out")
    admin.goto(f"{chat_site.url}/admin/")
    found += _violations(admin, "admin index")
    # Its curation tools are readable: each tool's name on one line beside its description (the
    # dashboard's one-line cells once squeezed the names to a letter a line).
    for label, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        admin.set_viewport_size(viewport)
        for link in admin.locator("#curation-tools th a").all():
            box = link.bounding_box()
            if box["height"] > 30:
                found.append(f"admin index ({label}): {link.inner_text()!r} wraps ({box})")

    assert not found, "\n".join(found)

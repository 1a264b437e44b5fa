"""The preventive-care panel on My health and the content admin's "try a patient" page, on the
30 Synthea patients imported into the database."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from preventive_fixtures import TODAY

from assistant.preventive.services import preventive_panel_context
from knowledge.models import PreventiveRule
from portal import roles
from portal.models import AuditEvent, Patient
from portal.services import patient_login_ensure
from tests.support import make_user


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def signed_in_as_patient(client, patient):
    patient = Patient.objects.get(pk=patient.pk)  # the module's copy stays without a login
    user = patient_login_ensure(patient=patient, password="pw-Portal-2026!").user
    client.force_login(user)
    return user


def item_html(page: str, key: str) -> str:
    """The HTML of one panel item, by rule key."""
    match = re.search(rf'<li class="pc-item[^"]*" id="pc-{key}".*?</li>', page, re.S)
    assert match, f"{key} is not shown"
    return match.group(0)


# --------------------------------------------------------------------------- My health


def test_my_health_shows_what_is_due_first_with_the_reason_and_the_last_date(
    client, db, demo_patients
):
    patient = demo_patients["1130164"]  # man of 58: diabetes screening overdue since 2024-09-19
    signed_in_as_patient(client, patient)
    page = client.get(reverse("my_health")).content.decode()

    assert 'id="pc-title">Preventive care</h2>' in page
    sugar = item_html(page, "diabetes-screening")
    assert 'data-status="overdue"' in sugar and ">Overdue</span>" in sugar
    assert (
        "Your last blood sugar test (Hemoglobin A1c/Hemoglobin.total in Blood) was on 2023-09-19"
        in sugar
    )
    assert "overdue since 2024-09-19" in sugar
    assert "19 September 2023" in sugar  # the last HbA1c and glucose

    # Due and overdue items come before the collapsed list of what is up to date.
    up_to_date = page.index('<details class="pc-done">')
    assert page.index('id="pc-diabetes-screening"') < up_to_date
    assert page.index('id="pc-pneumococcal-vaccine-50-plus"') < up_to_date  # due, never given
    # Two Zostavax doses are not the Shingrix course: due, saying why they do not count.
    assert page.index('id="pc-zoster-vaccine"') < up_to_date
    assert "which does not count towards this course" in item_html(page, "zoster-vaccine")
    assert page.index('id="pc-colorectal-cancer-screening"') > up_to_date  # colonoscopy 2023


def test_my_health_leaves_out_what_does_not_apply(client, db, demo_patients):
    patient = demo_patients["1130164"]  # a man who does not smoke
    signed_in_as_patient(client, patient)
    page = client.get(reverse("my_health")).content.decode()
    assert 'id="pc-diabetes-screening"' in page
    for key in ("breast-cancer-screening", "cervical-cancer-screening", "hpv-vaccine"):
        assert f'id="pc-{key}"' not in page
    assert "Quit" not in page and "tobacco" not in page.lower()


def test_the_panel_lists_every_rule_that_applies_in_the_engine_order(db, demo_patients):
    context = preventive_panel_context(demo_patients["1016810"], on=TODAY)
    todo = [(i["key"], i["status"]) for i in context["todo"]]
    # Overdue before due; the flu shot (last 2024-02-15) is overdue, the zoster vaccine due.
    assert ("influenza-vaccine", "overdue") in todo and ("zoster-vaccine", "due") in todo
    statuses = [status for _, status in todo]
    assert statuses == sorted(statuses, key=["overdue", "due"].index)
    assert {i["key"] for i in context["done"]} >= {
        "colorectal-cancer-screening",
        "pneumococcal-vaccine-50-plus",
    }


def test_a_deceased_patient_has_no_panel(db, demo_patients):
    deceased = next(p for p in demo_patients.values() if p.deceased_at is not None)
    assert preventive_panel_context(deceased, on=TODAY) is None


# --------------------------------------------------------------------------- try a patient


def test_try_a_patient_is_for_admins_only(client, db, demo_patients, nurse):
    url = reverse("preventive:try") + f"?patient={demo_patients['1130164'].pk}"
    assert client.get(url).status_code == 302  # signed out: to the sign-in page

    client.force_login(nurse)
    assert client.get(url).status_code == 403

    signed_in_as_patient(client, demo_patients["1130164"])
    assert client.get(url).status_code == 403
    assert not AuditEvent.objects.filter(action="preventive.try").exists()


def test_try_a_patient_shows_each_rule_with_its_reason_and_evidence(client, db, demo_patients):
    admin = make_user("rules.tryer", roles.ADMIN, is_staff=True)
    client.force_login(admin)
    patient = demo_patients["1130164"]
    page = client.get(reverse("preventive:try"), {"patient": patient.pk, "on": "2026-11-24"})
    assert page.status_code == 200
    html = page.content.decode()
    rows = re.findall(r'<tr id="rule-([a-z0-9-]+)"', html)
    assert rows == sorted(PreventiveRule.objects.values_list("key", flat=True))

    sugar = re.search(r'<tr id="rule-diabetes-screening".*?</tr>', html, re.S).group(0)
    assert "badge-overdue" in sugar and "since 2024-09-19" in sugar
    assert "2023-09-19" in sugar and "Evidence from the record" in sugar
    breast = re.search(r'<tr id="rule-breast-cancer-screening".*?</tr>', html, re.S).group(0)
    assert "Does not apply" in breast and "This applies to women" in breast

    event = AuditEvent.objects.get(action="preventive.try")
    assert event.patient_id == patient.pk and event.actor_id == admin.pk


def test_try_a_patient_shows_what_a_pending_edit_would_change(
    client, db, demo_patients, content_admin
):
    from knowledge import services

    rule = PreventiveRule.objects.get(key="td-tdap-vaccine")
    definition = {**rule.current_approved.definition, "interval_days": 4000}
    draft = services.rule_edit(rule=rule, definition=definition, author=content_admin)

    client.force_login(content_admin)
    patient = demo_patients["1008261"]  # Td 2016-07-29: overdue under the 10-year rule
    html = client.get(
        reverse("preventive:try"), {"patient": patient.pk, "on": "2026-11-24"}
    ).content.decode()
    row = re.search(r'<tr id="rule-td-tdap-vaccine"[^>]*>.*?</tr>', html, re.S).group(0)
    assert 'class="try-changed"' in row
    approved, pending = row.split('class="try-pending"')
    assert "badge-overdue" in approved and "badge-up_to_date" in pending
    assert f"v{draft.number} · Draft" in pending
    assert "1 pending version would change what this patient is told" in html
    # Nothing changed for the patient: the draft is not approved.
    assert "badge-overdue" in re.search(
        r'id="pc-td-tdap-vaccine".*?</li>',
        client_panel(demo_patients["1008261"]),
        re.S,
    ).group(0)


def client_panel(patient) -> str:
    from django.template.loader import render_to_string

    return render_to_string(
        "assistant/preventive/_panel.html",
        {"preventive": preventive_panel_context(patient, on=TODAY)},
    )


def test_try_a_patient_for_one_rule_from_its_admin_page(client, db, demo_patients):
    client.force_login(make_user("rules.tryer", roles.ADMIN, is_staff=True))
    patient = demo_patients["1008261"]
    html = client.get(
        reverse("preventive:try"), {"patient": patient.pk, "rule": "td-tdap-vaccine"}
    ).content.decode()
    assert re.findall(r'<tr id="rule-([a-z0-9-]+)"', html) == ["td-tdap-vaccine"]
    assert "until 2026-07-29" in html  # his Td of 2016-07-29 ran out this summer
    assert "Show every rule" in html


def test_try_a_deceased_patient_says_nothing_is_recommended(client, db, demo_patients):
    client.force_login(make_user("rules.tryer", roles.ADMIN, is_staff=True))
    deceased = next(p for p in demo_patients.values() if p.deceased_at is not None)
    html = client.get(reverse("preventive:try"), {"patient": deceased.pk}).content.decode()
    assert "has died or their record is closed" in html
    assert '<tr id="rule-' not in html


def test_the_nurse_sees_the_same_items_worded_for_staff(db, demo_patients):
    from django.template.loader import render_to_string

    patient = demo_patients["1130164"]
    for_patient = preventive_panel_context(patient, on=TODAY)
    for_staff = preventive_panel_context(patient, on=TODAY, audience="staff")
    assert for_staff["todo"] == for_patient["todo"] and for_staff["done"] == for_patient["done"]
    html = render_to_string("assistant/preventive/_panel.html", {"preventive": for_staff})
    assert "recommended for this patient" in html and "what the patient sees" in html
    assert "recommended for you" not in html
    assert "Last done:</dt> <dd>not in the record" in item_html(html, "depression-screening")

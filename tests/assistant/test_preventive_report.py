"""manage.py preventive_report, and the same answers on My health, in the chat and on the
admin's "try a patient" page.

A bundle needs no database (the tests without the `db` fixture would fail on any query); a
patient in the database reports exactly what their bundle reports, and every screen a patient
or an admin sees shows those same answers, each added rule with its source.
"""

from __future__ import annotations

import json
import re
from io import StringIO

import pytest
from answer_fakes import FakeRetriever, corpus_passages
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from preventive_fixtures import CLINIC_TIME_ZONE, TODAY

from assistant.answer.record_answers import RuleSource, preventive_reply
from assistant.answer.types import PatientContext
from assistant.context import preventive_for
from knowledge.preventive import evaluate, load_default_rules
from portal import roles
from portal.models import Patient
from portal.services import patient_login_ensure
from tests.knowledge.synthea_facts import SYNTHEA_DIR, bundle_paths, facts_from_bundle, load_bundle
from tests.support import make_user

RULES = load_default_rules()
ADDED = {
    "tdap-adult-once",
    "hepatitis-c-screening",
    "hiv-screening",
    "lung-cancer-screening",
    "aaa-screening",
    "osteoporosis-screening",
    "osteoporosis-screening-postmenopausal",
    "anxiety-screening",
    "alcohol-use-screening",
    "drug-use-screening",
    "falls-prevention",
    "statin-preventive-medication",
    "hepatitis-b-vaccine",
    "rsv-vaccine-75-plus",
    "rsv-vaccine-50-74-risk",
}


def report(**options) -> list[dict]:
    out = StringIO()
    call_command("preventive_report", json=True, stdout=out, **options)
    return json.loads(out.getvalue())


def report_text(**options) -> str:
    out = StringIO()
    call_command("preventive_report", stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def clinic_days(settings):
    settings.TIME_ZONE = CLINIC_TIME_ZONE  # the zone Synthea wrote the demo records in


# --------------------------------------------------------------------------- no database


def test_a_bundle_is_reported_without_a_database_exactly_as_the_engine_decides(clinic_days):
    for path in bundle_paths():
        got = report(bundle=str(path), on=TODAY.isoformat())
        facts = facts_from_bundle(load_bundle(path), on=TODAY)
        assert got == [r.to_dict() for r in evaluate(facts=facts, rules=RULES, on=TODAY)], path
    living = report(bundle=str(SYNTHEA_DIR / "1130164-bundle.json"), on=TODAY.isoformat())
    assert len(living) == len(RULES)
    assert {"key", "status", "reason", "due_since", "up_to_date_until", "last_done"} <= set(
        living[0]
    )
    assert {item["status"] for item in living} == {"due", "overdue", "up_to_date", "not_applicable"}
    zoster = next(item for item in living if item["key"] == "zoster-vaccine")
    assert zoster["status"] == "due" and zoster["due_since"] == "2018-08-20"
    assert zoster["source"]["year"] == 2025 and zoster["source"]["url"].startswith("https://")


def test_a_deceased_patient_gets_an_empty_list(clinic_days):
    # 1073314's bundle carries Patient.deceasedDateTime.
    deceased = [p for p in bundle_paths() if '"deceasedDateTime"' in p.read_text(encoding="utf-8")]
    assert report(bundle=str(deceased[0]), on=TODAY.isoformat()) == []
    assert "has died or the record is closed" in report_text(
        bundle=str(deceased[0]), on=TODAY.isoformat()
    )


def test_the_text_report_gives_each_answer_what_it_needs_and_its_source(clinic_days):
    text = report_text(bundle=str(SYNTHEA_DIR / "1113527-bundle.json"), on="2026-11-24")
    assert "as of 2026-11-24" in text
    assert "[DUE] Shingles vaccine (zoster-vaccine)" in text
    assert "[NOT APPLICABLE] Lung cancer screening (low-dose CT) (lung-cancer-screening)" in text
    assert "Needs: how many pack-years you have smoked; how many years ago you quit smoking" in text
    assert (
        "Source: USPSTF: Lung Cancer: Screening (2021, B) "
        "https://www.uspreventiveservicestaskforce.org/uspstf/recommendation/lung-cancer-screening"
    ) in text
    assert re.search(r"\d+ overdue, \d+ due, \d+ up to date, \d+ not applicable \(29 rules\)", text)


def test_bad_arguments_are_refused_with_a_reason(tmp_path, clinic_days):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        report(bundle=str(SYNTHEA_DIR / "1113527-bundle.json"), on="24/11/2026")
    broken = tmp_path / "broken.json"
    broken.write_text("{}", encoding="utf-8")
    with pytest.raises(CommandError, match=r"broken\.json"):
        report(bundle=str(broken))
    with pytest.raises(CommandError):
        call_command("preventive_report")  # neither --bundle nor --mrn


# --------------------------------------------------------------------------- the database


def test_a_patient_in_the_database_reports_what_their_bundle_reports(db, demo_patients):
    for name in ("1130164", "1113527", "1270752", "1453226", "1090122"):
        patient = demo_patients[name]
        assert patient.mrn, name
        by_mrn = report(mrn=patient.mrn, on=TODAY.isoformat())
        by_bundle = report(bundle=str(SYNTHEA_DIR / f"{name}-bundle.json"), on=TODAY.isoformat())
        assert by_mrn == by_bundle, name


def test_an_unknown_mrn_is_refused(db, demo_patients):
    with pytest.raises(CommandError, match="No patient has the MRN"):
        report(mrn="no-such-mrn")


# --------------------------------------------------------------------------- every screen agrees


def signed_in_as_patient(client, patient):
    patient = Patient.objects.get(pk=patient.pk)
    user = patient_login_ensure(patient=patient, password="pw-Portal-2026!").user
    client.force_login(user)


def item_html(page: str, key: str) -> str:
    match = re.search(rf'<li class="pc-item[^"]*" id="pc-{key}".*?</li>', page, re.S)
    assert match, f"{key} is not shown"
    return match.group(0)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.mark.parametrize("name", ["1113527", "1130164", "1275140"])
def test_my_health_the_chat_and_try_a_patient_show_the_reports_answers(
    client, db, demo_patients, name
):
    patient = demo_patients[name]
    today = timezone.localdate()
    answers = report(mrn=patient.mrn, on=today.isoformat())
    shown = {a["key"]: a for a in answers if a["status"] != "not_applicable" or a["needs"]}
    assert shown.keys() & ADDED, "the added rules reach this patient"

    # My health: every answer that applies, or needs something, with its source and year.
    signed_in_as_patient(client, patient)
    page = client.get(reverse("my_health")).content.decode()
    for key, answer in shown.items():
        item = item_html(page, key)
        assert f'data-status="{answer["status"]}"' in item, key
        assert f"{answer['source']['name']} ({answer['source']['year']})" in item, key
        for need in answer["needs"]:
            assert need in item, key
    for key in {a["key"] for a in answers} - shown.keys():
        assert f'id="pc-{key}"' not in page, key

    # The chat: the same items, each citing the rule's source.
    context = PatientContext(preventive=preventive_for(patient))
    reply = preventive_reply(
        patient=context, retriever=FakeRetriever(corpus_passages()), question="what is due?"
    )
    meta = reply.meta
    assert set(meta["due"]) == {k for k, a in shown.items() if a["status"] in ("due", "overdue")}
    assert set(meta["up_to_date"]) == {k for k, a in shown.items() if a["status"] == "up_to_date"}
    assert set(meta["needs_information"]) == {
        k for k, a in shown.items() if a["status"] == "not_applicable"
    }
    cited = {c.key: c for c in reply.cited if isinstance(c, RuleSource)}
    assert set(cited) == set(shown)
    for key, citation in cited.items():
        assert citation.year == shown[key]["source"]["year"]
        assert citation.url == shown[key]["source"]["url"]
        assert f"{citation.title}: " in reply.text or f"{citation.title} (" in reply.text

    # Try a patient: the approved version of each rule decides the same.
    client.force_login(make_user(f"rules.{name}", roles.ADMIN, is_staff=True))
    html = client.get(
        reverse("preventive:try"), {"patient": patient.pk, "on": today.isoformat()}
    ).content.decode()
    for answer in answers:
        cell = re.search(
            rf'<tr id="rule-{answer["key"]}".*?<td class="try-approved">(.*?)</td>', html, re.S
        ).group(1)
        assert f"badge-{answer['status']}" in cell, answer["key"]
        assert answer["source"]["url"] in cell, answer["key"]

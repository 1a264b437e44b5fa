"""Every preventive-care rule added for the adult schedule reaches the patient: on My health and in
the chat, each with the recommendation it comes from.

Three patients are imported as FHIR bundles through the portal's importer (the path a real
record takes), and the shipped rules are loaded and approved as curated content. Between them
they are due for every added rule, or (pack-years, the 10-year heart risk) told what the care
team needs to know to decide.
"""

from __future__ import annotations

import json
import re

import pytest
from answer_fakes import FakeRetriever, corpus_passages
from django.urls import reverse
from django.utils import timezone

from assistant.answer.pipeline import answer_question
from assistant.context import patient_context
from knowledge.importers import load_rules
from knowledge.preventive import DEFAULT_RULES_PATH, load_default_rules
from portal.models import Patient
from portal.services import patient_import_bundle, patient_login_ensure

ADDED = {
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
    "tdap-adult-once",
}
RULES = {rule.key: rule for rule in load_default_rules()}
SMOKING_STATUS = ("72166-2", "Tobacco smoking status", "8517006", "Ex-smoker (finding)")


def _born(age: int) -> str:
    """A birth date that gives `age` today, whatever day the suite runs."""
    today = timezone.localdate()
    return (
        f"{today.year - age - 1}-{today.month:02d}-01"
        if today.day == 1
        else (f"{today.year - age}-{today.month:02d}-01")
    )


def _bundle(pid: str, gender: str, age: int, conditions=(), observations=()) -> dict:
    subject = {"reference": f"urn:uuid:{pid}"}
    entries = [
        {
            "fullUrl": f"urn:uuid:{pid}",
            "resource": {
                "resourceType": "Patient",
                "id": pid,
                "name": [{"use": "official", "family": "Rulecheck", "given": [pid.title()]}],
                "gender": gender,
                "birthDate": _born(age),
            },
        }
    ]
    for n, (code, display) in enumerate(conditions):
        entries.append(
            {
                "fullUrl": f"urn:uuid:{pid}-c{n}",
                "resource": {
                    "resourceType": "Condition",
                    "id": f"{pid}-c{n}",
                    "clinicalStatus": {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                "code": "active",
                            }
                        ]
                    },
                    "code": {
                        "coding": [
                            {"system": "http://snomed.info/sct", "code": code, "display": display}
                        ],
                        "text": display,
                    },
                    "subject": subject,
                    "onsetDateTime": "2015-03-01T10:00:00+01:00",
                },
            }
        )
    for n, (loinc, display, value_code, value_display) in enumerate(observations):
        entries.append(
            {
                "fullUrl": f"urn:uuid:{pid}-o{n}",
                "resource": {
                    "resourceType": "Observation",
                    "id": f"{pid}-o{n}",
                    "status": "final",
                    "code": {
                        "coding": [
                            {"system": "http://loinc.org", "code": loinc, "display": display}
                        ],
                        "text": display,
                    },
                    "subject": subject,
                    "effectiveDateTime": "2025-06-01T10:00:00+01:00",
                    "valueCodeableConcept": {
                        "coding": [
                            {
                                "system": "http://snomed.info/sct",
                                "code": value_code,
                                "display": value_display,
                            }
                        ],
                        "text": value_display,
                    },
                },
            }
        )
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


PEOPLE = {
    # A man of 68 who used to smoke, treated for high blood pressure, who has fallen.
    "arlo": _bundle(
        "arlo",
        "male",
        68,
        conditions=[
            ("59621000", "Essential hypertension (disorder)"),
            ("161898004", "History of fall (situation)"),
        ],
        observations=[SMOKING_STATUS],
    ),
    # A woman of 55 after menopause, with COPD.
    "bea": _bundle(
        "bea",
        "female",
        55,
        conditions=[
            ("76498008", "Postmenopausal state (finding)"),
            ("13645005", "Chronic obstructive lung disease (disorder)"),
        ],
    ),
    # A woman of 77.
    "cleo": _bundle("cleo", "female", 77),
}
# Where each added rule shows, and whether as due or as something the care team must find out.
EXPECTED = {
    "aaa-screening": ("arlo", "todo"),
    "alcohol-use-screening": ("arlo", "todo"),
    "drug-use-screening": ("arlo", "todo"),
    "falls-prevention": ("arlo", "todo"),
    "hepatitis-c-screening": ("arlo", "todo"),
    "tdap-adult-once": ("arlo", "todo"),
    "lung-cancer-screening": ("arlo", "to_check"),
    "statin-preventive-medication": ("arlo", "to_check"),
    "anxiety-screening": ("bea", "todo"),
    "hepatitis-b-vaccine": ("bea", "todo"),
    "hiv-screening": ("bea", "todo"),
    "osteoporosis-screening-postmenopausal": ("bea", "todo"),
    "rsv-vaccine-50-74-risk": ("bea", "todo"),
    "osteoporosis-screening": ("cleo", "todo"),
    "rsv-vaccine-75-plus": ("cleo", "todo"),
}


def test_the_expectations_cover_every_added_rule():
    assert set(EXPECTED) == ADDED
    assert set(RULES) >= ADDED


@pytest.fixture
def people(db, tmp_path, settings):
    from portal import roles
    from tests.support import make_user

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.KNOWLEDGE_INDEX_DIR = tmp_path / "index"
    admin = make_user("rules.curator", roles.ADMIN, is_staff=True)
    load_rules(json.loads(DEFAULT_RULES_PATH.read_text("utf-8"))["rules"], approve_as=admin)
    imported = {}
    for name, bundle in PEOPLE.items():
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(bundle), encoding="utf-8")
        imported[name] = Patient.objects.get(pk=patient_import_bundle(path=path).patient_id)
    return imported


def _item_html(page: str, key: str) -> str:
    match = re.search(rf'<li class="pc-item[^"]*" id="pc-{key}".*?</li>', page, re.S)
    assert match, f"{key} is not on My health"
    return match.group(0)


@pytest.mark.parametrize("name", sorted(PEOPLE))
def test_my_health_shows_each_added_rule_with_its_source(client, people, name):
    patient = people[name]
    client.force_login(patient_login_ensure(patient=patient, password="pw-Portal-2026!").user)
    page = client.get(reverse("my_health")).content.decode()
    for key in sorted(k for k, (who, _) in EXPECTED.items() if who == name):
        rule = RULES[key]
        html = _item_html(page, key)
        assert rule.title.replace("'", "&#x27;") in html
        assert rule.source.url in html, f"{key}: no link to its recommendation"


@pytest.mark.parametrize("name", sorted(PEOPLE))
def test_the_chat_lists_each_added_rule_and_cites_its_recommendation(people, name):
    context = patient_context(people[name])
    answer = answer_question(
        text="what preventive care am I due for?",
        patient=context,
        retriever=FakeRetriever(corpus_passages()),
    )
    assert answer.kind == "record"
    cited = {c.section_id: c for c in answer.citations if c.kind == "rule"}
    for key in sorted(k for k, (who, _) in EXPECTED.items() if who == name):
        rule = RULES[key]
        lines = [line for line in answer.text.splitlines() if rule.title in line]
        assert lines, f"{key} is not in the chat answer"
        assert key in cited, f"{key} is listed without its recommendation"
        assert cited[key].url == rule.source.url
        assert f"[{cited[key].n}]" in lines[0]


def test_what_the_record_lacks_is_asked_for_not_guessed(people):
    from assistant.preventive.services import preventive_panel_context

    panel = preventive_panel_context(people["arlo"])
    to_check = {item["key"]: item for item in panel["to_check"]}
    assert "pack-years" in " ".join(to_check["lung-cancer-screening"]["needs"])
    assert "10-year risk" in " ".join(to_check["statin-preventive-medication"]["needs"])
    todo = {item["key"] for item in panel["todo"]}
    for key, (who, where) in EXPECTED.items():
        if who == "arlo":
            assert (key in todo) == (where == "todo"), key

"""The record an answer is personalised with is worked out once per change, never served stale.

Every answer reads the patient's context (active conditions, medicines, plans, allergies and the
preventive-care results); for a real record that was most of an answer's database time. It is kept
between answers, and must change as soon as the record is imported again, a row of it changes, a
rule is approved, or the day turns.
"""

from __future__ import annotations

import copy
import json
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assistant import context as context_module
from assistant.context import patient_context
from portal.models import Condition, Patient
from portal.services import patient_import_bundle
from tests.portal.portal_fixtures import bundle_files, is_living, patient_resource, raw_bundle

pytestmark = pytest.mark.django_db


def _living_bundle():
    return next(path for path in bundle_files() if is_living(path))


@pytest.fixture
def imported(tmp_path):
    source = _living_bundle()
    patient_import_bundle(path=source)
    patient = Patient.objects.get(fhir_id=patient_resource(source)["id"])
    return source, patient


def _queries(fn) -> int:
    with CaptureQueriesContext(connection) as seen:
        fn()
    return len(seen.captured_queries)


def test_a_second_answer_does_not_read_the_record_again(imported):
    _, patient = imported
    first = _queries(lambda: patient_context(patient))
    again = _queries(lambda: patient_context(Patient.objects.get(pk=patient.pk))) - 1
    assert first >= 6  # conditions, medicines, plans, allergies and the preventive facts
    assert again <= 2  # the rules in force and the record's version, nothing of the record
    assert patient_context(patient) == patient_context(Patient.objects.get(pk=patient.pk))


def test_a_new_import_of_the_record_is_seen_by_the_next_answer(imported, tmp_path):
    source, patient = imported
    before = patient_context(patient)
    bundle = copy.deepcopy(raw_bundle(source))
    active = [
        e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "Condition"
        and e["resource"]["clinicalStatus"]["coding"][0]["code"] == "active"
    ]
    resolved = active[0]
    resolved["clinicalStatus"]["coding"][0]["code"] = "resolved"
    resolved["abatementDateTime"] = "2026-01-15T10:00:00+01:00"
    edited = tmp_path / source.name
    edited.write_text(json.dumps(bundle))
    name = Condition.objects.get(fhir_id=resolved["id"]).plain_name

    patient_import_bundle(path=edited)

    # The caller's copy of the patient is the one from before the import, as a worker's may be.
    after = patient_context(patient)
    assert name in before.conditions
    assert name not in after.conditions


def test_a_record_row_saved_on_its_own_is_seen(imported):
    _, patient = imported
    assert "Gout" not in patient_context(patient).conditions
    Condition.objects.create(
        patient=patient,
        fhir_id="added-by-hand",
        display="Gout (disorder)",
        clinical_status="active",
    )
    assert "Gout" in patient_context(patient).conditions
    Condition.objects.filter(fhir_id="added-by-hand").get().delete()
    assert "Gout" not in patient_context(patient).conditions


def test_a_change_to_the_patient_row_is_seen(imported):
    _, patient = imported
    age = patient_context(patient).age
    stored = Patient.objects.get(pk=patient.pk)
    stored.birth_date = stored.birth_date - timedelta(days=366 * 10)
    stored.save()
    assert patient_context(patient).age == age + 10


def test_the_day_turning_is_seen(imported, monkeypatch):
    _, patient = imported
    today = patient_context(patient)
    birth = Patient.objects.get(pk=patient.pk).birth_date
    next_birthday = date(date.today().year + 1, birth.month, min(birth.day, 28))
    monkeypatch.setattr(context_module.timezone, "localdate", lambda: next_birthday)
    later = patient_context(patient)
    assert later.age == next_birthday.year - birth.year
    assert later.age != today.age or next_birthday.year - birth.year == today.age


def test_a_rule_approved_or_retired_is_seen(imported):
    from knowledge import services as curation
    from knowledge.importers import load_rules
    from knowledge.models import PreventiveRuleVersion, ReviewState
    from knowledge.preventive import DEFAULT_RULES_PATH
    from portal import roles
    from tests.support import make_user

    _, patient = imported
    assert patient_context(patient).preventive in ((), None)
    admin = make_user("rules.approver", roles.ADMIN, is_staff=True)
    document = json.loads(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))
    load_rules(document["rules"], approve_as=admin)
    with_rules = patient_context(patient).preventive
    assert with_rules, "the approved rules apply to a living adult"
    applied = {r.rule.key for r in with_rules}
    first = PreventiveRuleVersion.objects.filter(
        state=ReviewState.APPROVED, rule__key__in=applied
    ).first()
    curation.version_retire(version=first, user=admin)
    assert first.rule.key not in {r.rule.key for r in patient_context(patient).preventive or ()}

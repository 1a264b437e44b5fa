"""Preventive care from the database: the 30 Synthea patients imported through the portal.

The decisions must be exactly those the engine makes from the raw bundles (which proves the
import keeps everything preventive care needs), and only approved rules may decide.
"""

from __future__ import annotations

from datetime import date

from preventive_fixtures import TODAY

from assistant.preventive.services import patient_facts, preventive_results
from knowledge.preventive import Status, evaluate, load_default_rules
from portal.models import Patient
from portal.services import patient_import_bundle
from tests.knowledge.synthea_facts import bundle_paths, facts_from_bundle

RULES = load_default_rules()


def decisions(results) -> list[dict]:
    return [r.to_dict() for r in results]


def test_database_facts_decide_exactly_like_the_raw_bundles(db, demo_patients, bundles):
    compared = 0
    for name, bundle in bundles.items():
        raw = evaluate(facts=facts_from_bundle(bundle, on=TODAY), rules=RULES, on=TODAY)
        facts = patient_facts(demo_patients[name], on=TODAY)
        from_db = evaluate(facts=facts, rules=RULES, on=TODAY)
        assert decisions(from_db) == decisions(raw), name
        compared += len(raw)
    assert compared == 22 * len(RULES)  # 22 living patients, every rule decided for each


def test_the_approved_rules_give_the_same_decisions_as_the_rule_file(db, demo_patients, bundles):
    for name, bundle in bundles.items():
        raw = evaluate(facts=facts_from_bundle(bundle, on=TODAY), rules=RULES, on=TODAY)
        results = preventive_results(demo_patients[name], on=TODAY)
        if raw == []:
            assert results is None, f"{name} is deceased: nothing may be recommended"
        else:
            assert decisions(results) == decisions(raw), name


def test_deceased_patients_get_nothing(db, demo_patients, bundles):
    deceased = [p for p in demo_patients.values() if p.deceased_at is not None]
    assert len(deceased) == 8  # the bundles carry Patient.deceasedDateTime in 8 of the 30
    for patient in deceased:
        assert preventive_results(patient, on=TODAY) is None, patient.source_file


def test_a_closed_record_gets_nothing(db, demo_patients):
    patient = Patient.objects.get(pk=demo_patients["1130164"].pk)  # a copy of our own to change
    assert preventive_results(patient, on=TODAY)
    patient.active = False
    patient.save(update_fields=["active"])
    assert preventive_results(patient, on=TODAY) is None


def test_facts_take_five_queries_however_long_the_record(
    db, demo_patients, django_assert_num_queries
):
    patient = demo_patients["1016810"]  # one of the longest records
    with django_assert_num_queries(5):  # conditions, immunizations, procedures, observations,
        # and active prescriptions (a statin counts as preventive medication)
        facts = patient_facts(patient, on=TODAY)
    in_record = (
        patient.immunizations.filter(status="completed").count()
        + patient.procedures.filter(status="completed").count()
        + patient.observations.filter(status__in=("final", "amended", "corrected")).count()
        + patient.medications.filter(status="active").count()
    )
    assert len(facts.entries) == in_record > 100
    with django_assert_num_queries(6):  # plus the approved rules
        preventive_results(patient, on=TODAY)


# --------------------------------------------------------------------------- hand-checked
# Read from the raw bundles, as in tests/knowledge/test_preventive_synthea.py; here the facts
# come from the database and the rules from the approved versions.


def result(demo_patients, name: str, key: str):
    results = preventive_results(demo_patients[name], on=TODAY)
    return next(r for r in results if r.rule.key == key)


def test_1016810_man_of_70_with_two_colonoscopies_and_two_pneumococcal_shots(db, demo_patients):
    colorectal = result(demo_patients, "1016810", "colorectal-cancer-screening")
    assert colorectal.status == Status.UP_TO_DATE  # colonoscopies 2016-11-06, 2021-11-05
    assert colorectal.up_to_date_until == date(2031, 11, 5)
    assert "(Colonoscopy) was on 2021-11-05" in colorectal.reason

    pneumococcal = result(demo_patients, "1016810", "pneumococcal-vaccine-50-plus")
    # PCV13 2022-02-03 (at 65), PPSV23 2023-02-09 (at 66): the course CDC accepted before
    # PCV20/PCV21 is complete; another dose is only a shared decision, not a need.
    assert pneumococcal.status == Status.UP_TO_DATE
    assert pneumococcal.last_done == date(2023, 2, 9)
    assert "23 valent" in pneumococcal.reason

    zoster = result(demo_patients, "1016810", "zoster-vaccine")
    assert zoster.status == Status.DUE  # no zoster vaccine in the bundle
    # He turned 50 on 2006-11-08; Shingrix was recommended from 2018-01-26, not before.
    assert zoster.due_since == date(2018, 1, 26)
    assert "due since 2018-01-26" in zoster.reason

    flu = result(demo_patients, "1016810", "influenza-vaccine")
    assert flu.status == Status.OVERDUE  # last flu shot 2024-02-15
    assert flu.due_since == date(2026, 8, 1)
    assert "was on 2024-02-15, in an earlier season" in flu.reason


def test_1090122_woman_of_68_never_had_a_mammogram_on_record(db, demo_patients):
    breast = result(demo_patients, "1090122", "breast-cancer-screening")
    assert breast.status == Status.DUE
    assert breast.due_since == date(1998, 7, 4)
    assert "found no mammogram" in breast.reason

    lipids = result(demo_patients, "1090122", "lipid-screening")
    assert lipids.status == Status.UP_TO_DATE  # lipid panels 2020-09-11, 2023-09-29
    assert lipids.up_to_date_until == date(2028, 9, 28)
    assert "was on 2023-09-29" in lipids.reason


def test_1453226_man_of_38_with_diabetes(db, demo_patients):
    pneumococcal = result(demo_patients, "1453226", "pneumococcal-vaccine-risk-19-49")
    assert pneumococcal.status == Status.DUE  # diabetes since 2013, no pneumococcal vaccine
    assert pneumococcal.due_since == date(2013, 10, 1)  # the diabetes onset, not his 19th birthday
    assert '"Diabetes"' in pneumococcal.reason

    screening = result(demo_patients, "1453226", "diabetes-screening")
    assert screening.status == Status.NOT_APPLICABLE  # he already has diabetes
    assert '"Diabetes"' in screening.reason


def test_1346734_who_turned_18_this_year(db, demo_patients):
    pressure = result(demo_patients, "1346734", "blood-pressure-screening")
    assert pressure.status == Status.DUE  # last check 2024-02-13, at 16
    assert pressure.due_since == date(2026, 1, 1)
    assert pressure.last_done == date(2024, 2, 13)

    hpv = result(demo_patients, "1346734", "hpv-vaccine")
    assert hpv.status == Status.UP_TO_DATE  # HPV4 2019-01-15 (age 11), 2020-01-21, 2021-01-26
    assert "both doses" in hpv.reason and "completed on 2020-01-21" in hpv.reason


def test_1130164_man_of_58_with_a_recent_colonoscopy(db, demo_patients):
    colorectal = result(demo_patients, "1130164", "colorectal-cancer-screening")
    assert colorectal.status == Status.UP_TO_DATE  # colonoscopies 2018-08-21, 2023-08-20
    assert colorectal.up_to_date_until == date(2033, 8, 19)

    zoster = result(demo_patients, "1130164", "zoster-vaccine")
    # Two doses of the old live vaccine (Zostavax, CVX 121) on 2018-08-21 and 2019-08-27: CDC
    # asks for 2 Shingrix doses whatever was given before, so he is due, not "both doses done".
    assert zoster.status == Status.DUE
    assert zoster.evidence == ()
    assert zoster.due_since == date(2018, 8, 20)  # his 50th birthday, after Shingrix came in
    assert "Zoster live (Zostavax) on 2018-08-21 and 2019-08-27, which does not count" in (
        zoster.reason
    )

    sugar = result(demo_patients, "1130164", "diabetes-screening")
    # Prediabetes since 2019-08-27: checked yearly, so the HbA1c of 2023-09-19 ran out in 2024.
    assert sugar.status == Status.OVERDUE
    assert sugar.due_since == date(2024, 9, 19)
    assert "until 2024-09-18" in sugar.reason and '"Prediabetes"' in sugar.reason
    assert [e.code for e in sugar.evidence] == ["4548-4"]  # the HbA1c, not the random glucose


def test_1008261_tetanus_booster_ran_out_this_summer(db, demo_patients):
    tetanus = result(demo_patients, "1008261", "td-tdap-vaccine")
    assert tetanus.status == Status.OVERDUE  # Td 2016-07-29
    assert tetanus.due_since == date(2026, 7, 30)
    assert "until 2026-07-29" in tetanus.reason


# --------------------------------------------------------------------------- changes


def test_importing_the_records_again_changes_no_decision(db, demo_patients):
    before = {
        name: decisions(preventive_results(p, on=TODAY) or []) for name, p in demo_patients.items()
    }
    for path in bundle_paths():
        outcome = patient_import_bundle(path=path)
        assert not outcome.changed, path.name
    after = {
        name: decisions(preventive_results(p, on=TODAY) or []) for name, p in demo_patients.items()
    }
    assert after == before


def test_a_rule_edit_changes_nothing_until_it_is_approved(db, demo_patients, content_admin):
    from knowledge import services
    from knowledge.models import PreventiveRule, ReviewState

    patient = demo_patients["1008261"]
    rule = PreventiveRule.objects.get(key="td-tdap-vaccine")
    in_force = rule.current_approved
    definition = {**in_force.definition, "interval_days": 4000}  # about 11 years of cover

    draft = services.rule_edit(
        rule=rule, definition=definition, author=content_admin, note="Longer cover"
    )
    assert draft.number == in_force.number + 1 and draft.state == ReviewState.DRAFT
    tetanus = result(demo_patients, "1008261", "td-tdap-vaccine")
    assert tetanus.status == Status.OVERDUE  # still the approved 10 years

    services.version_submit(version=draft, user=content_admin)
    assert result(demo_patients, "1008261", "td-tdap-vaccine").status == Status.OVERDUE

    services.version_approve(version=draft, reviewer=content_admin)
    tetanus = result(demo_patients, "1008261", "td-tdap-vaccine")
    assert tetanus.status == Status.UP_TO_DATE  # Td 2016-07-29 + 4000 days
    assert tetanus.up_to_date_until == date(2027, 7, 12)
    assert preventive_results(patient, on=TODAY)  # and the other rules still decide

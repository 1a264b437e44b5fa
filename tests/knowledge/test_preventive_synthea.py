"""The shipped preventive rules on the 30 real Synthea demo patients, as of 2026-11-24.

The hand-checked cases below were read from the raw bundles (dates of the immunizations,
procedures and labs), not from the engine's output.
"""

from __future__ import annotations

from datetime import date

import pytest

from knowledge.preventive import RuleResult, Status, evaluate, load_default_rules
from tests.knowledge.synthea_facts import bundle_paths, facts_from_bundle, load_bundle

TODAY = date(2026, 11, 24)
RULES = load_default_rules()


@pytest.fixture(scope="module")
def bundles() -> dict[str, dict]:
    paths = bundle_paths()
    assert len(paths) == 30, "the demo data folder should hold the 30 Synthea bundles"
    return {path.name.removesuffix("-bundle.json"): load_bundle(path) for path in paths}


@pytest.fixture(scope="module")
def outcomes(bundles) -> dict[str, list[RuleResult]]:
    return {
        name: evaluate(facts=facts_from_bundle(bundle, on=TODAY), rules=RULES, on=TODAY)
        for name, bundle in bundles.items()
    }


def _patient(bundle: dict) -> dict:
    return next(
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"
    )


@pytest.fixture(scope="module")
def deceased(bundles) -> set[str]:
    return {name for name, bundle in bundles.items() if "deceasedDateTime" in _patient(bundle)}


def result(outcomes, patient: str, key: str) -> RuleResult:
    return next(r for r in outcomes[patient] if r.rule.key == key)


def test_deceased_patients_get_nothing(outcomes, deceased):
    # The data README says 9; the bundles carry Patient.deceasedDateTime in 8 of them.
    assert len(deceased) == 8
    for name in deceased:
        assert outcomes[name] == [], name


def test_every_living_patient_has_something_to_do(outcomes, deceased):
    for name, results in outcomes.items():
        if name in deceased:
            continue
        assert len(results) == len(RULES), name
        assert any(r.status in (Status.DUE, Status.OVERDUE) for r in results), name


def test_every_living_patient_but_one_has_something_up_to_date(outcomes, deceased):
    nothing_current = {
        name
        for name, results in outcomes.items()
        if name not in deceased and not any(r.status == Status.UP_TO_DATE for r in results)
    }
    # 1008261's newest long-lasting item, a Td shot on 2016-07-29, ran out on 2026-07-29;
    # everything else in his record is yearly and from 2022 at the latest.
    assert nothing_current == {"1008261"}


def test_the_codes_synthea_uses_are_counted_by_the_right_rule(bundles):
    expected = {
        ("http://hl7.org/fhir/sid/cvx", "140"): "influenza-vaccine",
        ("http://hl7.org/fhir/sid/cvx", "113"): "td-tdap-vaccine",
        ("http://hl7.org/fhir/sid/cvx", "115"): "td-tdap-vaccine",
        ("http://hl7.org/fhir/sid/cvx", "121"): "zoster-vaccine",
        ("http://hl7.org/fhir/sid/cvx", "33"): "pneumococcal-vaccine-50-plus",
        ("http://hl7.org/fhir/sid/cvx", "133"): "pneumococcal-vaccine-50-plus",
        ("http://hl7.org/fhir/sid/cvx", "62"): "hpv-vaccine",
        ("http://snomed.info/sct", "73761001"): "colorectal-cancer-screening",
        ("http://snomed.info/sct", "104435004"): "colorectal-cancer-screening",
        ("http://loinc.org", "57905-2"): "colorectal-cancer-screening",
        ("http://loinc.org", "85354-9"): "blood-pressure-screening",
        ("http://loinc.org", "2093-3"): "lipid-screening",
        ("http://loinc.org", "18262-6"): "lipid-screening",
        ("http://loinc.org", "2085-9"): "lipid-screening",
        ("http://loinc.org", "2571-8"): "lipid-screening",
        ("http://loinc.org", "4548-4"): "diabetes-screening",
    }
    used = set()
    for bundle in bundles.values():
        for item in bundle["entry"]:
            resource = item["resource"]
            concept = resource.get("vaccineCode") or resource.get("code") or {}
            for coding in concept.get("coding", []):
                used.add((coding.get("system"), coding.get("code")))
    by_key = {rule.key: rule for rule in RULES}
    for (system, code), key in expected.items():
        assert (system, code) in used, f"{code} no longer appears in the demo data"
        assert by_key[key].matches(system, code), f"{key} does not count {code}"


def test_no_demo_patient_smokes_now_so_nobody_is_offered_quit_help(outcomes, deceased):
    for name in set(outcomes) - deceased:
        quit_help = result(outcomes, name, "tobacco-cessation-counseling")
        assert quit_help.status == Status.NOT_APPLICABLE, name
        assert "smoke now" in quit_help.reason


# --------------------------------------------------------------------------- hand-checked


def test_1016810_man_of_70_with_two_colonoscopies_and_two_pneumococcal_shots(outcomes):
    colorectal = result(outcomes, "1016810", "colorectal-cancer-screening")
    assert colorectal.status == Status.UP_TO_DATE
    assert colorectal.last_done == date(2021, 11, 5)  # colonoscopies 2016-11-06, 2021-11-05
    assert colorectal.up_to_date_until == date(2031, 11, 5)
    assert "(Colonoscopy) was on 2021-11-05" in colorectal.reason

    pneumococcal = result(outcomes, "1016810", "pneumococcal-vaccine-50-plus")
    # PCV13 2022-02-03 (at 65), PPSV23 2023-02-09 (at 66): the course CDC accepted before
    # PCV20/PCV21 is complete; another dose is only a shared decision, not a need.
    assert pneumococcal.status == Status.UP_TO_DATE
    assert pneumococcal.last_done == date(2023, 2, 9)
    assert "23 valent" in pneumococcal.reason

    zoster = result(outcomes, "1016810", "zoster-vaccine")
    assert zoster.status == Status.DUE  # no zoster vaccine in the bundle
    # He turned 50 on 2006-11-08; Shingrix was recommended from 2018-01-26, not before.
    assert zoster.due_since == date(2018, 1, 26)
    assert "due since 2018-01-26" in zoster.reason

    flu = result(outcomes, "1016810", "influenza-vaccine")
    assert flu.status == Status.OVERDUE  # last flu shot 2024-02-15
    assert flu.last_done == date(2024, 2, 15)
    assert flu.due_since == date(2026, 8, 1)


def test_1090122_woman_of_68_never_had_a_mammogram_on_record(outcomes):
    breast = result(outcomes, "1090122", "breast-cancer-screening")
    assert breast.status == Status.DUE
    assert breast.due_since == date(1998, 7, 4)
    assert "found no mammogram" in breast.reason

    lipids = result(outcomes, "1090122", "lipid-screening")
    assert lipids.status == Status.UP_TO_DATE  # lipid panels 2020-09-11, 2023-09-29
    assert "was on 2023-09-29" in lipids.reason
    assert lipids.up_to_date_until == date(2028, 9, 28)

    tetanus = result(outcomes, "1090122", "td-tdap-vaccine")
    assert tetanus.status == Status.UP_TO_DATE  # Td 2019-09-06
    assert tetanus.up_to_date_until == date(2029, 9, 5)


def test_1453226_man_of_38_with_diabetes(outcomes):
    pneumococcal = result(outcomes, "1453226", "pneumococcal-vaccine-risk-19-49")
    assert pneumococcal.status == Status.DUE  # diabetes since 2013, no pneumococcal vaccine
    assert pneumococcal.due_since == date(2013, 10, 1)  # the diabetes onset, not his 19th birthday
    assert '"Diabetes"' in pneumococcal.reason

    screening = result(outcomes, "1453226", "diabetes-screening")
    assert screening.status == Status.NOT_APPLICABLE
    assert '"Diabetes"' in screening.reason

    tetanus = result(outcomes, "1453226", "td-tdap-vaccine")
    assert tetanus.status == Status.UP_TO_DATE  # Td 2019-10-08
    assert tetanus.up_to_date_until == date(2029, 10, 7)


def test_1346734_who_turned_18_this_year(outcomes):
    pressure = result(outcomes, "1346734", "blood-pressure-screening")
    assert pressure.status == Status.DUE  # last check 2024-02-13, at 16
    assert pressure.due_since == date(2026, 1, 1)
    assert pressure.last_done == date(2024, 2, 13)

    hpv = result(outcomes, "1346734", "hpv-vaccine")
    assert hpv.status == Status.UP_TO_DATE  # HPV4 2019-01-15 (age 11), 2020-01-21, 2021-01-26
    assert "both doses" in hpv.reason and "completed on 2020-01-21" in hpv.reason

    tetanus = result(outcomes, "1346734", "td-tdap-vaccine")
    assert tetanus.status == Status.UP_TO_DATE
    assert "(Tdap) was on 2019-01-15" in tetanus.reason


def test_1130164_man_of_58_with_a_recent_colonoscopy(outcomes):
    colorectal = result(outcomes, "1130164", "colorectal-cancer-screening")
    assert colorectal.status == Status.UP_TO_DATE  # colonoscopies 2018-08-21, 2023-08-20
    assert colorectal.up_to_date_until == date(2033, 8, 19)

    zoster = result(outcomes, "1130164", "zoster-vaccine")
    # Two doses of the old live vaccine (Zostavax, CVX 121) on 2018-08-21 and 2019-08-27: CDC
    # asks for 2 Shingrix doses whatever was given before, so he is due, not "both doses done".
    assert zoster.status == Status.DUE
    assert zoster.evidence == ()
    assert zoster.due_since == date(2018, 8, 20)  # his 50th birthday, after Shingrix came in
    assert "Zoster live (Zostavax) on 2018-08-21 and 2019-08-27, which does not count" in (
        zoster.reason
    )

    sugar = result(outcomes, "1130164", "diabetes-screening")
    # Prediabetes since 2019-08-27: checked yearly, so the HbA1c of 2023-09-19 ran out in 2024.
    assert sugar.status == Status.OVERDUE
    assert sugar.due_since == date(2024, 9, 19)
    assert "until 2024-09-18" in sugar.reason and '"Prediabetes"' in sugar.reason
    assert [e.code for e in sugar.evidence] == ["4548-4"]  # the HbA1c, not the random glucose

    pneumococcal = result(outcomes, "1130164", "pneumococcal-vaccine-50-plus")
    assert pneumococcal.status == Status.DUE
    # 58: pneumococcal vaccination from 50 was recommended from October 2024 (ACIP), not at 50.
    assert pneumococcal.due_since == date(2024, 10, 23)


def test_1008261_tetanus_booster_ran_out_this_summer(outcomes):
    tetanus = result(outcomes, "1008261", "td-tdap-vaccine")
    assert tetanus.status == Status.OVERDUE  # Td 2016-07-29
    assert tetanus.last_done == date(2016, 7, 29)
    assert tetanus.due_since == date(2026, 7, 30)
    assert "until 2026-07-29" in tetanus.reason


# --------------------------------------------------------------------------- issue 21, pinned
# Each was read from the raw bundle and checked against the recommendation the rule cites.


def test_zostavax_alone_is_never_a_complete_shingles_course(outcomes, deceased):
    # 1130164, 1372617 and 1395793 had two doses of the live vaccine (CVX 121) and were told
    # "both doses completed"; CDC asks for 2 doses of Shingrix (CVX 187) whatever came before.
    for name in ("1130164", "1372617", "1395793"):
        zoster = result(outcomes, name, "zoster-vaccine")
        assert zoster.status == Status.DUE, name
        assert "does not count towards this course" in zoster.reason, name
    assert result(outcomes, "1372617", "zoster-vaccine").due_since == date(2020, 7, 10)  # at 50
    assert result(outcomes, "1395793", "zoster-vaccine").due_since == date(2018, 1, 26)
    for name in set(outcomes) - deceased:
        zoster = result(outcomes, name, "zoster-vaccine")
        if zoster.status == Status.UP_TO_DATE:
            assert {e.code for e in zoster.evidence} == {"187"}, name


def test_1090122_pcv13_alone_needs_pcv20_or_pcv21_a_year_later(outcomes):
    pneumococcal = result(outcomes, "1090122", "pneumococcal-vaccine-50-plus")
    assert pneumococcal.status == Status.DUE  # PCV13 2023-09-29, nothing after
    assert pneumococcal.due_since == date(2024, 9, 28)
    assert "1 of 2 doses" in pneumococcal.reason and "PCV20 or PCV21" in pneumococcal.reason


def test_prediabetes_is_checked_every_year_and_only_by_tests_that_screen(outcomes, deceased):
    sugar = result(outcomes, "1029178", "diabetes-screening")
    assert sugar.status == Status.OVERDUE  # prediabetes since 2017, HbA1c 2022-04-05
    assert sugar.due_since == date(2023, 4, 6)
    for name in set(outcomes) - deceased:
        evidence = result(outcomes, name, "diabetes-screening").evidence
        assert not {e.code for e in evidence} & {"2339-0", "2345-7"}, name  # random glucose


def test_1453226_pneumococcal_clock_starts_at_the_diabetes_onset(outcomes):
    pneumococcal = result(outcomes, "1453226", "pneumococcal-vaccine-risk-19-49")
    assert pneumococcal.due_since == date(2013, 10, 1)
    assert '"Diabetes" (since 2013-10-01)' in pneumococcal.reason


def test_added_rules_on_the_demo_patients(outcomes):
    # 1270752, woman of 77: a bone density scan 2022-01-08 (once is enough), RSV due since 75.
    bones = result(outcomes, "1270752", "osteoporosis-screening")
    assert bones.status == Status.UP_TO_DATE and bones.last_done == date(2022, 1, 8)
    rsv = result(outcomes, "1270752", "rsv-vaccine-75-plus")
    assert rsv.status == Status.DUE and rsv.due_since == date(2024, 10, 18)
    # 1130164, man of 58 with chronic obstructive bronchitis: RSV at 50-59 from June 2025.
    rsv_risk = result(outcomes, "1130164", "rsv-vaccine-50-74-risk")
    assert rsv_risk.status == Status.DUE and rsv_risk.due_since == date(2025, 6, 25)
    # 1206377: hepatitis B 2018-11-18, 2019-09-15, 2019-11-24 completes the 3-dose course.
    hep_b = result(outcomes, "1206377", "hepatitis-b-vaccine")
    assert hep_b.status == Status.UP_TO_DATE
    assert [e.date for e in hep_b.evidence] == [
        date(2018, 11, 18),
        date(2019, 9, 15),
        date(2019, 11, 24),
    ]
    # 1008261: one adult hepatitis B dose (2016) is 1 of 3; Td boosters are not the Tdap dose.
    assert "1 of 3 doses" in result(outcomes, "1008261", "hepatitis-b-vaccine").reason
    assert result(outcomes, "1008261", "tdap-adult-once").status == Status.DUE
    # 1113527, former smoker of 77: lung screening needs pack-years and the quit date.
    lung = result(outcomes, "1113527", "lung-cancer-screening")
    assert lung.status == Status.NOT_APPLICABLE
    assert lung.needs == (
        "how many pack-years you have smoked",
        "how many years ago you quit smoking",
    )
    # Hepatitis C once for adults 18 to 79: nobody in the demo data was ever tested.
    assert result(outcomes, "1016810", "hepatitis-c-screening").due_since == date(2020, 3, 2)


def test_no_up_to_date_answer_rests_on_a_code_the_rule_does_not_accept(outcomes):
    for name, results in outcomes.items():
        for outcome in results:
            if outcome.status != Status.UP_TO_DATE:
                continue
            rule = outcome.rule
            accepted = (
                {code for option in rule.series for dose in option.doses for code in dose.codes}
                if rule.series
                else {c.code for c in rule.satisfied_by}
            )
            assert outcome.evidence, (name, rule.key)
            assert {e.code for e in outcome.evidence} <= accepted, (name, rule.key)

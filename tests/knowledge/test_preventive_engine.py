"""The preventive-care engine, rule by rule at the edges, on small hand-built records."""

from __future__ import annotations

import copy
import json
import random
from datetime import date, timedelta

import pytest

from knowledge.preventive import (
    PatientFacts,
    RecordEntry,
    Rule,
    RuleError,
    Status,
    age_on,
    birthday,
    evaluate,
    load_default_rules,
    rules_from_json,
)

RULES = load_default_rules()
RULES_BY_KEY = {rule.key: rule for rule in RULES}
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
CVX = "http://hl7.org/fhir/sid/cvx"
DIABETES = (SNOMED, "44054006", "Diabetes mellitus type 2")


def entry(kind: str, system: str, code: str, when: date, display: str = "", **value) -> RecordEntry:
    return RecordEntry(kind, system, code, display or code, when, **value)


def colonoscopy(when: date) -> RecordEntry:
    return entry("procedure", SNOMED, "73761001", when, "Colonoscopy")


def stool_test(when: date) -> RecordEntry:
    return entry("observation", LOINC, "57905-2", when, "Fecal immunochemical test")


def flu_shot(when: date) -> RecordEntry:
    return entry("immunization", CVX, "140", when, "Influenza, seasonal, injectable")


def blood_pressure(when: date) -> RecordEntry:
    return entry("observation", LOINC, "85354-9", when, "Blood Pressure")


def smoking_status(when: date, code: str, display: str) -> RecordEntry:
    return entry(
        "observation",
        LOINC,
        "72166-2",
        when,
        "Tobacco smoking status",
        value=code,
        value_display=display,
    )


def facts(
    birth: date, sex: str = "female", *entries: RecordEntry, conditions=(), **extra
) -> PatientFacts:
    return PatientFacts(
        birth_date=birth, sex=sex, conditions=list(conditions), entries=list(entries), **extra
    )


def result(key: str, patient: PatientFacts, on: date):
    results = evaluate(facts=patient, rules=RULES, on=on)
    return next(r for r in results if r.rule.key == key)


# --------------------------------------------------------------------------- ages and birthdays


def test_age_changes_on_the_birthday_not_the_day_before():
    born = date(1981, 11, 24)
    assert age_on(born, date(2026, 11, 23)) == 44
    assert age_on(born, date(2026, 11, 24)) == 45


def test_leap_day_birthday_turns_a_year_older_on_1_march_in_other_years():
    born = date(1980, 2, 29)
    assert age_on(born, date(2025, 2, 28)) == 44
    assert age_on(born, date(2025, 3, 1)) == 45
    assert age_on(born, date(2028, 2, 29)) == 48
    assert birthday(born, 45) == date(2025, 3, 1)
    assert birthday(born, 48) == date(2028, 2, 29)


def test_age_before_birth_is_an_error():
    with pytest.raises(ValueError):
        age_on(date(2000, 1, 1), date(1999, 12, 31))


# --------------------------------------------------------------------------- colorectal at 45


def test_colorectal_screening_starts_on_the_45th_birthday():
    patient = facts(date(1981, 11, 24), "male")

    before = result("colorectal-cancer-screening", patient, date(2026, 11, 23))
    assert before.status == Status.NOT_APPLICABLE
    assert "starts at age 45; you are 44" in before.reason

    on_birthday = result("colorectal-cancer-screening", patient, date(2026, 11, 24))
    assert on_birthday.status == Status.DUE
    assert on_birthday.due_since == date(2026, 11, 24)
    assert "due since 2026-11-24, when you turned 45" in on_birthday.reason


def test_colorectal_screening_for_a_leap_day_baby_starts_on_1_march():
    patient = facts(date(1980, 2, 29), "female")
    assert result("colorectal-cancer-screening", patient, date(2025, 2, 28)).status == (
        Status.NOT_APPLICABLE
    )
    turned = result("colorectal-cancer-screening", patient, date(2025, 3, 1))
    assert turned.status == Status.DUE
    assert turned.due_since == date(2025, 3, 1)


def test_colorectal_screening_stops_after_75():
    patient = facts(date(1950, 6, 1), "male")
    assert result("colorectal-cancer-screening", patient, date(2026, 5, 31)).status == Status.DUE
    after = result("colorectal-cancer-screening", patient, date(2026, 6, 1))
    assert after.status == Status.NOT_APPLICABLE
    assert "up to age 75; you are 76" in after.reason


def test_colonoscopy_outlasts_a_newer_stool_test():
    patient = facts(
        date(1970, 1, 10), "male", colonoscopy(date(2019, 3, 2)), stool_test(date(2025, 6, 1))
    )
    outcome = result("colorectal-cancer-screening", patient, date(2026, 11, 24))
    assert outcome.status == Status.UP_TO_DATE
    assert outcome.up_to_date_until == date(2029, 3, 1)  # 10 years = 3652 days of cover
    assert outcome.last_done == date(2025, 6, 1)
    assert [e.code for e in outcome.evidence] == ["73761001"]
    assert (
        "Your last colorectal cancer screening test (Colonoscopy) was on 2019-03-02, "
        "so you are up to date until 2029-03-01." in outcome.reason
    )


def test_a_yearly_stool_test_lapses_after_a_year():
    patient = facts(date(1970, 1, 10), "male", stool_test(date(2025, 6, 1)))
    outcome = result("colorectal-cancer-screening", patient, date(2026, 11, 24))
    assert outcome.status == Status.OVERDUE
    assert outcome.due_since == date(2026, 6, 2)
    assert "until 2026-06-01" in outcome.reason and "overdue since 2026-06-02" in outcome.reason


def test_colorectal_cancer_patients_are_followed_by_their_own_plan():
    patient = facts(
        date(1960, 1, 1),
        "male",
        conditions=[(SNOMED, "93761005", "Primary malignant neoplasm of colon")],
    )
    outcome = result("colorectal-cancer-screening", patient, date(2026, 11, 24))
    assert outcome.status == Status.NOT_APPLICABLE
    assert "Primary malignant neoplasm of colon" in outcome.reason


# --------------------------------------------------------------------------- interval edges


def test_the_last_day_of_cover_is_up_to_date_and_the_next_is_overdue():
    patient = facts(date(1980, 5, 5), "male", blood_pressure(date(2025, 11, 24)))

    last_day = result("blood-pressure-screening", patient, date(2026, 11, 24))
    assert last_day.status == Status.UP_TO_DATE
    assert last_day.up_to_date_until == date(2026, 11, 24)

    next_day = result("blood-pressure-screening", patient, date(2026, 11, 25))
    assert next_day.status == Status.OVERDUE
    assert next_day.due_since == date(2026, 11, 25)
    assert next_day.last_done == date(2025, 11, 24)


def test_cover_that_ended_before_the_patient_was_eligible_makes_it_due_not_overdue():
    # Checked at 16, the yearly adult check starts at 18: they never fell behind.
    patient = facts(date(2008, 1, 1), "male", blood_pressure(date(2024, 2, 13)))
    outcome = result("blood-pressure-screening", patient, date(2026, 11, 24))
    assert outcome.status == Status.DUE
    assert outcome.due_since == date(2026, 1, 1)
    assert outcome.last_done == date(2024, 2, 13)


def test_entries_dated_after_the_evaluation_day_do_not_count():
    patient = facts(date(1980, 5, 5), "male", blood_pressure(date(2026, 12, 1)))
    assert result("blood-pressure-screening", patient, date(2026, 11, 24)).status == Status.DUE


def test_record_systems_may_be_uris_or_short_names():
    by_uri = facts(
        date(1980, 5, 5), "male", entry("observation", LOINC, "85354-9", date(2026, 3, 1))
    )
    by_name = facts(
        date(1980, 5, 5), "male", entry("observation", "loinc", "85354-9", date(2026, 3, 1))
    )
    for patient in (by_uri, by_name):
        assert (
            result("blood-pressure-screening", patient, date(2026, 11, 24)).status
            == Status.UP_TO_DATE
        )
    # Same code, wrong system: a CVX "85354-9" is not a blood pressure.
    wrong = facts(date(1980, 5, 5), "male", entry("immunization", CVX, "85354-9", date(2026, 3, 1)))
    assert result("blood-pressure-screening", wrong, date(2026, 11, 24)).status == Status.DUE


def test_one_coded_procedure_can_satisfy_two_rules():
    data = RULES_BY_KEY["colorectal-cancer-screening"].to_dict()
    surveillance = {
        **copy.deepcopy(data),
        "key": "colon-polyp-surveillance",
        "title": "Polyp check",
    }
    surveillance["interval_days"] = 1095
    surveillance["interval_by_code"] = {"73761001": 1095}
    rules = [Rule.from_dict(data), Rule.from_dict(surveillance)]
    patient = facts(date(1966, 4, 4), "male", colonoscopy(date(2024, 4, 4)))

    outcomes = {r.rule.key: r for r in evaluate(facts=patient, rules=rules, on=date(2026, 11, 24))}
    assert outcomes["colorectal-cancer-screening"].status == Status.UP_TO_DATE
    assert outcomes["colon-polyp-surveillance"].status == Status.UP_TO_DATE
    assert outcomes["colon-polyp-surveillance"].up_to_date_until == date(2027, 4, 4)
    assert (
        outcomes["colorectal-cancer-screening"].evidence
        == outcomes["colon-polyp-surveillance"].evidence
    )


# ------------------------------------------------------------------ sex, conditions, smoking


def test_mammograms_apply_to_women_only():
    man = result("breast-cancer-screening", facts(date(1970, 1, 1), "male"), date(2026, 11, 24))
    assert man.status == Status.NOT_APPLICABLE
    assert "applies to women" in man.reason
    woman = result("breast-cancer-screening", facts(date(1970, 1, 1), "female"), date(2026, 11, 24))
    assert woman.status == Status.DUE
    assert woman.due_since == date(2010, 1, 1)


def test_pneumococcal_vaccine_under_50_only_with_a_risk_condition():
    on = date(2026, 11, 24)
    with_diabetes = facts(date(1981, 3, 3), "female", conditions=[DIABETES])
    risk = result("pneumococcal-vaccine-risk-19-49", with_diabetes, on)
    assert risk.status == Status.DUE
    assert risk.due_since == date(2000, 3, 3)
    assert 'Your record lists "Diabetes mellitus type 2"' in risk.reason

    without = result("pneumococcal-vaccine-risk-19-49", facts(date(1981, 3, 3), "female"), on)
    assert without.status == Status.NOT_APPLICABLE
    assert "diabetes" in without.reason

    # From 50 the age rule covers everyone and the risk rule steps aside.
    older = facts(date(1971, 3, 3), "female", conditions=[DIABETES])
    assert result("pneumococcal-vaccine-risk-19-49", older, on).status == Status.NOT_APPLICABLE
    assert result("pneumococcal-vaccine-50-plus", older, on).status == Status.DUE


def test_one_adult_pneumococcal_dose_lasts_for_life_but_childhood_doses_do_not_count():
    on = date(2026, 11, 24)
    adult_dose = entry("immunization", CVX, "216", date(2021, 5, 5), "PCV20")
    patient = facts(date(1976, 1, 1), "male", adult_dose)
    outcome = result("pneumococcal-vaccine-50-plus", patient, on)
    assert outcome.status == Status.UP_TO_DATE
    assert outcome.up_to_date_until is None
    assert "You had the pneumococcal vaccine (PCV20) on 2021-05-05" in outcome.reason

    infant_dose = entry("immunization", CVX, "133", date(2005, 6, 1), "PCV13")
    young = facts(date(2005, 1, 1), "female", infant_dose, conditions=[DIABETES])
    assert result("pneumococcal-vaccine-risk-19-49", young, on).status == Status.DUE


def test_people_with_diabetes_are_not_screened_for_it():
    outcome = result(
        "diabetes-screening",
        facts(date(1970, 1, 1), "male", conditions=[DIABETES]),
        date(2026, 11, 24),
    )
    assert outcome.status == Status.NOT_APPLICABLE
    assert "Diabetes mellitus type 2" in outcome.reason


def test_quit_smoking_help_follows_the_latest_smoking_status():
    on = date(2026, 11, 24)
    daily = smoking_status(date(2026, 3, 1), "449868002", "Smokes tobacco daily")
    former = smoking_status(date(2026, 9, 1), "8517006", "Former smoker")

    smoker = result("tobacco-cessation-counseling", facts(date(1980, 1, 1), "male", daily), on)
    assert smoker.status == Status.DUE
    assert 'smoking status (2026-03-01) is "Smokes tobacco daily"' in smoker.reason

    quit = result(
        "tobacco-cessation-counseling", facts(date(1980, 1, 1), "male", daily, former), on
    )
    assert quit.status == Status.NOT_APPLICABLE
    assert '"Former smoker"' in quit.reason

    unknown = result("tobacco-cessation-counseling", facts(date(1980, 1, 1), "male"), on)
    assert unknown.status == Status.NOT_APPLICABLE
    assert "no smoking status" in unknown.reason

    counselled = entry(
        "procedure", SNOMED, "225323000", date(2026, 3, 1), "Smoking cessation education"
    )
    helped = result(
        "tobacco-cessation-counseling", facts(date(1980, 1, 1), "male", daily, counselled), on
    )
    assert helped.status == Status.UP_TO_DATE
    assert helped.up_to_date_until == date(2027, 3, 1)


def test_a_smoking_status_recorded_after_the_evaluation_day_is_ignored():
    patient = facts(
        date(1980, 1, 1),
        "male",
        smoking_status(date(2026, 3, 1), "449868002", "Smokes tobacco daily"),
        smoking_status(date(2026, 12, 1), "8517006", "Former smoker"),
    )
    assert result("tobacco-cessation-counseling", patient, date(2026, 11, 24)).status == Status.DUE


# --------------------------------------------------------------------------- flu seasons


def test_a_flu_shot_covers_its_season_until_31_july():
    patient = facts(date(1980, 1, 1), "male", flu_shot(date(2025, 9, 15)))

    last_day = result("influenza-vaccine", patient, date(2026, 7, 31))
    assert last_day.status == Status.UP_TO_DATE
    assert last_day.up_to_date_until == date(2026, 7, 31)

    new_season = result("influenza-vaccine", patient, date(2026, 8, 1))
    assert new_season.status == Status.OVERDUE
    assert new_season.due_since == date(2026, 8, 1)
    assert "earlier season" in new_season.reason


def test_a_flu_shot_on_the_first_day_of_the_season_counts_for_that_season():
    patient = facts(date(1980, 1, 1), "male", flu_shot(date(2026, 8, 1)))
    outcome = result("influenza-vaccine", patient, date(2026, 8, 1))
    assert outcome.status == Status.UP_TO_DATE
    assert outcome.up_to_date_until == date(2027, 7, 31)
    # A July shot belongs to the season that is ending.
    july = facts(date(1980, 1, 1), "male", flu_shot(date(2026, 7, 31)))
    assert result("influenza-vaccine", july, date(2026, 8, 1)).status == Status.OVERDUE


def test_never_vaccinated_adults_are_due_from_the_start_of_the_season():
    outcome = result("influenza-vaccine", facts(date(1980, 1, 1), "female"), date(2026, 11, 24))
    assert outcome.status == Status.DUE
    assert outcome.due_since == date(2026, 8, 1)
    assert "when this season started" in outcome.reason


def test_babies_become_due_for_flu_at_six_months():
    baby = facts(date(2026, 3, 10), "female")
    too_young = result("influenza-vaccine", baby, date(2026, 9, 9))
    assert too_young.status == Status.NOT_APPLICABLE
    assert "you are 5 months old" in too_young.reason
    six_months = result("influenza-vaccine", baby, date(2026, 9, 10))
    assert six_months.status == Status.DUE
    assert six_months.due_since == date(2026, 9, 10)
    assert "when you turned 6 months old" in six_months.reason


# --------------------------------------------------------------------------- series


def test_shingles_series_needs_two_doses_on_different_days():
    on = date(2026, 11, 24)
    first = entry("immunization", CVX, "187", date(2026, 1, 5), "Zoster recombinant")
    same_day = entry("immunization", CVX, "188", date(2026, 1, 5), "Zoster, unspecified")
    second = entry("immunization", CVX, "187", date(2026, 4, 5), "Zoster recombinant")

    one = result("zoster-vaccine", facts(date(1970, 1, 1), "male", first, same_day), on)
    assert one.status == Status.DUE
    assert "1 of 2 doses" in one.reason and "2026-01-05" in one.reason
    assert one.due_since == date(2026, 2, 2)  # 4 weeks after the first dose

    both = result("zoster-vaccine", facts(date(1970, 1, 1), "male", first, second), on)
    assert both.status == Status.UP_TO_DATE
    assert [e.date for e in both.evidence] == [date(2026, 1, 5), date(2026, 4, 5)]
    assert "completed on 2026-04-05" in both.reason


def test_hpv_needs_two_doses_if_started_before_15_and_three_after():
    on = date(2026, 11, 24)

    def hpv(when: date) -> RecordEntry:
        return entry("immunization", CVX, "165", when, "HPV9")

    early = facts(date(2008, 6, 1), "female", hpv(date(2020, 6, 1)), hpv(date(2021, 1, 1)))
    assert result("hpv-vaccine", early, on).status == Status.UP_TO_DATE

    late = facts(date(2004, 6, 1), "female", hpv(date(2020, 6, 1)), hpv(date(2021, 1, 1)))
    outcome = result("hpv-vaccine", late, on)
    assert outcome.status == Status.DUE
    assert "2 of 3 doses" in outcome.reason
    assert outcome.due_since == date(2021, 3, 26)  # 12 weeks after the second dose


# --------------------------------------------------------------------------- the whole evaluation


def test_deceased_or_inactive_patients_get_nothing():
    on = date(2026, 11, 24)
    assert evaluate(facts=facts(date(1950, 1, 1), "male", deceased=True), rules=RULES, on=on) == []
    assert evaluate(facts=facts(date(1950, 1, 1), "male", active=False), rules=RULES, on=on) == []


def test_results_come_overdue_then_due_then_up_to_date_then_not_applicable():
    patient = facts(
        date(1960, 1, 1),
        "female",
        blood_pressure(date(2024, 1, 1)),
        flu_shot(date(2026, 10, 1)),
        entry("immunization", CVX, "115", date(2020, 1, 1), "Tdap"),
    )
    results = evaluate(facts=patient, rules=RULES, on=date(2026, 11, 24))
    order = {Status.OVERDUE: 0, Status.DUE: 1, Status.UP_TO_DATE: 2, Status.NOT_APPLICABLE: 3}
    keys = [(order[r.status], r.rule.key) for r in results]
    assert keys == sorted(keys)
    assert {r.status for r in results} == set(Status)
    assert len(results) == len(RULES)


def test_the_answer_does_not_depend_on_the_order_of_the_record():
    entries = [
        blood_pressure(date(2024, 1, 1)),
        blood_pressure(date(2025, 1, 1)),
        colonoscopy(date(2019, 3, 2)),
        stool_test(date(2019, 3, 2)),
        flu_shot(date(2025, 10, 1)),
        smoking_status(date(2025, 1, 1), "449868002", "Smokes tobacco daily"),
        smoking_status(date(2025, 1, 1), "8517006", "Former smoker"),
    ]
    expected = evaluate(
        facts=facts(date(1960, 1, 1), "male", *entries), rules=RULES, on=date(2026, 11, 24)
    )
    shuffler = random.Random(7)
    for _ in range(5):
        shuffler.shuffle(entries)
        again = evaluate(
            facts=facts(date(1960, 1, 1), "male", *entries),
            rules=list(reversed(RULES)),
            on=date(2026, 11, 24),
        )
        assert again == expected


def test_results_serialise_to_json():
    patient = facts(date(1960, 1, 1), "male", colonoscopy(date(2019, 3, 2)))
    payload = [r.to_dict() for r in evaluate(facts=patient, rules=RULES, on=date(2026, 11, 24))]
    decoded = json.loads(json.dumps(payload))
    colorectal = next(item for item in decoded if item["key"] == "colorectal-cancer-screening")
    assert colorectal["status"] == "up_to_date"
    assert colorectal["up_to_date_until"] == "2029-03-01"
    assert colorectal["evidence"][0]["date"] == "2019-03-02"
    assert colorectal["source"]["url"].startswith("https://www.uspreventiveservicestaskforce.org/")


# --------------------------------------------------------------------------- rules as content


def test_the_shipped_rule_set_covers_the_agreed_topics_with_real_sources():
    expected = {
        "blood-pressure-screening",
        "colorectal-cancer-screening",
        "breast-cancer-screening",
        "cervical-cancer-screening",
        "lipid-screening",
        "diabetes-screening",
        "depression-screening",
        "tobacco-cessation-counseling",
        "influenza-vaccine",
        "td-tdap-vaccine",
        "zoster-vaccine",
        "pneumococcal-vaccine-50-plus",
        "pneumococcal-vaccine-risk-19-49",
        "hpv-vaccine",
        # issue 21: what an adult portal is expected to cover as well
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
    assert set(RULES_BY_KEY) == expected
    for rule in RULES:
        host = rule.source.url.split("/")[2]
        if rule.kind == "immunization":
            assert host == "www.cdc.gov" and rule.source.grade == "CDC schedule", rule.key
        else:
            assert host == "www.uspreventiveservicestaskforce.org", rule.key
            assert rule.source.grade[0] in "AB" and rule.source.name.startswith("USPSTF: "), (
                rule.key
            )
        assert 2018 <= rule.source.year <= 2026, rule.key


def test_every_rule_survives_a_round_trip_through_its_json_form():
    for rule in RULES:
        assert Rule.from_dict(json.loads(json.dumps(rule.to_dict()))) == rule


def _valid_rule() -> dict:
    return copy.deepcopy(RULES_BY_KEY["blood-pressure-screening"].to_dict())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(intervaldays=365), "unknown fields"),
        (lambda d: d.update(kind="vaccine"), "kind must be one of"),
        (lambda d: d.update(sex="f"), "sex must be"),
        (lambda d: d.update(min_age=70, max_age=60), "max_age is below min_age"),
        (lambda d: d.update(interval_by_code={"73761001": 3652}), "not in satisfied_by"),
        (lambda d: d.update(satisfied_by={"icd10": ["I10"]}), "satisfied_by system"),
        (lambda d: d.update(satisfied_by={}), "satisfied_by needs"),
        (lambda d: d.update(explanation=" "), "'explanation' must be non-empty"),
        (lambda d: d["source"].update(url="http://example.org"), "https"),
        (lambda d: d.update(season_start="13-01", interval_days=None), "MM-DD"),
        (lambda d: d.update(doses_required=2), "series"),
        (lambda d: d.update(conditions_any=["44054006"]), "condition_note"),
        (lambda d: d.update(smoking={"latest_status_any": []}), "lists no codes"),
        (lambda d: d.update(series=[{"name": "x", "doses": [{"cvx": ["187"]}]}]), "series"),
        (
            lambda d: d.update(series=[{"name": "x", "doses": [{"cvx": ["85354-9"]}]}]),
            "takes no doses_required, interval",
        ),
        (
            lambda d: d.update(
                interval_days=None,
                series=[{"name": "x", "doses": [{"cvx": ["85354-9"], "min_days_after_first": 3}]}],
            ),
            "first dose",
        ),
        (lambda d: d.update(requires=[{"loinc": ["1-1"], "at_least": 2}]), "needs 'what'"),
        (lambda d: d.update(requires=[{"what": "x", "loinc": ["1-1"]}]), "at_least or at_most"),
        (lambda d: d.update(recommended_since="2018-13-01"), "YYYY-MM-DD"),
        (lambda d: d.update(conditions_or_smoking=True), "conditions_or_smoking"),
        (lambda d: d.update(condition_needs="your history"), "condition_needs"),
        (
            lambda d: d.update(smoking={"latest_status_any": ["1"], "ever_status_any": ["2"]}),
            "smoking needs exactly",
        ),
        (
            lambda d: d.update(
                adequate_before_stop={
                    "window_days": 3652,
                    "latest_within_days": 1826,
                    "options": [{"count": 2, "codes": ["10524-7"]}],
                }
            ),
            "adequate_before_stop names codes",
        ),
        (lambda d: d.update(counts_from_age_by_code={"10524-7": 30}), "not in satisfied_by"),
    ],
)
def test_malformed_rules_are_rejected_with_a_clear_message(change, message):
    data = _valid_rule()
    change(data)
    with pytest.raises(RuleError, match=message):
        Rule.from_dict(data)


def test_duplicate_rule_keys_are_rejected():
    data = _valid_rule()
    with pytest.raises(RuleError, match="duplicate rule key"):
        rules_from_json({"rules": [data, data]})
    with pytest.raises(RuleError, match="duplicate rule key"):
        rule = Rule.from_dict(data)
        evaluate(facts=facts(date(1980, 1, 1)), rules=[rule, rule], on=date(2026, 1, 1))


def test_a_rule_change_changes_the_advice():
    # Content is data: a reviewer shortening the blood-pressure interval changes the outcome.
    data = _valid_rule()
    data["interval_days"] = 180
    stricter = Rule.from_dict(data)
    patient = facts(date(1980, 1, 1), "male", blood_pressure(date(2026, 3, 1)))
    on = date(2026, 11, 24)
    [outcome] = evaluate(facts=patient, rules=[stricter], on=on)
    assert outcome.status == Status.OVERDUE
    assert outcome.due_since == date(2026, 3, 1) + timedelta(days=181)

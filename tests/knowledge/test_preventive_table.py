"""The preventive-care test table: for every rule, built records and what each must come out as.

Read it as a clinician would: each row is one patient (built here, not from the demo data) on
24 November 2026, the rule, the answer the cited recommendation gives, and why. Rows marked
"issue 21" are the defects hand-found on the demo patients, each a false "up to date" or a
wrong population or date. Every rule has rows that must come out due, up to date and not
applicable, and overdue when the rule repeats (once-only rules and vaccine courses cannot
be overdue: a missing once-only item is "due").
"""

# ruff: noqa: E501 - the table reads best one patient per line

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest

from knowledge.preventive import (
    ConditionFact,
    PatientFacts,
    RecordEntry,
    RuleResult,
    Status,
    evaluate,
    load_default_rules,
)

ON = date(2026, 11, 24)
RULES = load_default_rules()
RULES_BY_KEY = {rule.key: rule for rule in RULES}

DUE, OVERDUE, UP, NA = Status.DUE, Status.OVERDUE, Status.UP_TO_DATE, Status.NOT_APPLICABLE


# ----------------------------------------------------------------- building records in words


def born(year: int, month: int = 1, day: int = 1) -> date:
    return date(year, month, day)


def shot(cvx: str, when: date, display: str = "") -> RecordEntry:
    return RecordEntry("immunization", "http://hl7.org/fhir/sid/cvx", cvx, display or cvx, when)


def procedure(snomed: str, when: date, display: str = "") -> RecordEntry:
    return RecordEntry("procedure", "http://snomed.info/sct", snomed, display or snomed, when)


def lab(loinc: str, when: date, value: str | None = None, display: str = "") -> RecordEntry:
    return RecordEntry("observation", "http://loinc.org", loinc, display or loinc, when, value)


def measured(snomed: str, when: date, value: str) -> RecordEntry:  # e.g. pack-years
    return RecordEntry("observation", "http://snomed.info/sct", snomed, snomed, when, value)


def prescribed(rxnorm: str, when: date, display: str = "") -> RecordEntry:
    system = "http://www.nlm.nih.gov/research/umls/rxnorm"
    return RecordEntry("medication", system, rxnorm, display or rxnorm, when)


SMOKES_DAILY, FORMER, NEVER = "449868002", "8517006", "266919005"
WORDS = {SMOKES_DAILY: "Smokes tobacco daily", FORMER: "Former smoker", NEVER: "Never smoker"}


def smoking(status: str, when: date) -> RecordEntry:
    return RecordEntry(
        "observation", "http://loinc.org", "72166-2", "Tobacco smoking status", when,
        status, WORDS[status],
    )  # fmt: skip


def has(snomed: str, display: str, since: date | None = None) -> ConditionFact:
    return ConditionFact("http://snomed.info/sct", snomed, display, since)


def patient(birth: date, sex: str, *entries: RecordEntry, conditions=()) -> PatientFacts:
    return PatientFacts(birth_date=birth, sex=sex, entries=entries, conditions=conditions)


# Codes used below, by name.
PCV13, PCV15, PCV20, PPSV23 = "133", "215", "216", "33"
SHINGRIX, ZOSTAVAX = "187", "121"
TD, TDAP, FLU, HPV4 = "113", "115", "140", "62"
HEPB_ADULT, HEPLISAV, RSV = "43", "189", "303"
BP, PAP, HPV_TEST, LIPIDS = "85354-9", "10524-7", "59420-0", "2093-3"
HBA1C, FASTING, OGTT, RANDOM_GLUCOSE = "4548-4", "1558-6", "1518-0", "2339-0"
PHQ9, GAD7, AUDITC, DAST10 = "44261-6", "69737-5", "75626-2", "82667-7"
HCV_AB, HIV_AGAB, DXA_T, ASCVD_RISK = "16128-1", "75622-1", "38265-5", "79423-0"
FIT, COLONOSCOPY, MAMMOGRAM, LDCT = "57905-2", "73761001", "71651007", "16334891000119106"
HYSTERECTOMY, BILATERAL_MASTECTOMY, CABG = "116140006", "27865001", "232717009"
AORTA_US, EXERCISE_THERAPY, QUIT_COUNSELING = "241462001", "229065009", "225323000"
PACK_YEARS, YEARS_SINCE_QUIT = "401201003", "228486009"
ATORVASTATIN = "259255"
DIABETES = has("44054006", "Diabetes mellitus type 2", date(2015, 3, 1))
PREDIABETES = has("15777000", "Prediabetes", date(2020, 1, 1))
HYPERTENSION = has("59621000", "Essential hypertension", date(2018, 1, 1))
STROKE = has("230690007", "Cerebrovascular accident", date(2022, 5, 1))
COPD = has("13645005", "Chronic obstructive lung disease", date(2019, 1, 1))
HEART_FAILURE = has("84114007", "Heart failure", date(2020, 2, 1))
HYPERLIPIDEMIA = has("55822004", "Hyperlipidemia", date(2016, 1, 1))


@dataclass(frozen=True)
class Row:
    key: str
    expect: Status
    why: str
    facts: PatientFacts
    since: date | None = None  # due_since, when the row pins it
    until: date | None = None  # up_to_date_until, when the row pins it
    says: tuple[str, ...] = ()  # words the reason must contain
    needs: tuple[str, ...] = field(default=())  # words the result's needs must contain


def row(key, expect, why, facts, *, since=None, until=None, says=(), needs=()) -> Row:
    says = (says,) if isinstance(says, str) else says
    needs = (needs,) if isinstance(needs, str) else needs
    return Row(key, expect, why, facts, since, until, tuple(says), tuple(needs))


D = date
TABLE = [
    # ---- blood pressure: adults 18+, yearly; not a screening for people treated for it
    row("blood-pressure-screening", DUE, "40-year-old with no reading on record",
        patient(born(1986), "male"), since=D(2004, 1, 1)),
    row("blood-pressure-screening", OVERDUE, "last reading 2025-01-10",
        patient(born(1986), "male", lab(BP, D(2025, 1, 10))), since=D(2026, 1, 11)),
    row("blood-pressure-screening", UP, "reading 2026-06-01",
        patient(born(1986), "male", lab(BP, D(2026, 6, 1))), until=D(2027, 6, 1)),
    row("blood-pressure-screening", NA, "17-year-old", patient(born(2009), "female")),
    row("blood-pressure-screening", NA, "issue 21: treated hypertension is not screened",
        patient(born(1960), "male", conditions=[HYPERTENSION]), says="Essential hypertension"),
    # ---- colorectal: 45 to 75
    row("colorectal-cancer-screening", DUE, "50-year-old, never screened",
        patient(born(1976, 5, 5), "female"), since=D(2021, 5, 5)),
    row("colorectal-cancer-screening", OVERDUE, "stool test 2024-05-01 (yearly)",
        patient(born(1970), "male", lab(FIT, D(2024, 5, 1))), since=D(2025, 5, 2)),
    row("colorectal-cancer-screening", UP, "colonoscopy 2020-01-02 (10 years)",
        patient(born(1960), "male", procedure(COLONOSCOPY, D(2020, 1, 2))),
        until=D(2030, 1, 1)),
    row("colorectal-cancer-screening", NA, "80-year-old", patient(born(1946), "male")),
    row("colorectal-cancer-screening", NA, "colon cancer is followed, not screened",
        patient(born(1960), "male",
                conditions=[has("93761005", "Primary malignant neoplasm of colon")])),
    # ---- breast: women 40 to 74, every 2 years; not after a bilateral mastectomy
    row("breast-cancer-screening", DUE, "45-year-old woman, no mammogram",
        patient(born(1981, 3, 3), "female"), since=D(2021, 3, 3)),
    row("breast-cancer-screening", OVERDUE, "mammogram 2023-01-01",
        patient(born(1970), "female", procedure(MAMMOGRAM, D(2023, 1, 1))),
        since=D(2023, 1, 1) + timedelta(days=731)),
    row("breast-cancer-screening", UP, "mammogram 2025-06-01",
        patient(born(1970), "female", procedure(MAMMOGRAM, D(2025, 6, 1))),
        until=D(2027, 6, 1)),
    row("breast-cancer-screening", NA, "a man", patient(born(1970), "male")),
    row("breast-cancer-screening", NA, "issue 21: a bilateral mastectomy (a procedure) excludes",
        patient(born(1970), "female", procedure(BILATERAL_MASTECTOMY, D(2019, 4, 4),
                                                "Bilateral mastectomy")),
        says='"Bilateral mastectomy" on 2019-04-04'),
    # ---- cervical: women 21 to 65; after 65 only with adequate screening; HPV from 30
    row("cervical-cancer-screening", DUE, "30-year-old woman, never screened",
        patient(born(1996, 2, 2), "female"), since=D(2017, 2, 2)),
    row("cervical-cancer-screening", OVERDUE, "Pap test 2022-01-10 (3 years)",
        patient(born(1986), "female", lab(PAP, D(2022, 1, 10))), since=D(2025, 1, 10)),
    row("cervical-cancer-screening", UP, "HPV test at 37 (5 years)",
        patient(born(1986), "female", lab(HPV_TEST, D(2023, 3, 1))), until=D(2028, 2, 29)),
    row("cervical-cancer-screening", DUE, "issue 21: an HPV test at 25 is not a 5-year screen",
        patient(born(1999), "female", lab(HPV_TEST, D(2024, 3, 1))), since=D(2020, 1, 1),
        says="We found no cervical cancer screening test"),
    row("cervical-cancer-screening", OVERDUE, "issue 21: 67, one Pap test at 53: not adequate to stop",
        patient(born(1959), "female", lab(PAP, D(2012, 5, 1))), since=D(2015, 5, 2),
        says="still applies to you at 67"),
    row("cervical-cancer-screening", NA, "67 after three Pap tests in the 10 years before 66",
        patient(born(1959), "female", lab(PAP, D(2016, 5, 1)), lab(PAP, D(2019, 5, 1)),
                lab(PAP, D(2022, 5, 1))),
        says="screened regularly"),
    row("cervical-cancer-screening", NA, "issue 21: a total hysterectomy (a procedure) excludes",
        patient(born(1975), "female", procedure(HYSTERECTOMY, D(2015, 6, 1), "Total hysterectomy")),
        says='"Total hysterectomy" on 2015-06-01'),
    row("cervical-cancer-screening", NA, "a man", patient(born(1975), "male")),
    # ---- cholesterol check: 40 to 75, every 5 years; primary prevention only
    row("lipid-screening", DUE, "45-year-old, never tested",
        patient(born(1981, 7, 7), "male"), since=D(2021, 7, 7)),
    row("lipid-screening", OVERDUE, "lipid test 2020-01-01",
        patient(born(1970), "male", lab(LIPIDS, D(2020, 1, 1))), since=D(2025, 1, 1)),
    row("lipid-screening", UP, "lipid test 2024-02-01",
        patient(born(1970), "male", lab(LIPIDS, D(2024, 2, 1))), until=D(2029, 1, 31)),
    row("lipid-screening", NA, "35-year-old", patient(born(1991), "male")),
    row("lipid-screening", NA, "issue 21: a stroke survivor is not in primary prevention",
        patient(born(1960), "female", conditions=[STROKE]), says="Cerebrovascular accident"),
    row("lipid-screening", NA, "bypass surgery (a procedure) excludes too",
        patient(born(1960), "male", procedure(CABG, D(2021, 1, 1), "Coronary artery bypass"))),
    # ---- diabetes screening: 35 to 70; HbA1c, fasting glucose or OGTT; yearly with prediabetes
    row("diabetes-screening", DUE, "issue 21: a random glucose in a metabolic panel is not screening",
        patient(born(1970), "male", lab(RANDOM_GLUCOSE, D(2025, 5, 1))), since=D(2005, 1, 1),
        says="We found no blood sugar test"),
    row("diabetes-screening", OVERDUE, "issue 21: with prediabetes, yearly (HbA1c 2024-06-01)",
        patient(born(1970), "male", lab(HBA1C, D(2024, 6, 1)), conditions=[PREDIABETES]),
        since=D(2025, 6, 2), says="checked every year"),
    row("diabetes-screening", OVERDUE, "HbA1c 2022-01-01, no prediabetes (3 years)",
        patient(born(1970), "male", lab(HBA1C, D(2022, 1, 1))), since=D(2025, 1, 1)),
    row("diabetes-screening", UP, "fasting glucose 2025-01-01",
        patient(born(1970), "female", lab(FASTING, D(2025, 1, 1))), until=D(2028, 1, 1)),
    row("diabetes-screening", UP, "glucose tolerance test 2024-09-01",
        patient(born(1970), "female", lab(OGTT, D(2024, 9, 1))), until=D(2027, 9, 1)),
    row("diabetes-screening", NA, "known diabetes", patient(born(1970), "male",
                                                           conditions=[DIABETES])),
    row("diabetes-screening", NA, "30-year-old", patient(born(1996), "male")),
    # ---- depression: adults, yearly
    row("depression-screening", DUE, "never asked", patient(born(1990), "female"),
        since=D(2008, 1, 1)),
    row("depression-screening", OVERDUE, "PHQ-9 2025-03-01",
        patient(born(1990), "female", lab(PHQ9, D(2025, 3, 1))), since=D(2026, 3, 2)),
    row("depression-screening", UP, "PHQ-9 2026-03-01",
        patient(born(1990), "female", lab(PHQ9, D(2026, 3, 1))), until=D(2027, 3, 1)),
    row("depression-screening", NA, "15-year-old", patient(born(2011), "female")),
    # ---- help to quit: smokers, yearly
    row("tobacco-cessation-counseling", DUE, "smokes daily, never offered help",
        patient(born(1980), "male", smoking(SMOKES_DAILY, D(2026, 1, 1)))),
    row("tobacco-cessation-counseling", OVERDUE, "counselled 2024-02-01",
        patient(born(1980), "male", smoking(SMOKES_DAILY, D(2026, 1, 1)),
                procedure(QUIT_COUNSELING, D(2024, 2, 1))), since=D(2025, 2, 1)),
    row("tobacco-cessation-counseling", UP, "counselled 2026-03-01",
        patient(born(1980), "male", smoking(SMOKES_DAILY, D(2026, 1, 1)),
                procedure(QUIT_COUNSELING, D(2026, 3, 1)))),
    row("tobacco-cessation-counseling", NA, "never smoked",
        patient(born(1980), "male", smoking(NEVER, D(2026, 1, 1)))),
    # ---- flu: every season from 6 months
    row("influenza-vaccine", DUE, "no flu shot ever", patient(born(1980), "female"),
        since=D(2026, 8, 1)),
    row("influenza-vaccine", OVERDUE, "last season's shot only",
        patient(born(1980), "female", shot(FLU, D(2025, 10, 1))), since=D(2026, 8, 1)),
    row("influenza-vaccine", UP, "this season's shot",
        patient(born(1980), "female", shot(FLU, D(2026, 9, 15))), until=D(2027, 7, 31)),
    row("influenza-vaccine", NA, "4 months old", patient(born(2026, 7, 20), "female")),
    # ---- Td/Tdap booster: every 10 years from 11
    row("td-tdap-vaccine", DUE, "no booster on record", patient(born(1990, 4, 4), "male"),
        since=D(2001, 4, 4)),
    row("td-tdap-vaccine", OVERDUE, "Td 2010-06-01",
        patient(born(1970), "male", shot(TD, D(2010, 6, 1))), since=D(2020, 6, 1)),
    row("td-tdap-vaccine", UP, "Td 2020-06-01",
        patient(born(1970), "male", shot(TD, D(2020, 6, 1))), until=D(2030, 6, 1)),
    row("td-tdap-vaccine", NA, "8-year-old", patient(born(2018), "male")),
    # ---- one adult Tdap dose
    row("tdap-adult-once", DUE, "issue 21: Td boosters do not replace the one Tdap dose",
        patient(born(1970), "male", shot(TD, D(2020, 6, 1))), since=D(2006, 12, 15)),
    row("tdap-adult-once", DUE, "Tdap at 8 was a childhood catch-up, not the adolescent dose",
        patient(born(2000), "female", shot(TDAP, D(2008, 6, 1))), since=D(2019, 1, 1)),
    row("tdap-adult-once", DUE, "was 70 in 2006: Tdap for 65+ came in 2012",
        patient(born(1936), "female"), since=D(2012, 6, 29)),
    row("tdap-adult-once", UP, "Tdap at 12",
        patient(born(2000), "female", shot(TDAP, D(2012, 6, 1)))),
    row("tdap-adult-once", NA, "17-year-old", patient(born(2009), "female")),
    # ---- shingles: 2 doses of Shingrix from 50, at least 4 weeks apart
    row("zoster-vaccine", DUE, "issue 21: two Zostavax doses are not the Shingrix course",
        patient(born(1960), "male", shot(ZOSTAVAX, D(2014, 3, 1)), shot(ZOSTAVAX, D(2015, 3, 1))),
        since=D(2018, 1, 26), says="does not count"),
    row("zoster-vaccine", DUE, "issue 21: two Shingrix doses a week apart count as one",
        patient(born(1960), "male", shot(SHINGRIX, D(2026, 1, 5)), shot(SHINGRIX, D(2026, 1, 12))),
        since=D(2026, 2, 2), says="1 of 2 doses"),
    row("zoster-vaccine", DUE, "issue 21: turned 50 in 2010, due only since Shingrix (2018)",
        patient(born(1960), "female"), since=D(2018, 1, 26)),
    row("zoster-vaccine", UP, "Shingrix 2026-01-05 and 2026-03-10",
        patient(born(1960), "male", shot(SHINGRIX, D(2026, 1, 5)), shot(SHINGRIX, D(2026, 3, 10))),
        says="completed on 2026-03-10"),
    row("zoster-vaccine", UP, "first Shingrix two weeks ago: the second is not due yet",
        patient(born(1960), "male", shot(SHINGRIX, D(2026, 11, 10))), until=D(2026, 12, 7)),
    row("zoster-vaccine", NA, "45-year-old", patient(born(1981), "male")),
    # ---- pneumococcal 50+: PCV20 or PCV21, or PCV15 then PPSV23 (CDC 2024)
    row("pneumococcal-vaccine-50-plus", DUE, "issue 21: PCV13 alone is incomplete",
        patient(born(1955), "female", shot(PCV13, D(2021, 5, 1))), since=D(2022, 5, 1)),
    row("pneumococcal-vaccine-50-plus", DUE, "issue 21: PPSV23 alone is incomplete",
        patient(born(1955), "female", shot(PPSV23, D(2021, 5, 1))), since=D(2022, 5, 1)),
    row("pneumococcal-vaccine-50-plus", DUE, "issue 21: PCV15 alone is incomplete",
        patient(born(1955), "female", shot(PCV15, D(2023, 5, 1))), since=D(2024, 4, 30)),
    row("pneumococcal-vaccine-50-plus", DUE, "70, never vaccinated: due since 65",
        patient(born(1956, 6, 6), "male"), since=D(2021, 6, 6)),
    row("pneumococcal-vaccine-50-plus", DUE, "55: 50 to 64 only from October 2024",
        patient(born(1971), "male"), since=D(2024, 10, 23)),
    row("pneumococcal-vaccine-50-plus", UP, "PCV20", patient(born(1955), "male",
                                                         shot(PCV20, D(2022, 1, 1)))),
    row("pneumococcal-vaccine-50-plus", UP, "PCV15, then PPSV23 a year later",
        patient(born(1955), "male", shot(PCV15, D(2022, 1, 1)), shot(PPSV23, D(2023, 1, 2)))),
    row("pneumococcal-vaccine-50-plus", UP, "PCV13, then PPSV23 at 66 (the course before 2021)",
        patient(born(1950), "male", shot(PCV13, D(2015, 2, 1)), shot(PPSV23, D(2016, 2, 8)))),
    row("pneumococcal-vaccine-50-plus", NA, "45-year-old", patient(born(1981), "male")),
    # ---- pneumococcal 19 to 49 with a risk condition, including smoking
    row("pneumococcal-vaccine-risk-19-49", DUE, "issue 21: due from the diabetes onset",
        patient(born(1988), "male", conditions=[DIABETES]), since=D(2015, 3, 1)),
    row("pneumococcal-vaccine-risk-19-49", DUE, "issue 21: smoking recorded as an observation",
        patient(born(1990), "female", smoking(FORMER, D(2018, 1, 1)),
                smoking(SMOKES_DAILY, D(2021, 3, 1)), smoking(SMOKES_DAILY, D(2025, 3, 1))),
        since=D(2021, 3, 1), says="smoke"),
    row("pneumococcal-vaccine-risk-19-49", UP, "PCV20 after the diabetes",
        patient(born(1988), "male", shot(PCV20, D(2020, 1, 1)), conditions=[DIABETES])),
    row("pneumococcal-vaccine-risk-19-49", NA, "no risk condition, former smoker",
        patient(born(1988), "male", smoking(FORMER, D(2025, 1, 1)))),
    # ---- HPV: through 26; 2 doses 5 months apart if started before 15, else 3
    row("hpv-vaccine", DUE, "20-year-old, never vaccinated", patient(born(2006, 3, 3), "male"),
        since=D(2015, 3, 3)),
    row("hpv-vaccine", DUE, "2 doses at 12 only 2 months apart: a third is needed",
        patient(born(2010), "female", shot(HPV4, D(2022, 3, 1)), shot(HPV4, D(2022, 5, 1))),
        says="2 of 3 doses"),
    row("hpv-vaccine", UP, "2 doses at 12, 6 months apart",
        patient(born(2010), "female", shot(HPV4, D(2022, 3, 1)), shot(HPV4, D(2022, 9, 1)))),
    row("hpv-vaccine", NA, "30-year-old", patient(born(1996), "female")),
    # ---- hepatitis C: once, 18 to 79
    row("hepatitis-c-screening", DUE, "40-year-old, never tested", patient(born(1986), "male"),
        since=D(2020, 3, 2)),
    row("hepatitis-c-screening", UP, "antibody test 2021",
        patient(born(1986), "male", lab(HCV_AB, D(2021, 4, 1)))),
    row("hepatitis-c-screening", NA, "85-year-old", patient(born(1941), "female")),
    row("hepatitis-c-screening", NA, "chronic hepatitis C is followed, not screened",
        patient(born(1970), "male", conditions=[has("128302006", "Chronic hepatitis C")])),
    # ---- HIV: once 15 to 65; repeat tests depend on a history the record lacks
    row("hiv-screening", DUE, "30-year-old, never tested", patient(born(1996), "female"),
        since=D(2013, 4, 30), needs="sexual history"),
    row("hiv-screening", UP, "tested 2019, repeat testing needs the sexual history",
        patient(born(1996), "female", lab(HIV_AGAB, D(2019, 1, 1))), needs="sexual history"),
    row("hiv-screening", NA, "70-year-old", patient(born(1956), "female")),
    # ---- lung cancer: 50 to 80, >= 20 pack-years, smoking now or quit < 15 years; yearly
    row("lung-cancer-screening", NA, "smoker of 60 without pack-years: says what it needs",
        patient(born(1966), "male", smoking(SMOKES_DAILY, D(2026, 1, 1))),
        needs="pack-years"),
    row("lung-cancer-screening", DUE, "smoker of 60 with 30 pack-years",
        patient(born(1966), "male", smoking(SMOKES_DAILY, D(2026, 1, 1)),
                measured(PACK_YEARS, D(2026, 1, 1), "30")), since=D(2021, 3, 9)),
    row("lung-cancer-screening", OVERDUE, "low-dose CT 2025-01-10",
        patient(born(1966), "male", smoking(SMOKES_DAILY, D(2026, 1, 1)),
                measured(PACK_YEARS, D(2026, 1, 1), "30"), procedure(LDCT, D(2025, 1, 10))),
        since=D(2026, 1, 11)),
    row("lung-cancer-screening", UP, "low-dose CT 2026-05-01",
        patient(born(1966), "male", smoking(SMOKES_DAILY, D(2026, 1, 1)),
                measured(PACK_YEARS, D(2026, 1, 1), "30"), procedure(LDCT, D(2026, 5, 1)))),
    row("lung-cancer-screening", NA, "quit 20 years ago",
        patient(born(1956), "male", smoking(FORMER, D(2026, 1, 1)),
                measured(PACK_YEARS, D(2026, 1, 1), "40"),
                measured(YEARS_SINCE_QUIT, D(2026, 1, 1), "20"))),
    row("lung-cancer-screening", NA, "former smoker without a quit date: says what it needs",
        patient(born(1956), "male", smoking(FORMER, D(2026, 1, 1)),
                measured(PACK_YEARS, D(2026, 1, 1), "40")), needs="years ago you quit"),
    row("lung-cancer-screening", NA, "10 pack-years",
        patient(born(1966), "male", smoking(SMOKES_DAILY, D(2026, 1, 1)),
                measured(PACK_YEARS, D(2026, 1, 1), "10"))),
    row("lung-cancer-screening", NA, "never smoked",
        patient(born(1966), "male", smoking(NEVER, D(2026, 1, 1)))),
    # ---- abdominal aortic aneurysm: men 65 to 75 who ever smoked, once
    row("aaa-screening", DUE, "former smoker of 70",
        patient(born(1956, 2, 2), "male", smoking(FORMER, D(2024, 1, 1))), since=D(2021, 2, 2)),
    row("aaa-screening", UP, "ultrasound 2022",
        patient(born(1956), "male", smoking(FORMER, D(2024, 1, 1)), procedure(AORTA_US, D(2022, 1, 1)))),
    row("aaa-screening", NA, "never smoked", patient(born(1956), "male", smoking(NEVER, D(2024, 1, 1)))),
    row("aaa-screening", NA, "no smoking status: says what it needs", patient(born(1956), "male"),
        needs="ever smoked"),
    row("aaa-screening", NA, "a woman", patient(born(1956), "female", smoking(FORMER, D(2024, 1, 1)))),
    # ---- osteoporosis: women 65+; younger after menopause when at risk
    row("osteoporosis-screening", DUE, "66-year-old woman", patient(born(1960, 8, 8), "female"),
        since=D(2025, 8, 8)),
    row("osteoporosis-screening", UP, "DXA 2022", patient(born(1955), "female", lab(DXA_T, D(2022, 1, 1), "-1.2"))),
    row("osteoporosis-screening", NA, "a man", patient(born(1955), "male")),
    row("osteoporosis-screening", NA, "known osteoporosis",
        patient(born(1955), "female", conditions=[has("64859006", "Osteoporosis")])),
    row("osteoporosis-screening-postmenopausal", DUE, "55, postmenopausal (risk to work out)",
        patient(born(1971), "female", conditions=[has("76498008", "Postmenopausal state", D(2022, 1, 1))]),
        since=D(2025, 1, 14), needs="risk of a fracture"),
    row("osteoporosis-screening-postmenopausal", UP, "DXA 2025-03-01",
        patient(born(1971), "female", lab(DXA_T, D(2025, 3, 1), "-0.5"),
                conditions=[has("76498008", "Postmenopausal state", D(2022, 1, 1))])),
    row("osteoporosis-screening-postmenopausal", NA, "55, menopause not on record: says what it needs",
        patient(born(1971), "female"), needs="menopause"),
    row("osteoporosis-screening-postmenopausal", NA, "42: before the usual age of menopause",
        patient(born(1984), "female")),
    row("osteoporosis-screening-postmenopausal", NA, "70: the 65+ rule applies instead",
        patient(born(1956), "female")),
    # ---- anxiety: adults 64 and younger
    row("anxiety-screening", DUE, "30-year-old, never asked", patient(born(1996), "female"),
        since=D(2023, 6, 20)),
    row("anxiety-screening", OVERDUE, "GAD-7 2025-01-01",
        patient(born(1996), "female", lab(GAD7, D(2025, 1, 1))), since=D(2026, 1, 2)),
    row("anxiety-screening", UP, "GAD-7 2026-02-01",
        patient(born(1996), "female", lab(GAD7, D(2026, 2, 1)))),
    row("anxiety-screening", NA, "70-year-old", patient(born(1956), "female")),
    # ---- unhealthy alcohol use: adults
    row("alcohol-use-screening", DUE, "never asked", patient(born(1980), "male"),
        since=D(2018, 11, 13)),
    row("alcohol-use-screening", OVERDUE, "AUDIT-C 2025-01-01",
        patient(born(1980), "male", lab(AUDITC, D(2025, 1, 1))), since=D(2026, 1, 2)),
    row("alcohol-use-screening", UP, "AUDIT-C 2026-02-01",
        patient(born(1980), "male", lab(AUDITC, D(2026, 2, 1)))),
    row("alcohol-use-screening", NA, "17-year-old", patient(born(2009), "male")),
    # ---- unhealthy drug use: adults
    row("drug-use-screening", DUE, "never asked", patient(born(1980), "male"),
        since=D(2020, 6, 9)),
    row("drug-use-screening", OVERDUE, "DAST-10 2025-01-01",
        patient(born(1980), "male", lab(DAST10, D(2025, 1, 1))), since=D(2026, 1, 2)),
    row("drug-use-screening", UP, "DAST-10 2026-02-01",
        patient(born(1980), "male", lab(DAST10, D(2026, 2, 1)))),
    row("drug-use-screening", NA, "16-year-old", patient(born(2010), "male")),
    # ---- falls: 65+ at increased risk; the record rarely says, so it asks
    row("falls-prevention", NA, "70 with nothing about falls: says what it needs",
        patient(born(1956), "female"), needs="fallen"),
    row("falls-prevention", DUE, "a fall on record since 2025-09-01",
        patient(born(1956), "female", conditions=[has("161898004", "History of fall", D(2025, 9, 1))]),
        since=D(2025, 9, 1)),
    row("falls-prevention", OVERDUE, "exercise program 2025-01-01",
        patient(born(1956), "female", procedure(EXERCISE_THERAPY, D(2025, 1, 1)),
                conditions=[has("161898004", "History of fall", D(2024, 9, 1))]),
        since=D(2026, 1, 2)),
    row("falls-prevention", UP, "exercise program 2026-02-01",
        patient(born(1956), "female", procedure(EXERCISE_THERAPY, D(2026, 2, 1)),
                conditions=[has("161898004", "History of fall", D(2024, 9, 1))])),
    row("falls-prevention", NA, "60-year-old", patient(born(1966), "female")),
    # ---- the statin itself: 40 to 75, a risk factor and a 10-year risk of 10% or more
    row("statin-preventive-medication", NA, "hyperlipidemia, no 10-year risk on record: asks",
        patient(born(1970), "male", conditions=[HYPERLIPIDEMIA]), needs="10-year risk"),
    row("statin-preventive-medication", DUE, "hyperlipidemia and a 12.5% risk, no statin",
        patient(born(1970), "male", lab(ASCVD_RISK, D(2026, 3, 1), "12.5"),
                conditions=[HYPERLIPIDEMIA]), since=D(2016, 11, 15)),
    row("statin-preventive-medication", UP, "taking atorvastatin",
        patient(born(1970), "male", lab(ASCVD_RISK, D(2026, 3, 1), "12.5"),
                prescribed(ATORVASTATIN, D(2026, 4, 1), "Atorvastatin 80 MG Oral Tablet"),
                conditions=[HYPERLIPIDEMIA])),
    row("statin-preventive-medication", NA, "a 6% risk",
        patient(born(1970), "male", lab(ASCVD_RISK, D(2026, 3, 1), "6"),
                conditions=[HYPERLIPIDEMIA])),
    row("statin-preventive-medication", NA, "no risk factor on record", patient(born(1970), "male")),
    row("statin-preventive-medication", NA, "after a stroke: treatment, not primary prevention",
        patient(born(1970), "male", conditions=[HYPERLIPIDEMIA, STROKE])),
    # ---- hepatitis B: adults 19 to 59 (from 2022)
    row("hepatitis-b-vaccine", DUE, "30-year-old, never vaccinated", patient(born(1996), "male"),
        since=D(2022, 4, 1)),
    row("hepatitis-b-vaccine", DUE, "2 of 3 doses: the third from 16 weeks after the first",
        patient(born(1996), "male", shot(HEPB_ADULT, D(2026, 1, 1)), shot(HEPB_ADULT, D(2026, 2, 1))),
        since=D(2026, 4, 23), says="2 of 3 doses"),
    row("hepatitis-b-vaccine", DUE, "third dose too soon after the first (16 weeks needed)",
        patient(born(1996), "male", shot(HEPB_ADULT, D(2026, 1, 1)), shot(HEPB_ADULT, D(2026, 2, 1)),
                shot(HEPB_ADULT, D(2026, 3, 1)))),
    row("hepatitis-b-vaccine", UP, "3 doses at 0, 1 and 6 months",
        patient(born(1996), "male", shot(HEPB_ADULT, D(2025, 1, 1)), shot(HEPB_ADULT, D(2025, 2, 1)),
                shot(HEPB_ADULT, D(2025, 7, 1)))),
    row("hepatitis-b-vaccine", UP, "2 doses of Heplisav-B a month apart",
        patient(born(1996), "male", shot(HEPLISAV, D(2025, 1, 1)), shot(HEPLISAV, D(2025, 2, 1)))),
    row("hepatitis-b-vaccine", NA, "65-year-old", patient(born(1961), "male")),
    # ---- RSV: one dose at 75+, or 50 to 74 at increased risk
    row("rsv-vaccine-75-plus", DUE, "80-year-old", patient(born(1946), "female"),
        since=D(2024, 6, 26)),
    row("rsv-vaccine-75-plus", UP, "RSV vaccine 2024-09-01",
        patient(born(1946), "female", shot(RSV, D(2024, 9, 1)))),
    row("rsv-vaccine-75-plus", NA, "70-year-old", patient(born(1956), "female")),
    row("rsv-vaccine-50-74-risk", DUE, "62 with COPD: 60 to 74 from June 2024",
        patient(born(1964), "male", conditions=[COPD]), since=D(2024, 6, 26)),
    row("rsv-vaccine-50-74-risk", DUE, "55 with heart failure: 50 to 59 from June 2025",
        patient(born(1971), "male", conditions=[HEART_FAILURE]), since=D(2025, 6, 25)),
    row("rsv-vaccine-50-74-risk", UP, "62 with COPD, vaccinated 2025",
        patient(born(1964), "male", shot(RSV, D(2025, 9, 1)), conditions=[COPD])),
    row("rsv-vaccine-50-74-risk", NA, "62 with no risk condition", patient(born(1964), "male")),
]  # fmt: skip


def _decide(case: Row) -> RuleResult:
    results = evaluate(facts=case.facts, rules=RULES, on=ON)
    return next(r for r in results if r.rule.key == case.key)


@pytest.mark.parametrize("case", TABLE, ids=lambda c: f"{c.key}|{c.expect.value}|{c.why}")
def test_table(case: Row):
    outcome = _decide(case)
    assert outcome.status == case.expect, outcome.reason
    if case.since is not None:
        assert outcome.due_since == case.since, outcome.reason
    if case.until is not None:
        assert outcome.up_to_date_until == case.until, outcome.reason
    for words in case.says:
        assert words in outcome.reason
    for words in case.needs:
        assert any(words in need for need in outcome.needs), outcome.needs
        assert words in outcome.reason
    if case.expect is UP:
        assert outcome.evidence, "an up-to-date answer names the record entries it rests on"


def test_every_rule_has_rows_for_each_answer_it_can_give():
    covered: dict[str, set[Status]] = {}
    for case in TABLE:
        covered.setdefault(case.key, set()).add(case.expect)
    assert set(covered) == set(RULES_BY_KEY), "every shipped rule is in the table"
    for key, statuses in covered.items():
        rule = RULES_BY_KEY[key]
        repeats = rule.interval_days is not None or rule.season_start is not None
        wanted = {DUE, UP, NA} | ({OVERDUE} if repeats else set())
        assert wanted <= statuses, f"{key} lacks rows for {wanted - statuses}"


def test_every_added_rule_is_approved_content_with_a_source_and_a_year():
    for rule in RULES:
        assert rule.source.name and rule.source.url.startswith("https://"), rule.key
        assert 2018 <= rule.source.year <= 2026, rule.key

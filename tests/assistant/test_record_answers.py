"""Answers about the patient's own record, with related approved content cited."""

from __future__ import annotations

from datetime import date

import pytest
from answer_fakes import FakeRetriever, corpus_passages

from assistant.answer.pipeline import answer_question
from assistant.answer.record_answers import medicine_name
from assistant.answer.types import PatientContext
from knowledge.preventive import PatientFacts, RecordEntry, evaluate, load_default_rules

MEDICINES = ("lisinopril 20 MG Oral Tablet", "Naproxen sodium 220 MG Oral Tablet")


def _preventive_results():
    """The real engine's results for a 66-year-old woman, on 1 November 2026."""
    facts = PatientFacts(
        birth_date=date(1960, 5, 1),
        sex="female",
        entries=(
            RecordEntry("immunization", "cvx", "140", "Influenza", date(2025, 10, 1)),
            RecordEntry("immunization", "cvx", "187", "Zoster recombinant", date(2024, 1, 10)),
            RecordEntry("immunization", "cvx", "187", "Zoster recombinant", date(2024, 4, 10)),
            RecordEntry(
                "observation", "loinc", "85354-9", "Blood pressure panel", date(2026, 6, 1)
            ),
            RecordEntry("procedure", "snomed", "71651007", "Mammography", date(2025, 6, 1)),
            # Three Pap tests in the 10 years before 65: cervical screening may stop.
            RecordEntry("observation", "loinc", "10524-7", "Pap test", date(2016, 3, 1)),
            RecordEntry("observation", "loinc", "10524-7", "Pap test", date(2019, 3, 1)),
            RecordEntry("observation", "loinc", "10524-7", "Pap test", date(2022, 3, 1)),
        ),
    )
    return evaluate(facts=facts, rules=load_default_rules(), on=date(2026, 11, 1))


@pytest.fixture(scope="module")
def retriever():
    return FakeRetriever(corpus_passages())


@pytest.fixture(scope="module")
def patient():
    return PatientContext(
        age=66,
        sex="female",
        conditions=("Hypertension", "Anemia", "Fever"),
        medications=MEDICINES,
        care_plans=(
            (
                "Lifestyle education regarding hypertension",
                ("Dietary approaches to stop hypertension diet", "low salt diet education"),
            ),
        ),
        allergies=("Allergy to peanuts",),
        preventive=_preventive_results(),
    )


def _ask(text, patient, retriever):
    return answer_question(text=text, patient=patient, retriever=retriever)


def _line_of(answer, needle):
    (line,) = [line for line in answer.text.splitlines() if needle in line]
    return line


def test_medicines_are_listed_as_prescribed_with_what_each_is_for(patient, retriever):
    answer = _ask("what medicines am I on?", patient, retriever)
    assert answer.kind == "record"
    for display in MEDICINES:
        assert display in answer.text
    assert _line_of(answer, "lisinopril").endswith("[1]")
    (citation,) = answer.citations
    # Lisinopril's general page, never its dosing ("usage") or missed-dose section.
    assert citation.section_id == "MPlusDrugs_0000713_Sec10"
    assert citation.focus == "Lisinopril"
    assert "dose" not in citation.text.lower()
    assert "how you take yours" in answer.text


def test_conditions_are_listed_with_the_best_education_section_for_each(patient, retriever):
    answer = _ask("what are my conditions?", patient, retriever)
    assert answer.kind == "record"
    assert _line_of(answer, "Hypertension") == "- Hypertension (high blood pressure) [1]"
    assert _line_of(answer, "Anemia") == "- Anemia [2]"
    hbp, anemia = answer.citations
    assert (hbp.n, hbp.focus, hbp.kind) == (1, "High Blood Pressure", "section")
    assert hbp.section_id == "MPlusHealthTopics_0000471_Sec1"  # the "information" section
    assert hbp.version == 1
    assert (anemia.n, anemia.section_id) == (2, "MPlusHealthTopics_0000034_Sec1")
    assert "Fever" in answer.text and "you have" not in answer.text.lower()
    assert "general information from MedlinePlus" in answer.text


def test_next_steps_come_from_the_care_plan(patient, retriever):
    answer = _ask("What are my next steps?", patient, retriever)
    assert answer.kind == "record"
    line = _line_of(answer, "Lifestyle education regarding hypertension")
    assert "Dietary approaches to stop hypertension diet and low salt diet education" in line
    assert answer.citations and answer.citations[0].focus == "High Blood Pressure"


def test_allergies_are_listed(patient, retriever):
    answer = _ask("what allergies do I have?", patient, retriever)
    assert answer.kind == "record"
    assert "- Allergy to peanuts" in answer.text


def test_an_empty_record_says_so_instead_of_guessing(retriever):
    answer = _ask("what medicines am I on?", PatientContext(), retriever)
    assert answer.kind == "record"
    assert "doesn't list any active medicines" in answer.text
    assert answer.citations == []


def test_screenings_due_come_first_with_their_reason_and_recommendation(patient, retriever):
    answer = _ask("what screenings am I due for?", patient, retriever)
    assert answer.kind == "record"
    lines = answer.text.splitlines()
    due_lines = [line for line in lines if "(due now)" in line]
    up_to_date = lines.index("Up to date:")
    assert due_lines and all(lines.index(line) < up_to_date for line in due_lines)
    colorectal = _line_of(answer, "Colorectal cancer screening")
    assert "We found no colorectal cancer screening test in your record" in colorectal
    assert "Flu vaccine" not in answer.text  # a vaccine, not a screening
    rule = next(c for c in answer.citations if c.section_id == "colorectal-cancer-screening")
    assert rule.kind == "rule"
    assert rule.title == "USPSTF: Colorectal Cancer: Screening"
    assert rule.version == 2021
    assert rule.url.startswith("https://www.uspreventiveservicestaskforce.org/")
    assert f"[{rule.n}]" in colorectal
    # ... and the related approved content, retrieved with the rule's topic words.
    content = [c for c in answer.citations if c.kind == "section"]
    assert any(c.focus == "Colorectal Cancer" for c in content)


def test_a_question_about_one_vaccine_answers_about_that_vaccine(patient, retriever):
    answer = _ask("do I need a flu shot?", patient, retriever)
    assert answer.kind == "record"
    flu = _line_of(answer, "Flu vaccine")
    assert "(overdue)" in flu and "this season's has been overdue since 2026-08-01" in flu
    assert "mammogram" not in answer.text.lower()
    kinds = {c.kind: c for c in answer.citations}
    assert kinds["rule"].url == "https://www.cdc.gov/vaccines/hcp/imz-schedules/adult-age.html"
    assert kinds["section"].focus in {"Flu Shot", "Flu"}


def test_vaccines_question_lists_vaccines_only(patient, retriever):
    answer = _ask("am I up to date on my vaccines?", patient, retriever)
    assert "Shingles vaccine" in answer.text  # up to date
    assert "Tetanus" in answer.text  # due
    assert "Colorectal" not in answer.text


def test_no_preventive_list_for_a_patient_without_one(retriever):
    answer = _ask("what screenings am I due for?", PatientContext(preventive=None), retriever)
    assert answer.kind == "record"
    assert "preventive-care list isn't available" in answer.text
    assert "care team" in answer.text
    assert answer.meta["offer_nurse"] is True
    assert answer.citations == []


@pytest.mark.parametrize(
    ("display", "name"),
    [
        ("lisinopril 20 MG Oral Tablet", "lisinopril"),
        ("Naproxen sodium 220 MG Oral Tablet", "Naproxen sodium"),
        (
            "24 HR Donepezil hydrochloride 10 MG / Memantine 28 MG Capsule",
            "Donepezil hydrochloride",
        ),
        ("NDA020800 0.3 ML Epinephrine 1 MG/ML Auto-Injector", "Epinephrine"),
    ],
)
def test_medicine_names_are_read_from_prescription_wording(display, name):
    assert medicine_name(display) == name

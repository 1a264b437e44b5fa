"""The last check before anything reaches a patient: no dosing instructions, no diagnosis."""

from __future__ import annotations

import pytest

from assistant.answer import safety

DOSING = [
    "Take 500 mg every 6 hours.",
    "You should increase your dose to 40 mg.",
    "Double your dose if you miss one.",
    "The usual dose is 2 tablets twice a day.",
    "Adults usually take two tablets by mouth once daily.",
    "It is important to take 0.4 mg of folic acid every day before you become pregnant.",
    "Stop taking your lisinopril.",
    "Cut your insulin dose in half tonight.",
    "Glucocorticoids (1 mg/kg) are the mainstay therapy.",
]
DIAGNOSIS = [
    "You have diabetes.",
    "You are suffering from high blood pressure.",
    "Your symptoms mean you have the flu.",
    "It sounds like you have a migraine.",
    "You probably have asthma.",
    "This means you have kidney disease.",
    "Based on what you describe, you have the flu.",
]
FINE = [
    "If you have diabetes, check your feet every day.",
    "People who have asthma may wheeze.",
    "Do you have a fever?",
    "You have to keep taking your medicine.",
    "lisinopril 20 MG Oral Tablet",
    "Do not stop taking this medicine without talking to your doctor.",
    "Your doctor may change your dose.",
    "Take all medications as prescribed.",
    "Talk to your doctor about the right dose for you.",
    "You have a higher risk of heart disease if you smoke.",
    "Aim for less than 2,300 milligrams of sodium each day.",
    "When you have high blood pressure, your heart works harder.",
    "Treatment depends on the type of cancer you have.",
    "Blood pressure below 120/80 mmHg is normal.",
]


@pytest.mark.parametrize("sentence", DOSING)
def test_dosing_instructions_are_caught(sentence):
    assert safety.sentence_problem(sentence).startswith("dosing:")


@pytest.mark.parametrize("sentence", DIAGNOSIS)
def test_telling_the_patient_what_they_have_is_caught(sentence):
    assert safety.sentence_problem(sentence).startswith("diagnosis:")


@pytest.mark.parametrize("sentence", FINE)
def test_general_education_and_record_names_pass(sentence):
    assert safety.sentence_problem(sentence) is None


def test_filter_removes_only_the_offending_sentences_and_says_why():
    result = safety.filter_text(
        "Gout is a painful form of arthritis. Take 600 mg of ibuprofen three times a day. "
        "You have gout. Rest the joint and drink fluids."
    )
    assert result.kept == [
        "Gout is a painful form of arthritis.",
        "Rest the joint and drink fluids.",
    ]
    assert [r.reason.split(":")[0] for r in result.removed] == ["dosing", "diagnosis"]
    assert result.changed


def test_check_lines_keeps_the_list_layout_and_drops_emptied_lines():
    text = (
        "Your record lists these active medicines:\n"
        "- lisinopril 20 MG Oral Tablet [1]\n"
        "- Take 2 tablets of naproxen twice a day. [2]\n"
        "Your pharmacist can answer questions."
    )
    result = safety.check_lines(text)
    assert "\n".join(result.kept) == (
        "Your record lists these active medicines:\n"
        "- lisinopril 20 MG Oral Tablet [1]\n"
        "Your pharmacist can answer questions."
    )
    assert len(result.removed) == 1

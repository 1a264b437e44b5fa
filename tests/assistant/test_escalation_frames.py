"""Report versus topic: a frame that says nobody has the problem now lets the gate answer, and
never hides a problem someone has now.

Two kinds of frame (assistant/escalation/rules/base.py `TOPIC_FRAMES`, context.py):
- what the writer read, watched, teaches, studies or writes about: an emergency word there, with
  nobody said to be living it, is a topic (the rule's own education check drops the match);
- a message saying that everyone concerned is well now, or asking how to keep a condition away:
  an urgent symptom word there is lowered only where the classifier also says routine.
Anything placing a problem in the present ("now", "since", "right now") keeps the escalation.
"""

from __future__ import annotations

import pytest

from assistant.escalation import classify

TOPICS = (
    "Watched a documentary last night about fentanyl overdose deaths in small towns. Why are "
    "they rising so fast?",
    "We practiced choking rescue on a dummy in my babysitting course. How many back blows "
    "come before the chest thrusts?",
    "Preparing for my EMT exam: which signs tell a stroke apart from a low blood sugar?",
    "I'm writing a thriller where the villain poisons someone with a plant. Which plants are "
    "the most dangerous?",
    "Estoy preparando una clase para explicar a mis alumnos qué es el suicidio juvenil y cómo "
    "pedir ayuda. ¿Qué materiales recomiendan?",
    # the verb in any form, as Spanish speakers write it
    "¿Cómo le enseño a mis alumnos de primaria las señales de un infarto? Soy maestra.",
)

ALL_CLEAR = (
    "My daughter had a stomach bug with diarrhea last week, she's fine now and eating again "
    "normally. How long should she stay home from daycare after it?",
    "What can I do to avoid catching the flu from my coworkers this winter? I'm healthy, just "
    "want to stay that way.",
    "Do I need the shingles vaccine if I already had chickenpox as a kid? Nothing is going on, "
    "just planning ahead.",
)

STILL_ESCALATED = (
    # The same frames, with a problem someone has now.
    (
        "We practiced overdose response in my first aid course and now my roommate took a whole "
        "bottle of pills and won't wake up",
        "emergency",
    ),
    (
        "I'm writing a novel but right now I have crushing chest pain and my left arm is numb",
        "emergency",
    ),
    (
        "Saw a news story about strokes and now my dad's face is drooping and his speech is "
        "slurred",
        "emergency",
    ),
    (
        "Les hablo a mis alumnos de esto mañana pero ahora mismo mi esposo tiene un dolor de pecho"
        " muy fuerte y está sudando",
        "emergency",
    ),
    # Words of well-being that do not clear anyone.
    ("He is not well, fever of 103 since yesterday and he keeps throwing up", "urgent"),
    ("I'm fine at rest but short of breath when I climb stairs, started this week", "urgent"),
    ("mi mamá no está bien, tiene fiebre alta desde ayer y mucho dolor al orinar", "urgent"),
    (
        "The rash went away on Monday but it came back today, red and spreading, and it's painful",
        "urgent",
    ),
)

SEVERITY = {"routine": 0, "urgent": 1, "emergency": 2}


@pytest.mark.parametrize("message", TOPICS)
def test_an_emergency_word_in_what_the_writer_read_teaches_or_writes_is_answered(message):
    assert classify(message).level == "routine"


@pytest.mark.parametrize("message", ALL_CLEAR)
def test_a_symptom_word_where_everyone_is_well_or_in_a_prevention_question_is_answered(message):
    decision = classify(message)
    assert decision.level == "routine", decision.explanation()


@pytest.mark.parametrize(("message", "at_least"), STILL_ESCALATED)
def test_a_problem_someone_has_now_is_escalated_whatever_frames_it(message, at_least):
    decision = classify(message)
    assert SEVERITY[decision.level] >= SEVERITY[at_least], decision.explanation()


# A medicine, reading or mental-health rule concerns this patient's treatment: only a frame that
# takes the patient's present out of it (a course, a past finished with the doctor, a
# hypothetical) lets the classifier lower it. A plain question or a report keeps the nurse.
DECISION_OFF_PRESENT = (
    "If I ever forget a dose of my blood pressure pill, what is the general rule?",
    "I'm a teacher preparing a lesson on teen anxiety and depression, any good ways to explain it?",
)

DECISION_KEPT = (
    "Is ibuprofen safe while breastfeeding?",
    "I stopped taking my lithium three days ago and I feel weird",
    "I took a double dose of my metoprolol by mistake this morning",
)


@pytest.mark.parametrize("message", DECISION_OFF_PRESENT)
def test_a_medicine_or_mood_word_off_the_patients_present_is_answered(message):
    decision = classify(message)
    assert decision.level == "routine", decision.explanation()


@pytest.mark.parametrize("message", DECISION_KEPT)
def test_a_medicine_question_or_report_about_the_patient_still_goes_to_a_nurse(message):
    decision = classify(message)
    assert decision.level == "urgent", decision.explanation()


# A subject line, as questions sent by e-mail or a web form open with, names the topic of the
# message: a warning sign there is asked about when the body is a general question, and
# escalates as ever when the body reports it or could ("what should I do").
TITLED_QUESTIONS = (
    "Chest pain\nWhat are the usual causes of chest pain in teenagers besides the heart?",
    "Re: stroke\nWhat are the warning signs of a stroke that families should know?",
)

TITLED_REPORTS = (
    "chest pain\nwhat should I do",
    "Overdose\nmy son took all of my pills and won't wake up",
    "SUBJECT: seizure MESSAGE: my daughter is having a seizure right now and it won't stop",
    "Chest pain\nIt started an hour ago, crushing, and my arm is numb",
)


@pytest.mark.parametrize("message", TITLED_QUESTIONS)
def test_a_warning_sign_in_the_subject_line_of_a_general_question_is_answered(message):
    decision = classify(message)
    assert decision.level == "routine", decision.explanation()


@pytest.mark.parametrize("message", TITLED_REPORTS)
def test_a_subject_line_over_a_report_or_a_plea_still_escalates(message):
    assert classify(message).level == "emergency"

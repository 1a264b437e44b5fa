"""Thank-yous, greetings and goodbyes get a short reply, not a failed search."""

from __future__ import annotations

import pytest
from answer_fakes import FakeRetriever, corpus_passages

from assistant.answer.courtesy import Courtesy, accepts_offer, courtesy_of
from assistant.answer.pipeline import AUTOMATED_LINE, answer_question
from assistant.answer.types import PatientContext

PATIENT = PatientContext(age=58, sex="female", conditions=("Hypertension",))


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Thank you, I will wait for the nurse.", Courtesy.THANKS),
        ("Thanks, I'll wait for the nurse to call me back", Courtesy.THANKS),
        ("thx!!", Courtesy.THANKS),
        ("Thank you doctor for the information \N{PERSON WITH FOLDED HANDS}", Courtesy.THANKS),
        ("OK thanks, bye", Courtesy.THANKS),
        ("Hello", Courtesy.GREETING),
        ("Hi, how are you?", Courtesy.GREETING),
        ("anyone there?", Courtesy.GREETING),
        ("Bye, take care", Courtesy.GOODBYE),
        ("ok", Courtesy.ACKNOWLEDGEMENT),
        ("Got it, that makes sense.", Courtesy.ACKNOWLEDGEMENT),
    ],
)
def test_courtesies_are_recognised(text, kind):
    assert courtesy_of(text) is kind


@pytest.mark.parametrize(
    "text",
    [
        "Thanks, what about side effects?",  # a question
        "thanks but it still hurts",  # a worry
        "Hi, I have diabetes",  # a topic
        "Thank you. I have another question about metformin",
        "Hello, can I stop taking lisinopril",
        "yes",  # may answer an offer: not for this module to guess
        "What is asthma?",
        "",
    ],
)
def test_anything_more_than_a_courtesy_is_not_one(text):
    assert courtesy_of(text) is None


def test_a_thank_you_gets_a_courtesy_reply_and_no_search():
    retriever = FakeRetriever(corpus_passages())
    history = [("patient", "What is high blood pressure?"), ("assistant", "High blood ...")]
    answer = answer_question(
        text="Thank you!", patient=PATIENT, retriever=retriever, history=history
    )
    assert answer.kind == "courtesy"
    assert answer.text.startswith("You're welcome.")
    assert "don't have approved information" not in answer.text
    assert answer.citations == [] and answer.escalate is False
    assert retriever.calls == []


def test_a_greeting_first_says_who_is_answering():
    answer = answer_question(text="hi", patient=PATIENT, retriever=FakeRetriever([]))
    assert answer.kind == "courtesy"
    assert answer.text.startswith(f"Hello. {AUTOMATED_LINE} I can explain")
    assert "send your question to a nurse" in answer.text


def test_while_a_nurse_handles_the_thread_a_thank_you_is_told_the_nurse_sees_it():
    answer = answer_question(
        text="Thank you, I will wait for the nurse.",
        patient=PATIENT,
        retriever=FakeRetriever(corpus_passages()),
        history=[("patient", "Should I double my lisinopril?"), ("assistant", "Sent to a nurse")],
        care_team_active=True,
    )
    assert answer.kind == "courtesy"
    assert "nurse handling your conversation sees your messages" in answer.text
    assert "911" in answer.text
    assert "I can send your question" not in answer.text


def test_while_a_nurse_handles_the_thread_an_abstention_does_not_offer_a_nurse():
    answer = answer_question(
        text="Who won the football game last night?",
        patient=PATIENT,
        retriever=FakeRetriever(corpus_passages()),
        care_team_active=True,
    )
    assert answer.kind == "abstain"
    assert "The nurse handling your conversation sees this question" in answer.text
    assert "I can send your question to a nurse" not in answer.text


@pytest.mark.parametrize(
    "text", ["Thanks. I have crushing chest pain", "thank you, I want to kill myself"]
)
def test_the_gate_comes_before_any_courtesy(text):
    answer = answer_question(text=text, patient=PATIENT, retriever=FakeRetriever([]))
    assert answer.kind == "safety" and answer.level == "emergency"


@pytest.mark.parametrize(
    "text",
    [
        "yes",
        "Yes please!",
        "yes, send it to the nurse",
        "Sure, I\u2019d like that",
        "please do",
        "yep, thank you",
        "Yes, can you send it?",
    ],
)
def test_a_plain_yes_accepts_the_offer_of_a_nurse(text):
    assert accepts_offer(text)
    answer = answer_question(
        text=text, patient=PATIENT, retriever=FakeRetriever([]), nurse_offered=True
    )
    assert answer.kind == "accept_offer" and answer.escalate is False


@pytest.mark.parametrize(
    "text",
    ["ok", "no thanks", "not yet", "yes but can I take ibuprofen?", "yes, what is asthma?", ""],
)
def test_anything_but_a_yes_does_not_accept_the_offer(text):
    assert not accepts_offer(text)
    answer = answer_question(
        text=text, patient=PATIENT, retriever=FakeRetriever([]), nurse_offered=True
    )
    assert answer.kind != "accept_offer"


def test_a_yes_with_no_offer_pending_is_not_taken_as_one():
    # No offer made; or an offer made but a nurse already handles the conversation.
    for offered, active in ((False, False), (True, True)):
        answer = answer_question(
            text="yes please",
            patient=PATIENT,
            retriever=FakeRetriever([]),
            nurse_offered=offered,
            care_team_active=active,
        )
        assert answer.kind != "accept_offer", (offered, active)


def test_the_gate_comes_before_a_yes():
    answer = answer_question(
        text="yes please, my chest hurts and I can't breathe",
        patient=PATIENT,
        retriever=FakeRetriever([]),
        nurse_offered=True,
    )
    assert answer.kind == "safety" and answer.level == "emergency"

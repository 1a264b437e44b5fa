"""Receiving and answering patient messages, feedback and hand-offs (the chat's services)."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from chat_fixtures import make_patient
from django.utils import timezone

from assistant import delivery, services
from assistant.context import patient_context
from assistant.models import Escalation, Feedback, KnowledgeGap, Message
from portal.models import CarePlan, CarePlanActivity, Condition, Medication

pytestmark = pytest.mark.django_db


def ask(conversation, text: str, client_id: str = "c1") -> Message:
    """Save a patient message without running its answer (no commit in a plain db test)."""
    message, created = services.message_receive(
        conversation=conversation,
        user=conversation.patient.user,
        text=text,
        client_id=client_id,
    )
    assert created
    return message


def reply_to(message: Message) -> Message:
    return Message.objects.exclude(role="patient").get(reply_to=message)


# --- receiving ----------------------------------------------------------------------------------


def test_a_message_is_saved_pending_and_titles_the_conversation(conversation):
    message = ask(conversation, "  What is high blood pressure?")
    message.refresh_from_db()
    assert message.answer_state == "pending"
    assert message.author == conversation.patient.user
    conversation.refresh_from_db()
    assert conversation.title == "What is high blood pressure?"


def test_the_same_client_id_returns_the_stored_message(conversation):
    first = ask(conversation, "What is anemia?", client_id="abc")
    again, created = services.message_receive(
        conversation=conversation,
        user=conversation.patient.user,
        text="What is anemia?",
        client_id="abc",
    )
    assert (again.pk, created) == (first.pk, False)
    assert Message.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_answer_is_produced_after_the_commit(conversation, small_retriever):
    message = ask(conversation, "What is high blood pressure?")
    message.refresh_from_db()
    assert message.answer_state == "answered"  # in-process (eager) in the embedded mode
    assert reply_to(message).role == "assistant"


# --- answering ----------------------------------------------------------------------------------


def test_a_routine_question_is_answered_with_frozen_citations(conversation, small_retriever):
    message = ask(conversation, "What is high blood pressure?")
    answer = services.message_answer(message_id=message.pk)
    assert answer is not None and answer.kind == "answer"
    assert answer.reply_to == message
    assert answer.citations, "a content answer cites what it used"
    known = {s.external_id: s for s in small_retriever.sections}
    for cite in answer.citations:
        section = known[cite["section_id"]]
        assert cite["version"] == 1
        assert cite["source"] == section.source and cite["url"] == section.url
        assert cite["text"] and cite["n"] >= 1
        assert f"[{cite['n']}]" in answer.text
    assert answer.meta["level"] == "routine"
    assert answer.meta["decision"]["level"] == "routine"
    message.refresh_from_db()
    assert message.answer_state == "answered"
    assert not Escalation.objects.exists()


def test_the_patients_conditions_steer_the_search(conversation, small_retriever):
    message = ask(conversation, "How is my condition treated?")
    services.message_answer(message_id=message.pk)
    query, topics = small_retriever.queries[-1]
    assert "hypertension" in (query + " ".join(topics)).lower()


def test_answering_twice_saves_one_answer(conversation, small_retriever):
    message = ask(conversation, "What is high blood pressure?")
    assert services.message_answer(message_id=message.pk) is not None
    assert services.message_answer(message_id=message.pk) is None
    assert Message.objects.filter(reply_to=message).count() == 1


def test_an_emergency_gets_safety_instructions_and_an_escalation(conversation, small_retriever):
    message = ask(conversation, "I have crushing chest pain and my left arm is numb")
    # Saved, escalated and answered in the transaction that saved it: nothing left to queue.
    message.refresh_from_db()
    assert message.answer_state == "answered"
    assert services.message_answer(message_id=message.pk) is None
    answer = reply_to(message)
    assert answer.kind == "safety"
    assert "911" in answer.text
    assert answer.citations == []
    esc = Escalation.objects.get(conversation=conversation)
    assert (esc.level, esc.status, esc.trigger_message) == ("emergency", "open", message)
    assert esc.rule_id and esc.rule_title and esc.matched
    assert esc.due_at <= timezone.now() + timedelta(minutes=5)


def test_an_unanswerable_question_is_recorded_as_a_knowledge_gap(conversation, small_retriever):
    message = ask(conversation, "What causes Fabry disease and is it inherited?")
    answer = services.message_answer(message_id=message.pk)
    assert answer.kind == "abstain"
    assert answer.citations == []
    gap = KnowledgeGap.objects.get(message=message)
    assert gap.question == message.text
    assert not Escalation.objects.exists()  # offered, not opened: the patient decides


def test_a_failing_pipeline_marks_the_message_and_tells_the_patient(
    conversation, monkeypatch, caplog
):
    class BrokenRetriever:
        def search(self, query, *, k=10, topics=()):
            raise ConnectionError("index unavailable")

    monkeypatch.setattr("knowledge.wiring.get_retriever", BrokenRetriever, raising=False)
    message = ask(conversation, "What is high blood pressure?")
    with caplog.at_level(logging.ERROR, logger="assistant.services"):
        notice = services.message_answer(message_id=message.pk)
    assert notice.kind == "error" and "care team" in notice.text
    message.refresh_from_db()
    assert message.answer_state == "failed"
    assert "pipeline failed" in caplog.text
    # A redelivered task does not add a second notice.
    assert services.message_answer(message_id=message.pk) is None
    assert Message.objects.filter(reply_to=message).count() == 1


@pytest.mark.django_db(transaction=True)
def test_stale_pending_messages_are_answered_when_the_chat_opens(conversation, small_retriever):
    stale = Message.objects.create(
        conversation=conversation,
        role="patient",
        kind="question",
        text="What is high blood pressure?",
        answer_state="pending",
        client_id="s1",
    )
    Message.objects.filter(pk=stale.pk).update(created_at=timezone.now() - timedelta(minutes=2))
    fresh = Message.objects.create(
        conversation=conversation,
        role="patient",
        kind="question",
        text="What is anemia?",
        answer_state="pending",
        client_id="f1",
    )
    assert delivery.messages_requeue_stale(conversation=conversation) == [stale.pk]
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert stale.answer_state == "answered"
    assert fresh.answer_state == "pending"  # its own task may still be running


# --- feedback and hand-off ------------------------------------------------------------------------


def test_feedback_is_one_per_person_and_message_and_can_change(conversation):
    answer = Message.objects.create(
        conversation=conversation, role="assistant", kind="answer", text="An answer"
    )
    user = conversation.patient.user
    services.feedback_record(user=user, message=answer, helpful=True)
    services.feedback_record(user=user, message=answer, helpful=False, comment="unclear")
    fb = Feedback.objects.get()
    assert (fb.helpful, fb.comment) == (False, "unclear")


def test_asking_for_a_nurse_opens_one_routine_escalation(conversation):
    question = ask(conversation, "Can I travel after my surgery?")
    notice = Message.objects.create(
        conversation=conversation, role="system", kind="error", text="failed", reply_to=question
    )
    esc = services.handoff_request(conversation=conversation, message=notice)
    again = services.handoff_request(conversation=conversation, message=question)
    assert again.pk == esc.pk
    assert (esc.level, esc.trigger_message) == ("routine", question)
    assert Message.objects.filter(kind="handoff", reply_to=question).count() == 1


def test_a_yes_to_the_offer_of_a_nurse_sends_the_question_it_offered_for(
    conversation, small_retriever
):
    question = ask(conversation, "What causes Fabry disease and is it inherited?")
    assert services.message_answer(message_id=question.pk).kind == "abstain"  # offers a nurse

    yes = ask(conversation, "Yes please", client_id="c2")
    notice = services.message_answer(message_id=yes.pk)

    esc = Escalation.objects.get()
    assert (esc.trigger_message, esc.level, esc.rule_id) == (question, "routine", "patient_request")
    assert (notice.kind, notice.reply_to) == ("handoff", yes)  # the "yes" is answered by it
    yes.refresh_from_db()
    assert yes.answer_state == Message.AnswerState.ANSWERED
    # Asked once: another "yes" is not a second hand-off, and is told the nurse sees it.
    again = ask(conversation, "yes", client_id="c3")
    assert services.message_answer(message_id=again.pk).kind != "handoff"
    assert Escalation.objects.count() == 1
    assert Message.objects.filter(kind="handoff").count() == 1


def test_a_yes_after_an_answer_is_not_taken_as_asking_for_a_nurse(conversation, small_retriever):
    question = ask(conversation, "What is high blood pressure?")
    assert services.message_answer(message_id=question.pk).kind == "answer"
    yes = ask(conversation, "yes please", client_id="c2")
    services.message_answer(message_id=yes.pk)
    assert not Escalation.objects.exists()


# --- the record as plain data ---------------------------------------------------------------------


def test_patient_context_holds_the_active_record_and_no_name(db):
    _user, patient = make_patient("ana.silva", given="Ana", family="Silva", conditions=())
    Condition.objects.create(
        patient=patient, fhir_id="c1", display="Hypertension (disorder)", clinical_status="active"
    )
    Condition.objects.create(
        patient=patient,
        fhir_id="c2",
        display="Acute bronchitis (disorder)",
        clinical_status="resolved",
    )
    Medication.objects.create(
        patient=patient, fhir_id="m1", display="lisinopril 10 MG", status="active"
    )
    Medication.objects.create(
        patient=patient, fhir_id="m2", display="amoxicillin", status="stopped"
    )
    plan = CarePlan.objects.create(
        patient=patient,
        fhir_id="p1",
        display="Lifestyle education regarding hypertension (procedure)",
        status="active",
    )
    CarePlanActivity.objects.create(care_plan=plan, position=0, display="Exercise therapy")
    ctx = patient_context(patient)
    assert list(ctx.conditions) == ["Hypertension"]
    assert list(ctx.medications) == ["lisinopril 10 MG"]
    assert [(name, list(acts)) for name, acts in ctx.care_plans] == [
        ("Lifestyle education regarding hypertension", ["Exercise therapy"])
    ]
    assert ctx.age == patient.age_on(timezone.localdate())
    assert ctx.sex == "female"
    assert "Ana Silva" in ctx.private_terms and "1961-04-02" in ctx.private_terms
    public = repr((ctx.conditions, ctx.medications, ctx.care_plans, ctx.allergies))
    assert "Silva" not in public

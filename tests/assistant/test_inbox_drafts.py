"""Drafted replies: grounded in approved content with citations, in the nurse's voice, never
sent by themselves."""

from __future__ import annotations

import pytest
from inbox_fixtures import escalate, make_patient

from assistant.inbox import services as svc
from assistant.models import Conversation, DraftReply, Message

pytestmark = pytest.mark.django_db


def test_an_emergency_draft_leads_with_safety_and_cites_approved_content(
    emergency, plain_nurse, small_retriever_inbox
):
    messages_before = Message.objects.count()
    draft = svc.draft_reply_build(escalation=emergency, nurse=plain_nurse)
    assert isinstance(draft, DraftReply) and draft.pk
    text = draft.text
    assert text.startswith("Hello Maria, this is Nora from your care team.")
    assert "911" in text.split("\n\n")[1]  # the safety instructions come before any content
    assert text.rstrip().endswith("— Nora")
    # Grounded: each [n] in the text is a citation of a real section the retriever returned.
    returned = {p.section_id for p in small_retriever_inbox.search(draft.question, k=8)}
    assert draft.citations, text
    for citation in draft.citations:
        assert f"[{citation['n']}]" in text
        assert citation["section_id"] in returned
        assert citation["version"] == 1 and citation["url"].startswith("http")
    assert any("heart attack" in c["focus"].lower() for c in draft.citations)
    # A draft is never sent on its own.
    assert Message.objects.count() == messages_before
    assert draft.used is None


def test_a_draft_answers_the_patients_own_words(urgent, plain_nurse, small_retriever_inbox):
    draft = svc.draft_reply_build(escalation=urgent, nurse=plain_nurse)
    assert draft.question == urgent.trigger_message.text
    assert any("blood pressure" in c["focus"].lower() for c in draft.citations)
    assert small_retriever_inbox.queries[-1][0].startswith("My blood pressure reading")


def test_without_relevant_content_the_draft_has_no_citations(plain_nurse, small_retriever_inbox):
    _user, patient = make_patient("zoe.hart", given="Zoe", family="Hart")
    esc = escalate(
        Conversation.objects.create(patient=patient),
        "Is the parking garage open on Sundays?",
        level="routine",
        rule_title="",
        matched=(),
    )
    draft = svc.draft_reply_build(escalation=esc, nurse=plain_nurse)
    assert draft.citations == []
    assert "[1]" not in draft.text
    assert draft.text.startswith("Hello Zoe,")
    assert draft.meta["no_content"]  # the pipeline's reason for not answering from content


def test_the_thread_page_offers_the_draft_prefilled_for_editing(
    client, plain_nurse, emergency, small_retriever_inbox
):
    client.force_login(plain_nurse)
    response = client.get(f"/inbox/{emergency.pk}/")
    draft = DraftReply.objects.get(escalation=emergency)
    html = response.content.decode()
    assert f'name="draft_id" id="draft-id" value="{draft.pk}"' in html
    assert "Hello Maria, this is Nora" in html
    # Opening the thread again reuses the draft instead of drafting anew.
    client.get(f"/inbox/{emergency.pk}/")
    assert DraftReply.objects.filter(escalation=emergency).count() == 1
    client.post(f"/inbox/{emergency.pk}/draft/")
    assert DraftReply.objects.filter(escalation=emergency).count() == 2


def test_an_urgent_draft_keeps_the_advice_but_speaks_as_the_care_team(
    plain_nurse, small_retriever_inbox
):
    _user, patient = make_patient("lee.park", given="Lee", family="Park")
    esc = escalate(
        Conversation.objects.create(patient=patient),
        "can I double my dose of lisinopril if my pressure is high?",
        level="urgent",
        rule_title="Dose change",
        matched=("double my dose",),
    )
    text = svc.draft_reply_build(escalation=esc, nurse=plain_nurse).text
    safety = text.split("\n\n")[1]
    assert "call the clinic" in safety and "911" in safety
    # What the assistant said about handing off makes no sense coming from the nurse.
    assert "care team" not in safety and "A nurse will reply" not in safety

"""The inbox pages as a nurse uses them: what the queue and a thread show, and the forms."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from assistant.inbox import services as svc
from assistant.models import Alert, CannedReply, DraftReply, Escalation, Message
from portal.models import Allergy, CarePlan, CarePlanActivity, Medication

pytestmark = pytest.mark.django_db


def test_the_queue_shows_patient_reason_wait_and_claim(
    nurse_client, plain_nurse, emergency, urgent
):
    Escalation.objects.filter(pk=urgent.pk).update(due_at=timezone.now() - timedelta(minutes=7))
    svc.escalation_claim(escalation=urgent, nurse=plain_nurse)
    response = nurse_client.get(reverse("inbox:queue"))
    html = response.content.decode()
    rows = response.context["rows"]
    assert [r["id"] for r in rows] == [emergency.pk, urgent.pk]
    assert "Maria Lopez" in html and "James Kent" in html
    assert "the patient wrote <mark>crushing chest pain</mark>" in html
    assert rows[0]["sla_text"].startswith("due in") and "Unclaimed" in html
    assert rows[1]["overdue"] and "overdue by 7 min" in html
    assert rows[1]["claimed_by_name"] == "Nora Quinn"


def test_resolved_escalations_leave_the_queue(nurse_client, emergency, plain_nurse):
    svc.escalation_resolve(escalation=emergency, nurse=plain_nurse, disposition="called")
    response = nurse_client.get(reverse("inbox:queue"))
    assert response.context["rows"] == []
    assert "Called the patient" in response.content.decode()  # under "recently resolved"


def test_the_queue_lists_my_unread_alerts(nurse_client, plain_nurse, emergency):
    Alert.objects.create(
        escalation=emergency, recipient=plain_nurse, kind="overdue", text="Overdue #1", round=1
    )
    assert "Overdue #1" in nurse_client.get(reverse("inbox:queue")).content.decode()
    nurse_client.post(reverse("inbox:alerts_read"), {"next": "https://evil.example/"})
    assert Alert.objects.get().read_at is not None


def test_dismissing_alerts_never_redirects_off_site(nurse_client):
    response = nurse_client.post(reverse("inbox:alerts_read"), {"next": "//evil.example/x"})
    assert response["Location"] == reverse("inbox:queue")


@pytest.fixture
def record(emergency):
    patient = emergency.conversation.patient
    Allergy.objects.create(
        patient=patient,
        fhir_id="al1",
        display="Penicillin",
        clinical_status="active",
        criticality="high",
    )
    Medication.objects.create(
        patient=patient, fhir_id="m1", display="lisinopril 10 MG Oral Tablet", status="active"
    )
    plan = CarePlan.objects.create(
        patient=patient, fhir_id="cp1", display="Hypertension care plan", status="active"
    )
    CarePlanActivity.objects.create(care_plan=plan, position=0, display="Low salt diet")
    return patient


def test_the_thread_shows_conversation_record_and_what_the_assistant_cited(
    nurse_client, emergency, record
):
    Message.objects.create(
        conversation=emergency.conversation,
        role="assistant",
        kind="safety",
        text="Call 911 now.",
        citations=[
            {
                "n": 1,
                "section_id": "NHLBI_58_1",
                "version": 3,
                "title": "What is a heart attack?",
                "source": "NHLBI",
                "url": "https://www.nhlbi.nih.gov/health/heart-attack",
            }
        ],
    )
    html = nurse_client.get(reverse("inbox:thread", args=[emergency.pk])).content.decode()
    assert "crushing chest pain going down my left arm" in html  # the patient's words
    assert "Call 911 now." in html  # what the assistant said
    assert "What is a heart attack?" in html and "NHLBI_58_1 v3" in html  # what it cited
    for fact in ("Hypertension", "Penicillin", "lisinopril 10 MG", "Low salt diet"):
        assert fact in html
    assert 'id="claim-btn"' in html and 'id="resolve-form"' in html


def test_an_admin_reads_the_thread_without_actions(admin_client, emergency):
    html = admin_client.get(reverse("inbox:thread", args=[emergency.pk])).content.decode()
    assert "Maria Lopez" in html
    assert 'id="claim-btn"' not in html and 'id="reply-form"' not in html


def test_reply_through_the_form_with_an_edited_draft(nurse_client, emergency):
    draft = DraftReply.objects.create(
        escalation=emergency, question="q", text="Hello Maria, please call 911 now."
    )
    response = nurse_client.post(
        reverse("inbox:reply", args=[emergency.pk]),
        {"text": "Hello Maria, please call 911 right now.", "draft_id": draft.pk},
        follow=True,
    )
    assert "Reply sent" in response.content.decode()
    reply = Message.objects.get(role="nurse")
    assert reply.text == "Hello Maria, please call 911 right now."
    draft.refresh_from_db()
    assert draft.sent_message == reply and 0.85 < draft.similarity < 1.0


def test_a_draft_of_another_escalation_is_not_credited(nurse_client, emergency, urgent):
    foreign = DraftReply.objects.create(escalation=urgent, question="q", text="Hi James")
    nurse_client.post(
        reverse("inbox:reply", args=[emergency.pk]), {"text": "Hi James", "draft_id": foreign.pk}
    )
    foreign.refresh_from_db()
    assert foreign.used is None


def test_an_empty_reply_sends_nothing(nurse_client, emergency):
    response = nurse_client.post(
        reverse("inbox:reply", args=[emergency.pk]), {"text": "   "}, follow=True
    )
    assert "nothing was sent" in response.content.decode()
    assert not Message.objects.filter(role="nurse").exists()


def test_resolve_needs_an_outcome(nurse_client, emergency):
    response = nurse_client.post(
        reverse("inbox:resolve", args=[emergency.pk]), {"disposition": ""}, follow=True
    )
    assert "Choose an outcome" in response.content.decode()
    emergency.refresh_from_db()
    assert emergency.status == Escalation.Status.OPEN


def test_a_conflict_is_explained_not_crashed(nurse_client, emergency, second_nurse):
    svc.escalation_claim(escalation=emergency, nurse=second_nurse)
    response = nurse_client.post(reverse("inbox:claim", args=[emergency.pk]), follow=True)
    assert response.status_code == 200
    assert "Omar Diaz has already claimed this escalation" in response.content.decode()


def test_canned_replies_are_managed_through_pages_and_offered_in_threads(nurse_client, emergency):
    nurse_client.post(
        reverse("inbox:canned_create"),
        {"title": "Re-check BP", "body": "Sit quietly for 5 minutes and measure again."},
    )
    canned = CannedReply.objects.get()
    nurse_client.post(
        reverse("inbox:canned_edit", args=[canned.pk]),
        {"title": "Re-check blood pressure", "body": "Sit for 5 minutes, then measure again."},
    )
    canned.refresh_from_db()
    assert canned.title == "Re-check blood pressure"
    listing = nurse_client.get(reverse("inbox:canned_list")).content.decode()
    assert "Re-check blood pressure" in listing
    thread = nurse_client.get(reverse("inbox:thread", args=[emergency.pk])).content.decode()
    assert "Sit for 5 minutes, then measure again." in thread  # in the insert menu's data
    # A duplicate title is refused by the form, not by a crash.
    dup = nurse_client.post(
        reverse("inbox:canned_create"), {"title": "Re-check blood pressure", "body": "x"}
    )
    assert dup.status_code == 200 and CannedReply.objects.count() == 1
    nurse_client.post(reverse("inbox:canned_delete", args=[canned.pk]))
    assert not CannedReply.objects.exists()

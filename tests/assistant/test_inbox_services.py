"""Claim, reply, resolve, reopen, drafts and canned replies: who may do what, and what follows."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from inbox_fixtures import CHEST_PAIN, escalate

from assistant.events import conversation_group
from assistant.inbox import services as svc
from assistant.models import Alert, CannedReply, Disposition, DraftReply, Escalation, Message
from portal.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def listen():
    """Subscribe a test channel to a group; returns a function that drains what arrived."""
    layer = get_channel_layer()
    joined: list[tuple[str, str]] = []

    def subscribe(group: str):
        channel = async_to_sync(layer.new_channel)()
        async_to_sync(layer.group_add)(group, channel)
        joined.append((group, channel))

        def drain() -> list[dict]:
            async def _drain():
                got = []
                while True:
                    try:
                        got.append(await asyncio.wait_for(layer.receive(channel), 0.2))
                    except TimeoutError:
                        return got

            return async_to_sync(_drain)()

        return drain

    yield subscribe
    for group, channel in joined:
        async_to_sync(layer.group_discard)(group, channel)


# --- claim / unclaim ---------------------------------------------------------------------------


def test_claim_tells_the_patient_a_nurse_is_looking(
    emergency, plain_nurse, django_capture_on_commit_callbacks, listen
):
    events_of = listen(conversation_group(emergency.conversation_id))
    with django_capture_on_commit_callbacks(execute=True):
        svc.escalation_claim(escalation=emergency, nurse=plain_nurse)
    emergency.refresh_from_db()
    assert emergency.status == Escalation.Status.CLAIMED
    assert emergency.claimed_by == plain_nurse
    events = events_of()
    assert {"type": "chat.handoff", "escalation_id": emergency.pk} in events
    audit = AuditEvent.objects.get(action="escalation.claim")
    assert audit.actor == plain_nurse and audit.patient == emergency.conversation.patient


def test_a_second_nurse_cannot_take_a_claimed_escalation(emergency, plain_nurse, second_nurse):
    svc.escalation_claim(escalation=emergency, nurse=plain_nurse)
    with pytest.raises(svc.InboxConflict, match="Nora Quinn"):
        svc.escalation_claim(escalation=emergency, nurse=second_nurse)
    emergency.refresh_from_db()
    assert emergency.claimed_by == plain_nurse


def test_claiming_twice_is_harmless(emergency, plain_nurse):
    svc.escalation_claim(escalation=emergency, nurse=plain_nurse)
    svc.escalation_claim(escalation=emergency, nurse=plain_nurse)
    assert AuditEvent.objects.filter(action="escalation.claim").count() == 1


@pytest.mark.parametrize("who", ["patient_user", "admin_user"])
def test_only_nurses_claim(request, emergency, who):
    with pytest.raises(PermissionDenied):
        svc.escalation_claim(escalation=emergency, nurse=request.getfixturevalue(who))
    emergency.refresh_from_db()
    assert emergency.status == Escalation.Status.OPEN


def test_unclaim_by_the_claimer_or_a_charge_nurse_only(
    emergency, plain_nurse, second_nurse, charge_nurse
):
    svc.escalation_claim(escalation=emergency, nurse=plain_nurse)
    with pytest.raises(svc.InboxConflict):
        svc.escalation_unclaim(escalation=emergency, nurse=second_nurse)
    svc.escalation_unclaim(escalation=emergency, nurse=charge_nurse)
    emergency.refresh_from_db()
    assert emergency.status == Escalation.Status.OPEN and emergency.claimed_by is None
    svc.escalation_claim(escalation=emergency, nurse=second_nurse)
    svc.escalation_unclaim(escalation=emergency, nurse=second_nurse)
    emergency.refresh_from_db()
    assert emergency.status == Escalation.Status.OPEN


# --- reply -------------------------------------------------------------------------------------


def test_reply_reaches_the_patient_as_a_named_nurse(
    emergency, plain_nurse, django_capture_on_commit_callbacks, listen
):
    events_of = listen(conversation_group(emergency.conversation_id))
    with django_capture_on_commit_callbacks(execute=True):
        message = svc.nurse_reply_send(
            escalation=emergency, nurse=plain_nurse, text="  Please call 911 now.  "
        )
    assert message.role == Message.Role.NURSE
    assert message.kind == Message.Kind.NURSE_REPLY
    assert message.author == plain_nurse
    assert message.text == "Please call 911 now."
    assert message.reply_to == emergency.trigger_message
    events = events_of()
    assert {"type": "chat.message", "message_id": message.pk} in events
    assert {"type": "chat.handoff", "escalation_id": emergency.pk} in events
    emergency.refresh_from_db()
    assert emergency.first_response_at is not None
    # Replying to an unclaimed escalation claims it: a reply acknowledges it.
    assert emergency.status == Escalation.Status.CLAIMED and emergency.claimed_by == plain_nurse
    assert AuditEvent.objects.filter(action="escalation.reply", object_id=str(message.pk)).exists()


def test_first_response_time_is_kept_from_the_first_reply(emergency, plain_nurse):
    svc.nurse_reply_send(escalation=emergency, nurse=plain_nurse, text="First")
    emergency.refresh_from_db()
    first = emergency.first_response_at
    svc.nurse_reply_send(escalation=emergency, nurse=plain_nurse, text="Second")
    emergency.refresh_from_db()
    assert emergency.first_response_at == first


def test_reply_on_someone_elses_claim_is_refused_except_for_the_charge_nurse(
    emergency, plain_nurse, second_nurse, charge_nurse
):
    svc.escalation_claim(escalation=emergency, nurse=plain_nurse)
    with pytest.raises(svc.InboxConflict):
        svc.nurse_reply_send(escalation=emergency, nurse=second_nurse, text="Hi")
    svc.nurse_reply_send(escalation=emergency, nurse=charge_nurse, text="Covering for Nora")
    assert Message.objects.filter(role="nurse").count() == 1


def test_no_reply_to_a_resolved_escalation(emergency, plain_nurse):
    svc.escalation_resolve(escalation=emergency, nurse=plain_nurse, disposition="called")
    with pytest.raises(svc.InboxConflict):
        svc.nurse_reply_send(escalation=emergency, nurse=plain_nurse, text="Hello")


def _draft(esc, text="Hello Maria, heart attack care works best early [1].", citations=None):
    return DraftReply.objects.create(
        escalation=esc,
        question=CHEST_PAIN,
        text=text,
        citations=citations
        if citations is not None
        else [{"n": 1, "section_id": "S1", "version": 2, "title": "Heart attack"}],
    )


def test_sending_a_draft_unchanged_records_full_similarity(emergency, plain_nurse):
    draft = _draft(emergency)
    message = svc.nurse_reply_send(
        escalation=emergency, nurse=plain_nurse, text=draft.text, draft=draft
    )
    draft.refresh_from_db()
    assert draft.used is True
    assert draft.sent_message == message
    assert draft.similarity == 1.0
    assert message.citations == draft.citations


def test_an_edited_draft_records_how_much_was_changed(emergency, plain_nurse):
    draft = _draft(emergency)
    edited = "Maria, please call 911 now. I am calling you in a minute."
    message = svc.nurse_reply_send(
        escalation=emergency, nurse=plain_nurse, text=edited, draft=draft
    )
    draft.refresh_from_db()
    assert draft.used is True
    assert 0 < draft.similarity < 0.8
    # The [1] marker was edited away: the reply no longer claims that source.
    assert message.citations == []


def test_drafts_left_aside_count_as_not_used(emergency, plain_nurse):
    draft = _draft(emergency)
    svc.nurse_reply_send(escalation=emergency, nurse=plain_nurse, text="My own words.")
    draft.refresh_from_db()
    assert draft.used is False and draft.sent_message is None


# --- resolve / reopen --------------------------------------------------------------------------


def test_resolve_records_outcome_and_tells_the_patient(
    emergency, plain_nurse, django_capture_on_commit_callbacks, listen
):
    events_of = listen(conversation_group(emergency.conversation_id))
    with django_capture_on_commit_callbacks(execute=True):
        svc.escalation_resolve(
            escalation=emergency,
            nurse=plain_nurse,
            disposition=Disposition.EMERGENCY_ADVISED,
            note="Told to call 911; ambulance on its way.",
        )
    emergency.refresh_from_db()
    assert emergency.status == Escalation.Status.RESOLVED
    assert emergency.disposition == "emergency_advised"
    assert emergency.resolved_by == plain_nurse
    assert emergency.resolution_note.startswith("Told to call 911")
    # Acting on it (a phone call, sending to the ED) counts as the first response.
    assert emergency.first_response_at is not None
    assert {"type": "chat.handoff", "escalation_id": emergency.pk} in events_of()
    assert AuditEvent.objects.get(action="escalation.resolve").detail["disposition"] == (
        "emergency_advised"
    )


def test_resolve_needs_a_known_disposition(emergency, plain_nurse):
    with pytest.raises(ValueError):
        svc.escalation_resolve(escalation=emergency, nurse=plain_nurse, disposition="closed")


def test_resolve_someone_elses_claim_only_as_charge_nurse(
    emergency, plain_nurse, second_nurse, charge_nurse
):
    svc.escalation_claim(escalation=emergency, nurse=plain_nurse)
    with pytest.raises(svc.InboxConflict):
        svc.escalation_resolve(escalation=emergency, nurse=second_nurse, disposition="answered")
    svc.escalation_resolve(escalation=emergency, nurse=charge_nurse, disposition="answered")
    emergency.refresh_from_db()
    assert emergency.resolved_by == charge_nurse


def test_resolving_clears_the_escalations_alerts(emergency, plain_nurse):
    alert = Alert.objects.create(
        escalation=emergency, recipient=plain_nurse, kind="overdue", text="late", round=1
    )
    svc.escalation_resolve(escalation=emergency, nurse=plain_nurse, disposition="called")
    alert.refresh_from_db()
    assert alert.read_at is not None


def _patient_writes(esc, text="It is getting worse"):
    return Message.objects.create(
        conversation=esc.conversation,
        role=Message.Role.PATIENT,
        kind=Message.Kind.QUESTION,
        text=text,
    )


def test_a_new_patient_message_reopens_a_resolved_escalation(
    emergency, plain_nurse, django_capture_on_commit_callbacks, listen
):
    svc.nurse_reply_send(escalation=emergency, nurse=plain_nurse, text="Call 911")
    svc.escalation_resolve(escalation=emergency, nurse=plain_nurse, disposition="answered")
    message = _patient_writes(emergency)
    inbox_events = listen("inbox")
    with django_capture_on_commit_callbacks(execute=True):
        reopened = svc.escalation_reopen_if_resolved(
            conversation=emergency.conversation, message=message
        )
    assert reopened is not None and reopened.pk == emergency.pk
    assert reopened.status == Escalation.Status.OPEN
    assert reopened.claimed_by is None and reopened.resolved_at is None
    assert reopened.disposition == ""
    assert reopened.reopened_count == 1
    assert reopened.due_at > timezone.now()  # a fresh target for the new message
    assert {"type": "inbox.changed", "escalation_id": emergency.pk, "level": "emergency"} in (
        inbox_events()
    )


def test_reopen_ignores_nurse_messages_open_escalations_and_old_messages(emergency, plain_nurse):
    svc.nurse_reply_send(escalation=emergency, nurse=plain_nurse, text="Call 911 now")
    before = _patient_writes(emergency, "sent before the nurse resolved")
    assert (
        svc.escalation_reopen_if_resolved(conversation=emergency.conversation, message=before)
        is None
    )  # still open: nothing to reopen
    svc.escalation_resolve(escalation=emergency, nurse=plain_nurse, disposition="answered")
    Message.objects.filter(pk=before.pk).update(created_at=timezone.now() - timedelta(hours=1))
    before.refresh_from_db()
    assert (
        svc.escalation_reopen_if_resolved(conversation=emergency.conversation, message=before)
        is None
    )
    nurse_note = Message.objects.create(
        conversation=emergency.conversation, role="nurse", kind="nurse_reply", text="Bye"
    )
    assert (
        svc.escalation_reopen_if_resolved(conversation=emergency.conversation, message=nurse_note)
        is None
    )
    emergency.refresh_from_db()
    assert emergency.status == Escalation.Status.RESOLVED


def test_a_conversation_that_never_escalated_is_not_reopened(patient_user):
    from assistant.models import Conversation

    conversation = Conversation.objects.create(patient=patient_user.patient)
    message = Message.objects.create(
        conversation=conversation, role="patient", kind="question", text="What is asthma?"
    )
    assert svc.escalation_reopen_if_resolved(conversation=conversation, message=message) is None
    assert not Escalation.objects.exists()


def test_a_reopened_emergency_can_be_raised_and_joined_by_new_worries(emergency, plain_nurse):
    svc.nurse_reply_send(escalation=emergency, nurse=plain_nurse, text="Call 911 now")
    svc.escalation_resolve(escalation=emergency, nurse=plain_nurse, disposition="answered")
    svc.escalation_reopen_if_resolved(
        conversation=emergency.conversation, message=_patient_writes(emergency)
    )
    joined = escalate(emergency.conversation, "still crushing chest pain")
    assert joined.pk == emergency.pk  # one unresolved escalation per conversation


# --- the patient writes again: through the chat's own service ---------------------------------


def _chat(esc, text, client_id):
    from assistant import services as chat

    message, _ = chat.message_receive(
        conversation=esc.conversation,
        user=esc.conversation.patient.user,
        text=text,
        client_id=client_id,
    )
    return message


def _queue_row(nurse, esc) -> dict:
    from assistant.inbox import selectors as sel

    rows = [sel.escalation_to_inbox_dict(e) for e in sel.escalations_open_for_queue(user=nurse)]
    return next(r for r in rows if r["id"] == esc.pk)


def test_a_patient_answering_the_nurse_after_resolve_reopens_the_thread(emergency, plain_nurse):
    svc.nurse_reply_send(escalation=emergency, nurse=plain_nurse, text="Did the pain ease?")
    svc.escalation_resolve(escalation=emergency, nurse=plain_nurse, disposition="answered")
    _chat(emergency, "No, it came back this evening", "c-back")
    emergency.refresh_from_db()
    assert emergency.status == Escalation.Status.OPEN and emergency.reopened_count == 1


def test_a_thank_you_to_the_nurse_does_not_reopen_the_thread(emergency, plain_nurse):
    svc.nurse_reply_send(escalation=emergency, nurse=plain_nurse, text="Glad you are better.")
    svc.escalation_resolve(escalation=emergency, nurse=plain_nurse, disposition="answered")
    message = _chat(emergency, "Thank you so much, nurse!", "c-thanks")
    emergency.refresh_from_db()
    assert emergency.status == Escalation.Status.RESOLVED
    assert Message.objects.filter(pk=message.pk).exists()  # kept in the thread all the same


def test_a_new_question_after_the_assistant_answered_does_not_reopen(emergency, plain_nurse):
    svc.nurse_reply_send(escalation=emergency, nurse=plain_nurse, text="Glad you are better.")
    svc.escalation_resolve(escalation=emergency, nurse=plain_nurse, disposition="answered")
    Message.objects.create(
        conversation=emergency.conversation, role="assistant", kind="answer", text="Statins..."
    )
    _chat(emergency, "What is a colonoscopy?", "c-new")
    emergency.refresh_from_db()
    assert emergency.status == Escalation.Status.RESOLVED


def test_the_queue_shows_the_patient_wrote_since_the_nurse_replied(
    emergency, plain_nurse, django_capture_on_commit_callbacks, listen
):
    assert _queue_row(plain_nurse, emergency)["patient_wrote"] is False  # nobody replied yet
    svc.nurse_reply_send(escalation=emergency, nurse=plain_nurse, text="Are you still in pain?")
    row = _queue_row(plain_nurse, emergency)
    assert (row["sla_text"], row["patient_wrote"]) == ("answered", False)
    inbox_events = listen("inbox")
    with django_capture_on_commit_callbacks(execute=True):
        _chat(emergency, "A little. Should I take another aspirin", "c-more")
    assert {"type": "inbox.changed", "escalation_id": emergency.pk, "level": "emergency"} in (
        inbox_events()
    )
    assert _queue_row(plain_nurse, emergency)["patient_wrote"] is True
    svc.nurse_reply_send(escalation=emergency, nurse=plain_nurse, text="No, I will call you.")
    assert _queue_row(plain_nurse, emergency)["patient_wrote"] is False


def test_a_thank_you_in_a_thread_a_nurse_holds_is_told_the_nurse_sees_it(
    emergency, plain_nurse, small_retriever_inbox
):
    from assistant import services as chat

    svc.escalation_claim(escalation=emergency, nurse=plain_nurse)
    message = _chat(emergency, "Thank you, I will wait for the nurse.", "c-wait")
    reply = chat.message_answer(message_id=message.pk)
    assert reply.kind == Message.Kind.COURTESY
    assert "nurse handling your conversation sees your messages" in reply.text
    assert "don't have approved information" not in reply.text
    emergency.refresh_from_db()
    assert emergency.status == Escalation.Status.CLAIMED  # the hand-off goes on untouched


# --- canned replies ----------------------------------------------------------------------------


def test_canned_reply_crud_is_audited(plain_nurse):
    canned = svc.canned_reply_create(actor=plain_nurse, title="BP check", body="Please re-check.")
    svc.canned_reply_update(
        canned=canned, actor=plain_nurse, title="BP re-check", body="Sit 5 minutes, re-check."
    )
    svc.canned_reply_delete(canned=canned, actor=plain_nurse)
    assert not CannedReply.objects.exists()
    actions = list(AuditEvent.objects.order_by("at", "pk").values_list("action", flat=True))
    assert actions == ["canned_reply.create", "canned_reply.update", "canned_reply.delete"]
    update = AuditEvent.objects.get(action="canned_reply.update")
    assert update.detail["before"]["title"] == "BP check"


@pytest.mark.parametrize("who", ["patient_user", "admin_user"])
def test_only_nurses_manage_canned_replies(request, who):
    with pytest.raises(PermissionDenied):
        svc.canned_reply_create(actor=request.getfixturevalue(who), title="x", body="y")

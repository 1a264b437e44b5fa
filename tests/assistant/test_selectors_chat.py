"""Who can see which conversation through the chat: a role x object matrix."""

from __future__ import annotations

from datetime import timedelta

import pytest
from chat_fixtures import make_patient
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from assistant import selectors
from assistant.models import Conversation, Escalation, Message

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(patient_user, other_patient_user, nurse, admin_user):
    deceased_user, deceased = make_patient("late.patient", given="Late", family="Patient")
    deceased.deceased_at = timezone.now() - timedelta(days=30)
    deceased.save()
    return {
        "owner": patient_user,
        "other patient": other_patient_user,
        "nurse": nurse,
        "admin": admin_user,
        "anonymous": AnonymousUser(),
        "deceased owner": deceased_user,
    }


@pytest.mark.parametrize(
    ("who", "sees_own", "sees_deceased_record"),
    [
        ("owner", True, False),
        ("other patient", False, False),
        ("nurse", False, False),
        ("admin", False, False),
        ("anonymous", False, False),
        ("deceased owner", False, False),
    ],
)
def test_only_the_patient_sees_their_conversation(people, who, sees_own, sees_deceased_record):
    own = Conversation.objects.create(patient=people["owner"].patient)
    deceased_conv = Conversation.objects.create(patient=people["deceased owner"].patient)
    user = people[who]
    found = selectors.conversation_get_for_user(user=user, conversation_id=own.pk)
    assert (found == own) is sees_own
    found = selectors.conversation_get_for_user(user=user, conversation_id=deceased_conv.pk)
    assert (found is not None) is sees_deceased_record


def test_an_inactive_login_sees_nothing(patient_user):
    own = Conversation.objects.create(patient=patient_user.patient)
    patient_user.is_active = False
    patient_user.save()
    assert selectors.conversation_get_for_user(user=patient_user, conversation_id=own.pk) is None


def test_a_patient_role_without_a_record_sees_nothing(db):
    from portal import roles
    from tests.support import make_user

    lonely = make_user("no.record", roles.PATIENT)
    assert selectors.patient_for_user(lonely) is None


def test_messages_of_another_conversation_are_not_reachable(patient_user, other_patient_user):
    own = Conversation.objects.create(patient=patient_user.patient)
    theirs = Conversation.objects.create(patient=other_patient_user.patient)
    secret = Message.objects.create(conversation=theirs, role="patient", kind="question", text="x")
    assert selectors.message_get_in_conversation(conversation=own, message_id=secret.pk) is None
    assert selectors.message_get_for_user(user=patient_user, message_id=secret.pk) is None
    assert selectors.message_get_for_user(user=other_patient_user, message_id=secret.pk) == secret


def test_history_is_the_newest_messages_oldest_first(patient_user):
    conv = Conversation.objects.create(patient=patient_user.patient)
    for i in range(5):
        Message.objects.create(conversation=conv, role="patient", kind="question", text=f"m{i}")
    got = selectors.conversation_messages(conversation=conv, limit=3)
    assert [m.text for m in got] == ["m2", "m3", "m4"]


def test_the_current_escalation_prefers_the_unresolved_one(patient_user):
    conv = Conversation.objects.create(patient=patient_user.patient)
    due = timezone.now() + timedelta(hours=1)
    old = Escalation.objects.create(
        conversation=conv, level="routine", priority=2, status="resolved", due_at=due
    )
    assert selectors.escalation_current(conversation=conv) == old
    live = Escalation.objects.create(conversation=conv, level="urgent", priority=1, due_at=due)
    assert selectors.escalation_current(conversation=conv) == live


def test_pending_messages_are_found_only_when_old_enough(patient_user):
    conv = Conversation.objects.create(patient=patient_user.patient)
    fresh = Message.objects.create(
        conversation=conv, role="patient", kind="question", text="a", answer_state="pending"
    )
    stale = Message.objects.create(
        conversation=conv, role="patient", kind="question", text="b", answer_state="pending"
    )
    Message.objects.filter(pk=stale.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    Message.objects.create(
        conversation=conv, role="patient", kind="question", text="c", answer_state="answered"
    )
    before = timezone.now() - timedelta(seconds=30)
    assert selectors.messages_pending_before(conversation=conv, before=before) == [stale.pk]
    assert fresh.pk not in selectors.messages_pending_before(conversation=conv, before=before)

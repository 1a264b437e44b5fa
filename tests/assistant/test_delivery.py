"""Nothing escalated is lost: the gate runs as a message is saved, a new worry re-arms an answered
escalation, lost answers are swept up, and /health/ says which part is down.

The broker is the edge of the world here: `broker` records (or refuses) what would be sent to it.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from chat_fixtures import load_sections, make_patient
from conftest import MEDQUAD_DIR
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from inbox_fixtures import *  # noqa: F403 - fixtures
from inbox_fixtures import escalate

from assistant import delivery, services
from assistant.inbox import alerts as sla
from assistant.inbox import selectors as sel
from assistant.inbox import services as inbox
from assistant.inbox.tasks import OVERDUE_JOB, escalations_check_overdue
from assistant.models import Alert, Conversation, Escalation, JobHeartbeat, Message
from assistant.tasks import answer_message_task

pytestmark = pytest.mark.django_db

EMERGENCY = "Now I have crushing chest pain and I cannot breathe"
QUESTION = "What is high blood pressure?"


@pytest.fixture
def broker(monkeypatch):
    """What reaches the broker. `broker.down = True` makes it refuse, as an outage does."""

    class Broker(list):
        down = False

        def delay(self, message_id):
            if self.down:
                raise ConnectionError("broker unreachable")
            self.append(message_id)

    fake = Broker()
    monkeypatch.setattr(answer_message_task, "delay", fake.delay)
    return fake


@pytest.fixture
def index_broken(monkeypatch):
    class Broken:
        def search(self, query, *, k=10, topics=()):
            raise ConnectionError("index unavailable")

    monkeypatch.setattr("knowledge.services.get_retriever", Broken, raising=False)


def _conversation(username="maria.lopez") -> Conversation:
    return Conversation.objects.create(patient=make_patient(username)[1])


def _send(conversation, text, client_id) -> Message:
    message, created = services.message_receive(
        conversation=conversation, user=conversation.patient.user, text=text, client_id=client_id
    )
    assert created
    return message


# --- the gate at receive ------------------------------------------------------------------------


def test_an_emergency_is_escalated_and_answered_in_the_transaction_that_saves_it(
    broker, index_broken, django_capture_on_commit_callbacks
):
    conversation = _conversation()
    with django_capture_on_commit_callbacks(execute=False) as after_commit:
        message = _send(conversation, EMERGENCY, "e1")
        # Nothing after the commit has run yet: all of this was written with the message.
        esc = Escalation.objects.get(conversation=conversation)
        reply = Message.objects.get(reply_to=message)
    assert (esc.level, esc.status, esc.trigger_message_id) == ("emergency", "open", message.pk)
    assert reply.kind == "safety" and "911" in reply.text
    message.refresh_from_db()
    assert message.answer_state == "answered"
    for callback in after_commit:
        callback()
    assert broker == []  # no answer work queued: the index being down changes nothing


def test_an_emergency_reaches_the_care_team_with_the_broker_down(broker, index_broken):
    broker.down = True
    conversation = _conversation()
    message = _send(conversation, EMERGENCY, "e1")
    assert Escalation.objects.get(conversation=conversation).trigger_message == message
    assert Message.objects.get(reply_to=message).kind == "safety"


def test_a_routine_question_is_left_to_the_answer_task(broker, django_capture_on_commit_callbacks):
    conversation = _conversation()
    with django_capture_on_commit_callbacks(execute=True):
        message = _send(conversation, QUESTION, "q1")
    message.refresh_from_db()
    assert message.answer_state == "pending"
    assert broker == [message.pk]
    assert not Escalation.objects.exists()


# --- a new worry re-arms an answered escalation -------------------------------------------------


def _answered(esc: Escalation, nurse) -> Escalation:
    inbox.escalation_claim(escalation=esc, nurse=nurse)
    inbox.nurse_reply_send(escalation=esc, nurse=nurse, text="Please rest and recheck in an hour.")
    esc.refresh_from_db()
    assert sel.sla_text(esc) == "answered"
    return esc


def test_an_emergency_in_an_answered_urgent_thread_is_chased_again(
    broker, plain_nurse, second_nurse, charge_nurse
):
    urgent = _answered(
        escalate(_conversation(), "My ankle is swollen", level="urgent", age_minutes=60),
        plain_nurse,
    )
    # An older emergency elsewhere, already answered by another nurse.
    other = _answered(escalate(_conversation("james.kent"), age_minutes=30), second_nurse)

    message = _send(urgent.conversation, EMERGENCY, "later")
    urgent.refresh_from_db()
    assert (urgent.level, urgent.trigger_message_id) == ("emergency", message.pk)
    assert urgent.status == "open" and urgent.claimed_by is None
    assert urgent.first_response_at is None
    now = timezone.now()
    assert now + timedelta(minutes=4) < urgent.due_at <= now + timedelta(minutes=5)

    queue = sel.escalations_open_for_queue(user=plain_nurse)
    assert [e.pk for e in queue] == [urgent.pk, other.pk]  # waiting for a nurse comes first
    row = sel.escalation_to_inbox_dict(queue[0])
    assert row["sla_text"].startswith("due in") and row["awaiting_response"]
    assert sel.escalation_to_inbox_dict(queue[1])["sla_text"] == "answered"

    # Nobody acknowledges it: the overdue job alerts every nurse and the charge nurse.
    sla.overdue_alerts_create(now=now + timedelta(minutes=6))
    alerts = set(Alert.objects.filter(escalation=urgent).values_list("recipient_id", "kind"))
    assert (charge_nurse.pk, "charge") in alerts
    assert {(plain_nurse.pk, "overdue"), (second_nurse.pk, "overdue")} <= alerts
    assert not Alert.objects.filter(escalation=other).exists()

    # The nurse who had it replies: acknowledged, claimed by them again, no more alerts.
    inbox.nurse_reply_send(escalation=urgent, nurse=plain_nurse, text="Call 911 now.")
    urgent.refresh_from_db()
    assert urgent.claimed_by == plain_nurse and urgent.first_response_at is not None
    assert sla.overdue_alerts_create(now=now + timedelta(minutes=20)).escalations == []


def test_a_later_emergency_in_an_answered_emergency_thread_is_chased_again(broker, plain_nurse):
    esc = _answered(escalate(_conversation(), age_minutes=30), plain_nurse)
    _send(esc.conversation, EMERGENCY, "again")
    esc.refresh_from_db()
    assert esc.status == "open" and esc.first_response_at is None
    assert esc.due_at > timezone.now()


def test_asking_for_a_nurse_again_in_an_answered_thread_does_not_re_arm_it(broker, plain_nurse):
    esc = _answered(escalate(_conversation(), age_minutes=30), plain_nurse)
    question = Message.objects.filter(conversation=esc.conversation, role="patient").first()
    services.handoff_request(conversation=esc.conversation, message=question)
    esc.refresh_from_db()
    assert esc.status == "claimed" and esc.first_response_at is not None


def test_an_unanswered_urgent_raised_to_emergency_keeps_the_sooner_target(broker, plain_nurse):
    urgent = escalate(_conversation(), "My ankle is swollen", level="urgent", age_minutes=300)
    overdue_since = urgent.due_at
    _send(urgent.conversation, EMERGENCY, "raised")
    urgent.refresh_from_db()
    assert urgent.level == "emergency" and urgent.due_at == overdue_since  # still overdue


# --- the sweeper of lost answers ----------------------------------------------------------------


def _pending(conversation, *, age_seconds: float, client_id: str = "p1") -> Message:
    message = Message.objects.create(
        conversation=conversation,
        role="patient",
        kind="question",
        text=QUESTION,
        client_id=client_id,
        answer_state="pending",
    )
    Message.objects.filter(pk=message.pk).update(
        created_at=timezone.now() - timedelta(seconds=age_seconds)
    )
    return message


def test_a_lost_answer_is_enqueued_again_once_per_period_with_backoff(broker):
    conversation = _conversation()
    lost = _pending(conversation, age_seconds=40)
    fresh = _pending(conversation, age_seconds=5, client_id="fresh")  # its task may still run
    now = timezone.now()
    assert delivery.messages_requeue_pending(now=now) == [lost.pk]
    assert delivery.messages_requeue_pending(now=now) == []  # a second sweeper: nothing more
    # The next time for the lost one waits twice as long (60 s); the fresh one is stale by now.
    assert delivery.messages_requeue_pending(now=now + timedelta(seconds=50)) == [fresh.pk]
    assert delivery.messages_requeue_pending(now=now + timedelta(seconds=61)) == [lost.pk]
    assert broker == [lost.pk, fresh.pk, lost.pk]
    assert JobHeartbeat.objects.filter(name="messages_requeue_pending").exists()


def test_a_swept_message_is_answered_once(small_retriever_inbox):
    lost = _pending(_conversation(), age_seconds=40)
    delivery.messages_requeue_pending()  # embedded mode: the task runs in-process
    lost.refresh_from_db()
    assert lost.answer_state == "answered"
    assert Message.objects.filter(reply_to=lost).count() == 1
    assert delivery.messages_requeue_pending(now=timezone.now() + timedelta(hours=1)) == []


def test_a_message_pending_past_the_deadline_fails_and_the_patient_is_told(broker):
    stuck = _pending(_conversation(), age_seconds=settings.CHAT_PENDING_FAIL_SECONDS + 1)
    assert delivery.messages_requeue_pending() == []
    stuck.refresh_from_db()
    assert stuck.answer_state == "failed"
    notice = Message.objects.get(reply_to=stuck)
    assert notice.kind == "error" and "care team" in notice.text
    assert broker == []


# --- /health/ -----------------------------------------------------------------------------------


@pytest.fixture
def small_index(settings, tmp_path):
    from knowledge.index import IndexDoc
    from knowledge.services import index_from_settings

    if not MEDQUAD_DIR.is_dir():
        pytest.skip("MedQuAD corpus not available")
    settings.KNOWLEDGE_INDEX_DIR = tmp_path / "index"
    docs = [IndexDoc.from_record(r, version=1) for r in load_sections()[:3]]
    index_from_settings().rebuild(docs)


def _health(client) -> tuple[int, dict]:
    response = client.get(reverse("health"))
    return response.status_code, response.json()


def test_health_is_ok_when_every_part_works(client, settings, small_index):
    settings.CELERY_TASK_ALWAYS_EAGER = False  # as in the production-like stack
    escalations_check_overdue()  # beat ran the overdue job just now
    status, report = _health(client)
    assert status == 200, report
    assert report["failing"] == [] and report["checks"]["index"]["sections"] == 3


def test_health_fails_naming_a_silent_beat(client, settings, small_index):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    escalations_check_overdue()
    JobHeartbeat.objects.filter(name=OVERDUE_JOB).update(
        last_run_at=timezone.now() - timedelta(seconds=settings.HEALTH_BEAT_MAX_AGE_SECONDS + 5)
    )
    status, report = _health(client)
    assert (status, report["failing"]) == (503, ["beat"])
    assert "last ran" in report["checks"]["beat"]["error"]


def test_health_fails_naming_redis_and_an_empty_index(client, settings, tmp_path):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    settings.KNOWLEDGE_INDEX_DIR = tmp_path / "empty-index"
    status, report = _health(client)
    assert status == 503
    assert report["failing"] == ["redis", "index"]
    assert report["checks"]["database"]["ok"]

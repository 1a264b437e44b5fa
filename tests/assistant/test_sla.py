"""The SLA job: overdue escalations re-alert the nurses and the charge nurse, exactly once per
interval, from database state alone, and never close anything."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone
from inbox_fixtures import escalate

from assistant.inbox import alerts as sla
from assistant.inbox import services as svc
from assistant.inbox.tasks import escalations_check_overdue
from assistant.models import Alert, Conversation, Escalation

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _mail_in_memory(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def staff(plain_nurse, second_nurse, charge_nurse, admin_user):
    charge_nurse.email = "carla@example.org"
    charge_nurse.save()
    return {"nurse": plain_nurse, "second": second_nurse, "charge": charge_nurse}


@pytest.fixture
def overdue(patient_user):
    """An emergency that has waited 12 minutes against its 5-minute target, untouched."""
    conversation = Conversation.objects.create(patient=patient_user.patient)
    return escalate(conversation, age_minutes=12)


def _run(now=None):
    return sla.escalations_check_overdue_run(now=now)


def test_an_unclaimed_overdue_emergency_alerts_every_nurse_and_the_charge_nurse(staff, overdue):
    run = _run()
    assert run.escalations == [overdue.pk]
    alerts = {a.recipient.username: a for a in Alert.objects.select_related("recipient")}
    assert set(alerts) == {"nurse.plain", "nurse.two", "charge.test"}  # not the admin
    assert alerts["charge.test"].kind == Alert.Kind.CHARGE
    assert alerts["nurse.plain"].kind == Alert.Kind.OVERDUE
    overdue.refresh_from_db()
    assert overdue.alert_count == 1
    assert overdue.last_alert_at is not None
    assert overdue.escalated_to_charge_at is not None
    # E-mail too, one per person, naming no patient (e-mail is not a secure channel).
    assert sorted(m.to[0] for m in mail.outbox) == [
        "carla@example.org",
        "nora@example.org",
        "omar@example.org",
    ]
    body = mail.outbox[0].body
    assert f"/inbox/{overdue.pk}/" in body
    assert "Maria" not in body and "Lopez" not in body and "chest" not in body.lower()
    assert all(a.email_status == Alert.EmailStatus.SENT for a in alerts.values())


def test_running_twice_in_a_row_alerts_nobody_twice(staff, overdue):
    _run()
    second = _run()
    assert second.escalations == [] and second.alerts == []
    assert Alert.objects.count() == 3
    assert len(mail.outbox) == 3


def test_it_alerts_again_after_the_re_alert_interval(staff, overdue):
    first = timezone.now()
    _run(now=first)
    interval = sla.realert_interval("emergency")
    assert _run(now=first + interval - timedelta(seconds=1)).escalations == []
    again = _run(now=first + interval + timedelta(seconds=1))
    assert again.escalations == [overdue.pk]
    assert Alert.objects.filter(round=2).count() == 3
    overdue.refresh_from_db()
    assert overdue.alert_count == 2


def test_not_yet_due_is_left_alone(staff, patient_user):
    conversation = Conversation.objects.create(patient=patient_user.patient)
    escalate(conversation, age_minutes=2)  # 3 minutes left on a 5-minute target
    assert _run().escalations == []
    assert not Alert.objects.exists()


def test_answered_in_time_is_never_alerted(staff, overdue):
    svc.nurse_reply_send(escalation=overdue, nurse=staff["nurse"], text="Call 911 now, please.")
    assert _run().escalations == []


def test_claimed_without_a_reply_alerts_the_claimer_and_the_charge_nurse_only(staff, overdue):
    svc.escalation_claim(escalation=overdue, nurse=staff["nurse"])
    _run()
    assert set(Alert.objects.values_list("recipient__username", flat=True)) == {
        "nurse.plain",
        "charge.test",
    }


def test_a_resolved_escalation_never_alerts_and_nothing_closes_by_itself(staff, overdue, urgent):
    svc.escalation_resolve(escalation=overdue, nurse=staff["nurse"], disposition="called")
    Escalation.objects.filter(pk=urgent.pk).update(due_at=timezone.now() - timedelta(days=3))
    later = timezone.now()
    for hours in range(0, 48, 6):  # two days of runs
        _run(now=later + timedelta(hours=hours))
    assert not Alert.objects.filter(escalation=overdue).exists()
    urgent.refresh_from_db()
    assert urgent.status == Escalation.Status.OPEN  # still waiting for a nurse, still alerting
    assert urgent.alert_count == 8


def test_inactive_staff_get_no_alerts(staff, overdue):
    staff["second"].is_active = False
    staff["second"].save()
    _run()
    assert not Alert.objects.filter(recipient=staff["second"]).exists()


def test_a_nurse_without_an_address_still_gets_the_in_app_alert(staff, overdue):
    staff["second"].email = ""
    staff["second"].save()
    _run()
    alert = Alert.objects.get(recipient=staff["second"])
    assert alert.email_status == Alert.EmailStatus.NO_ADDRESS
    assert len(mail.outbox) == 2


class _DownMailServer(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise ConnectionRefusedError("mail server down")


def test_mail_that_failed_is_sent_by_the_next_run(settings, staff, overdue):
    settings.EMAIL_BACKEND = f"{__name__}._DownMailServer"
    run = _run()
    assert run.emails_failed == 3 and run.emails_sent == 0
    assert Alert.objects.filter(email_status=Alert.EmailStatus.FAILED).count() == 3
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    retry = _run()
    assert retry.escalations == []  # no new alert round...
    assert retry.emails_sent == 3  # ...but the e-mails that failed go out now
    assert len(mail.outbox) == 3


def test_the_alert_reaches_open_inbox_pages(staff, overdue, django_capture_on_commit_callbacks):
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)("inbox", channel)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            _run()
        frame = async_to_sync(layer.receive)(channel)
    finally:
        async_to_sync(layer.group_discard)("inbox", channel)
    assert frame["type"] == "inbox.alert"
    assert frame["escalation_id"] == overdue.pk
    assert set(frame["recipient_ids"]) == {u.pk for u in staff.values()}


def test_the_celery_task_runs_the_job(staff, overdue):
    assert settings.CELERY_BEAT_SCHEDULE["escalations-check-overdue"]["task"] == (
        escalations_check_overdue.name
    )
    result = escalations_check_overdue.delay()
    assert result.get() == {"escalations": 1, "alerts": 3, "emails_sent": 3, "emails_failed": 0}


def test_targets_follow_the_settings(settings, staff, patient_user):
    settings.ESCALATION_TARGET_MINUTES = {**settings.ESCALATION_TARGET_MINUTES, "emergency": 30}
    conversation = Conversation.objects.create(patient=patient_user.patient)
    esc = escalate(conversation, age_minutes=12)
    assert esc.due_at > timezone.now()  # 12 minutes into a 30-minute target
    assert _run().escalations == []

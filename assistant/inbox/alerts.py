"""The inbox's SLA re-alerts: an escalation past its target alerts the nurses again, and the
charge nurse, at each level's interval, in the app and by e-mail, until a nurse responds.

Run by the beat job (`tasks.escalations_check_overdue`); idempotent, works from the database.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from portal import roles

from .. import events
from ..api import webhooks
from ..models import Alert, Escalation
from .selectors import overdue_q

log = logging.getLogger(__name__)

# How often an overdue escalation is re-alerted, per level, unless settings say otherwise.
DEFAULT_REALERT_MINUTES = {"emergency": 5, "urgent": 30, "routine": 240}
EMAIL_MAX_ATTEMPTS = 5


# --- alerts ----------------------------------------------------------------------------------


def alerts_mark_read(*, user, alert_ids: list[int] | None = None) -> int:
    qs = Alert.objects.filter(recipient=user, read_at__isnull=True)
    if alert_ids is not None:
        qs = qs.filter(pk__in=alert_ids)
    return qs.update(read_at=timezone.now())


def realert_interval(level: str) -> timedelta:
    minutes = getattr(settings, "ESCALATION_REALERT_MINUTES", {}) or {}
    return timedelta(minutes=minutes.get(level, DEFAULT_REALERT_MINUTES.get(level, 30)))


def _active_users_in(*group_names: str):
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=group_names)
        .distinct()
        .order_by("pk")
    )


def _alert_text(esc: Escalation, *, now: datetime, round_no: int) -> str:
    waited = int((now - esc.created_at).total_seconds() // 60)
    target = settings.ESCALATION_TARGET_MINUTES.get(esc.level, 0)
    who = f"claimed by {esc.claimed_by}, no reply yet" if esc.claimed_by else "not claimed"
    again = f" (alert {round_no})" if round_no > 1 else ""
    # No patient name or clinical words: the text also goes out by e-mail.
    return (
        f"Overdue {esc.get_level_display().lower()} escalation #{esc.pk}{again}: "
        f"waiting {waited} min, target {target} min, {who}."
    )[:300]


@dataclass
class OverdueRun:
    escalations: list[int] = field(default_factory=list)
    alerts: list[int] = field(default_factory=list)
    emails_sent: int = 0
    emails_failed: int = 0


def overdue_alerts_create(*, now: datetime | None = None) -> OverdueRun:
    """Write Alert rows for every overdue, unacknowledged escalation not alerted within its
    re-alert interval. Works from database state only, so a run after an outage catches up, and
    running it twice in a row alerts nobody twice (compare-and-set on Escalation.alert_count)."""
    now = now or timezone.now()
    run = OverdueRun()
    candidates = list(
        Escalation.objects.filter(overdue_q(now))
        .select_related("claimed_by")
        .order_by("priority", "due_at")
    )
    for esc in candidates:
        if esc.last_alert_at and esc.last_alert_at > now - realert_interval(esc.level):
            continue
        with transaction.atomic():
            round_no = esc.alert_count + 1
            won = (
                Escalation.objects.filter(pk=esc.pk, alert_count=esc.alert_count)
                .filter(overdue_q(now))
                .update(
                    alert_count=round_no,
                    last_alert_at=now,
                    escalated_to_charge_at=Coalesce(F("escalated_to_charge_at"), now),
                )
            )
            if not won:  # another run got it, or a nurse acted meanwhile
                continue
            if esc.status == Escalation.Status.CLAIMED and esc.claimed_by_id:
                nurses = list(
                    _active_users_in(roles.NURSE, roles.CHARGE_NURSE).filter(pk=esc.claimed_by_id)
                )
            else:  # nobody has it: everyone on the queue
                nurses = list(_active_users_in(roles.NURSE, roles.CHARGE_NURSE))
            charge = list(_active_users_in(roles.CHARGE_NURSE))
            text = _alert_text(esc, now=now, round_no=round_no)
            rows: dict[int, Alert] = {}
            for user in nurses:
                rows[user.pk] = Alert(
                    escalation=esc, recipient=user, kind=Alert.Kind.OVERDUE, text=text
                )
            for user in charge:  # the charge nurse hears about it whatever the claim
                rows[user.pk] = Alert(
                    escalation=esc, recipient=user, kind=Alert.Kind.CHARGE, text=text
                )
            for alert in rows.values():
                alert.round = round_no
                if not alert.recipient.email:
                    alert.email_status = Alert.EmailStatus.NO_ADDRESS
            Alert.objects.bulk_create(rows.values(), ignore_conflicts=True)
            # Once per overdue spell (a re-armed escalation has a new due time).
            webhooks.escalation_event(
                webhooks.OVERDUE, esc, key=f"{esc.pk}:{int(esc.due_at.timestamp())}"
            )
            run.escalations.append(esc.pk)
            created = Alert.objects.filter(escalation=esc, round=round_no).values_list(
                "pk", "recipient_id"
            )
            run.alerts.extend(pk for pk, _ in created)
            events.send_on_commit(
                events.INBOX_GROUP,
                {
                    "type": "inbox.alert",
                    "escalation_id": esc.pk,
                    "recipient_ids": [uid for _, uid in created],
                },
            )
            events.send_on_commit(
                events.INBOX_GROUP,
                {"type": "inbox.changed", "escalation_id": esc.pk, "level": esc.level},
            )
    return run


def _alert_email_body(alert: Alert) -> str:
    base = getattr(settings, "PORTAL_BASE_URL", "").rstrip("/")
    link = f"{base}{reverse('inbox:thread', args=[alert.escalation_id])}"
    return (
        f"{alert.text}\n\nOpen the escalation in the nurse inbox: {link}\n\n"
        "Only a nurse resolving it in the inbox stops these alerts.\n"
    )


def alert_emails_send(*, limit: int = 200) -> tuple[int, int]:
    """E-mail alerts not sent yet (also those a failed mail server left behind).

    Each attempt is claimed by bumping email_attempts with a compare-and-set, so two job runs
    racing never send the same alert twice; no mail is sent inside a transaction.
    """
    sent = failed = 0
    pending = list(
        Alert.objects.filter(
            email_status__in=[Alert.EmailStatus.PENDING, Alert.EmailStatus.FAILED],
            email_attempts__lt=EMAIL_MAX_ATTEMPTS,
        )
        .select_related("recipient", "escalation")
        .order_by("pk")[:limit]
    )
    for alert in pending:
        claimed = Alert.objects.filter(pk=alert.pk, email_attempts=alert.email_attempts).update(
            email_attempts=F("email_attempts") + 1
        )
        if not claimed:
            continue
        subject = (
            f"[Nurse inbox] Overdue {alert.escalation.level} escalation #{alert.escalation_id}"
        )
        try:
            send_mail(
                subject,
                _alert_email_body(alert),
                settings.DEFAULT_FROM_EMAIL,
                [alert.recipient.email],
            )
        except Exception:  # the next run retries; the in-app alert is already there
            log.exception("alert e-mail %s failed", alert.pk)
            Alert.objects.filter(pk=alert.pk).update(email_status=Alert.EmailStatus.FAILED)
            failed += 1
            continue
        Alert.objects.filter(pk=alert.pk).update(
            email_status=Alert.EmailStatus.SENT, emailed_at=timezone.now()
        )
        sent += 1
    return sent, failed


def escalations_check_overdue_run(*, now: datetime | None = None) -> OverdueRun:
    """One pass of the SLA job: write due alerts, then e-mail whatever is unsent."""
    run = overdue_alerts_create(now=now)
    run.emails_sent, run.emails_failed = alert_emails_send()
    return run

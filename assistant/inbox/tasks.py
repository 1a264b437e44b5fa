"""Background jobs of the nurse inbox.

escalations_check_overdue runs from Celery beat (settings.CELERY_BEAT_SCHEDULE). It works from
database state only: an alert missed while Redis or the worker was down is written and e-mailed
by the first run afterwards, and runs that overlap or repeat never alert anyone twice.
"""

from __future__ import annotations

import logging

from celery import shared_task

from .. import delivery
from . import alerts

log = logging.getLogger(__name__)
OVERDUE_JOB = "escalations_check_overdue"


@shared_task(name="assistant.inbox.tasks.escalations_check_overdue", ignore_result=True)
def escalations_check_overdue() -> dict[str, int]:
    run = alerts.escalations_check_overdue_run()
    # The health endpoint's beat heartbeat: a silent beat means no overdue alerts.
    delivery.heartbeat_record(name=OVERDUE_JOB)
    if run.escalations or run.emails_failed:
        log.warning(
            "overdue escalations %s: %d alerts, %d e-mails sent, %d failed",
            run.escalations,
            len(run.alerts),
            run.emails_sent,
            run.emails_failed,
        )
    return {
        "escalations": len(run.escalations),
        "alerts": len(run.alerts),
        "emails_sent": run.emails_sent,
        "emails_failed": run.emails_failed,
    }

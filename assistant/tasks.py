"""Background work of the patient chat."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from . import delivery, services


@shared_task(
    acks_late=True,
    ignore_result=True,
    soft_time_limit=settings.CHAT_ANSWER_SOFT_TIME_LIMIT,
    time_limit=settings.CHAT_ANSWER_TIME_LIMIT,
)
def answer_message_task(message_id: int) -> None:
    """Answer one saved patient message.

    acks_late: a worker that dies mid-answer leaves the task on the broker to be redelivered
    (after the broker's visibility timeout, settings.CELERY_BROKER_TRANSPORT_OPTIONS); the beat
    sweeper enqueues it again sooner. Redelivery, the sweeper and the reconnect re-enqueue are
    all safe: an answered message is left alone. The time limits (enforced by the prefork pool)
    end an answer stuck past any reasonable wait: the soft one lets the pipeline tell the patient.
    """
    services.message_answer(message_id=message_id)


@shared_task(name="assistant.tasks.messages_requeue_pending", ignore_result=True)
def messages_requeue_pending() -> list[int]:
    """Beat: re-enqueue the answers of messages pending past the threshold (lost tasks)."""
    return delivery.messages_requeue_pending()

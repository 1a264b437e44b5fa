"""Background work of the patient chat."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(acks_late=True, ignore_result=True)
def answer_message_task(message_id: int) -> None:
    """Answer one saved patient message.

    acks_late: a worker that dies mid-answer leaves the task on the broker to be redelivered.
    Redelivery and the reconnect re-enqueue are both safe: an answered message is left alone.
    """
    services.message_answer(message_id=message_id)

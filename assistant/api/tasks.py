"""Background work of the API: webhook deliveries."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from ..models import WebhookDelivery
from . import webhooks


@shared_task(bind=True, name="assistant.api.tasks.webhook_deliver", ignore_result=True)
def webhook_deliver_task(self, delivery_id: int) -> None:
    """POST one webhook event; a failed attempt is retried later with a growing delay, until
    API_WEBHOOK_MAX_ATTEMPTS. Every attempt is in the delivery log (WebhookDelivery).

    Run eagerly (the embedded mode, inside the request that opened the escalation) it tries
    once: waiting there for a dead receiver would hold up the patient. The beat sweeper
    (`webhooks_retry_pending`) tries again what is still pending."""
    delivery = webhooks.deliver(delivery_id)
    if (
        delivery is not None
        and delivery.state == WebhookDelivery.State.PENDING
        and not self.request.is_eager
    ):
        raise self.retry(
            countdown=webhooks.retry_delay(delivery.attempts),
            max_retries=settings.API_WEBHOOK_MAX_ATTEMPTS,
        )


@shared_task(name="assistant.api.tasks.webhooks_retry_pending", ignore_result=True)
def webhooks_retry_pending() -> list[int]:
    """Beat: queue again deliveries still pending past their retry delay (a lost task, a
    broker outage, or the embedded mode's single try)."""
    return webhooks.deliveries_retry_pending()

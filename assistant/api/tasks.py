"""Background work of the API: webhook deliveries."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from ..models import WebhookDelivery
from . import webhooks


@shared_task(bind=True, name="assistant.api.tasks.webhook_deliver", ignore_result=True)
def webhook_deliver_task(self, delivery_id: int) -> None:
    """POST one webhook event; a failed attempt is retried later with a growing delay, until
    API_WEBHOOK_MAX_ATTEMPTS. Every attempt is in the delivery log (WebhookDelivery)."""
    delivery = webhooks.deliver(delivery_id)
    if delivery is not None and delivery.state == WebhookDelivery.State.PENDING:
        raise self.retry(
            countdown=webhooks.retry_delay(delivery.attempts),
            max_retries=settings.API_WEBHOOK_MAX_ATTEMPTS,
        )


@shared_task(name="assistant.api.tasks.webhooks_retry_pending", ignore_result=True)
def webhooks_retry_pending() -> list[int]:
    """Beat: queue again deliveries whose task was lost (a worker or broker outage)."""
    return webhooks.deliveries_retry_pending()

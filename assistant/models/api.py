"""Clients of the HTTP API (assistant/api/) and the webhooks they register.

An API client is an OAuth2 application (django-oauth-toolkit) plus what the portal decides about
it: the scopes it may ask for, its rate limit, and the account it acts as where a service needs
a person (a nurse's claim or reply). Its webhooks receive signed POSTs about escalations; every
attempt is kept in the delivery log.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ApiClient(models.Model):
    application = models.OneToOneField(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
        on_delete=models.CASCADE,
        related_name="api_client",
    )
    # Space-separated OAuth2 scopes the client may be granted (assistant/api/scopes.py).
    scopes = models.CharField(max_length=300)
    # "120/min"-style; empty: settings.API_RATE_LIMIT.
    rate = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.application.name

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())


class WebhookEndpoint(models.Model):
    class Event(models.TextChoices):
        OPENED = "escalation.opened", "An emergency or urgent escalation opened"
        OVERDUE = "escalation.overdue", "An emergency or urgent escalation went overdue"

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=500)
    # The HMAC key; shown to the client once, when the webhook is registered.
    secret = models.CharField(max_length=80)
    events = models.JSONField(default=list)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.client} → {self.url}"


class WebhookDelivery(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed (no more retries)"

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=40)
    escalation = models.ForeignKey(
        "assistant.Escalation", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What the event is about, once: the same escalation opening twice is one event.
    event_key = models.CharField(max_length=120)
    payload = models.JSONField()
    state = models.CharField(max_length=12, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "event_key"], name="webhook_delivery_once_per_event"
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} #{self.pk} ({self.state})"

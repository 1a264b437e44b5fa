"""Webhooks: a signed POST to each registered URL when an emergency or urgent escalation opens
or goes overdue.

The event is written as a WebhookDelivery row per endpoint in the transaction that opened (or
alerted) the escalation, and its delivery is queued after the commit; the Celery task POSTs it,
retrying with a growing delay, and every attempt updates the row (the delivery log). The same
event never makes two rows (unique on endpoint and event key), so a job that runs twice sends once.

Signature (for the receiver to check): header `X-Portal-Signature: sha256=<hex>`, the HMAC-SHA256
with the webhook's secret of `<X-Portal-Timestamp>.<raw body>`. See docs/api.md.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..models import Escalation, WebhookDelivery, WebhookEndpoint

# The module, not its names: the delivery task calls back into this module.
from . import tasks

log = logging.getLogger(__name__)

OPENED = WebhookEndpoint.Event.OPENED.value
OVERDUE = WebhookEndpoint.Event.OVERDUE.value
EVENTS = (OPENED, OVERDUE)
LEVELS = ("emergency", "urgent")  # routine escalations send nothing
SIGNATURE_HEADER = "X-Portal-Signature"
TIMESTAMP_HEADER = "X-Portal-Timestamp"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """What a receiver does (and the tests do): recompute and compare in constant time."""
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def payload(event: str, esc: Escalation) -> dict:
    """What the receiver learns: which escalation, how urgent, by when, and where to read it
    (with a token that may). No patient words, no name."""
    return {
        "event": event,
        "escalation": {
            "id": esc.pk,
            "level": esc.level,
            "status": esc.status,
            "rule_id": esc.rule_id,
            "created_at": esc.created_at.isoformat() if esc.created_at else None,
            "due_at": esc.due_at.isoformat() if esc.due_at else None,
            "url": f"/api/v1/escalations/{esc.pk}",
            "fhir_task": f"/api/v1/fhir/Task/{esc.pk}",
        },
    }


def escalation_event(event: str, esc: Escalation, *, key: str) -> list[int]:
    """Record `event` for every active endpoint that wants it and queue the deliveries after the
    commit. `key` identifies this occurrence (the same key twice is one event). Call inside the
    transaction that changed the escalation."""
    if esc.level not in LEVELS:
        return []
    body = payload(event, esc)
    ids = []
    for endpoint in WebhookEndpoint.objects.filter(active=True):
        if event not in (endpoint.events or EVENTS):
            continue
        delivery, created = WebhookDelivery.objects.get_or_create(
            endpoint=endpoint,
            event_key=f"{event}:{key}",
            defaults={"event": event, "escalation": esc, "payload": body},
        )
        if created:
            ids.append(delivery.pk)
    for delivery_id in ids:
        transaction.on_commit(functools.partial(_enqueue, delivery_id))
    return ids


def _enqueue(delivery_id: int) -> None:

    try:
        tasks.webhook_deliver_task.delay(delivery_id)
    except Exception:  # the broker is down: the row stays pending for `deliveries_retry_pending`
        log.exception("could not queue webhook delivery %s", delivery_id)


def retry_delay(attempts: int) -> int:
    """Seconds before the next try: 10, 20, 40 ... up to 10 minutes."""
    return min(600, 10 * 2 ** max(0, attempts - 1))


def deliver(delivery_id: int) -> WebhookDelivery | None:
    """One attempt. Returns the row, its state telling whether to try again (pending)."""
    delivery = (
        WebhookDelivery.objects.select_related("endpoint")
        .filter(pk=delivery_id, state=WebhookDelivery.State.PENDING)
        .first()
    )
    if delivery is None:  # delivered already, given up, or gone
        return None
    endpoint = delivery.endpoint
    body = json.dumps(delivery.payload, sort_keys=True).encode()
    timestamp = str(int(time.time()))
    request = urllib.request.Request(  # noqa: S310 (the URL is https, or http where allowed)
        endpoint.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "patient-portal-webhooks/1",
            "X-Portal-Event": delivery.event,
            "X-Portal-Delivery": str(delivery.pk),
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(endpoint.secret, timestamp, body),
        },
    )
    status, error = None, ""
    try:
        with urllib.request.urlopen(  # noqa: S310
            request, timeout=settings.API_WEBHOOK_TIMEOUT_SECONDS
        ) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status, error = exc.code, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        error = str(getattr(exc, "reason", exc))[:300]
    now = timezone.now()
    attempts = delivery.attempts + 1
    ok = status is not None and 200 <= status < 300
    if ok:
        state = WebhookDelivery.State.DELIVERED
    elif attempts >= settings.API_WEBHOOK_MAX_ATTEMPTS:
        state = WebhookDelivery.State.FAILED
    else:
        state = WebhookDelivery.State.PENDING
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        attempts=attempts,
        state=state,
        last_status=status,
        last_error=error,
        last_attempt_at=now,
        delivered_at=now if ok else None,
    )
    delivery.refresh_from_db()
    return delivery


def deliveries_retry_pending(*, now=None, limit: int = 200) -> list[int]:
    """Queue again every pending delivery whose retry delay has passed since its last attempt
    (or that was never attempted for a minute): a lost task, a broker outage, the embedded
    mode's single try. Each is claimed by a compare-and-set on `last_attempt_at`, so two
    sweepers never queue the same delivery twice in one round."""
    now = now or timezone.now()
    rows = WebhookDelivery.objects.filter(state=WebhookDelivery.State.PENDING).order_by("pk")
    queued = []
    for pk, attempts, created_at, last in rows.values_list(
        "pk", "attempts", "created_at", "last_attempt_at"
    )[:limit]:
        due = (last + timedelta(seconds=retry_delay(attempts))) if last else created_at
        if due > now - (timedelta(0) if last else timedelta(minutes=1)):
            continue
        won = WebhookDelivery.objects.filter(pk=pk, last_attempt_at=last).update(
            last_attempt_at=now
        )
        if won:
            transaction.on_commit(functools.partial(_enqueue, pk))
            queued.append(pk)
    return queued

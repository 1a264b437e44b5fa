"""Webhooks: a signed POST to a registered URL when an emergency or urgent escalation opens or
goes overdue, retried after a failure, every attempt in the delivery log. The receiver is a
local HTTP server started by the test."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from api_fixtures import call, client_token
from django.utils import timezone
from inbox_fixtures import CHEST_PAIN, escalate, make_patient

from assistant import services as chat_services
from assistant.api.webhooks import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    deliveries_retry_pending,
    verify,
)
from assistant.inbox.alerts import overdue_alerts_create
from assistant.models import Conversation, WebhookDelivery


class Receiver:
    """A local endpoint: answers each POST with the next status of `statuses` (then 200)."""

    def __init__(self, statuses=()) -> None:
        self.statuses = list(statuses)
        self.received: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append({"headers": dict(self.headers), "body": body})
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = []

    def start(statuses=()):
        made.append(Receiver(statuses))
        return made[-1]

    yield start
    for r in made:
        r.stop()


@pytest.fixture
def registered(client, settings, plain_nurse):
    """A client with a webhook registered over the API: (token, webhook json with secret)."""
    settings.API_WEBHOOK_ALLOW_HTTP = True

    def register(url: str, events=None):
        token = client_token(["escalations.read"], user=plain_nurse)
        body = {"url": url} if events is None else {"url": url, "events": events}
        response = call(client, "POST", "/api/v1/webhooks", body, token=token)
        assert response.status_code == 201, response.json()
        return token, response.json()

    return register


def _patient_writes(text: str, username: str = "wanda.hook"):
    user, patient = make_patient(username)
    conversation = Conversation.objects.create(patient=patient)
    return chat_services.message_receive(
        conversation=conversation, user=user, text=text, client_id="c-1"
    )[0]


@pytest.mark.django_db
def test_an_emergency_opens_a_signed_post_that_verifies(
    receiver, registered, django_capture_on_commit_callbacks
):
    hook = receiver()
    _token, webhook = registered(hook.url)
    with django_capture_on_commit_callbacks(execute=True):
        message = _patient_writes(CHEST_PAIN)
    assert len(hook.received) == 1
    got = hook.received[0]
    headers = got["headers"]
    assert verify(
        webhook["secret"], headers[TIMESTAMP_HEADER], got["body"], headers[SIGNATURE_HEADER]
    )
    assert not verify(
        "another-secret", headers[TIMESTAMP_HEADER], got["body"], headers[SIGNATURE_HEADER]
    )
    payload = json.loads(got["body"])
    assert payload["event"] == "escalation.opened"
    assert payload["escalation"]["level"] == "emergency"
    assert CHEST_PAIN.split()[2] not in got["body"].decode()  # no patient words in it
    esc_id = payload["escalation"]["id"]
    assert message.conversation.escalations.get().pk == esc_id


def _sweep(django_capture_on_commit_callbacks, *, minutes: float) -> list[int]:
    """The beat sweeper, `minutes` from now."""
    with django_capture_on_commit_callbacks(execute=True):
        return deliveries_retry_pending(now=timezone.now() + timedelta(minutes=minutes))


@pytest.mark.django_db
def test_a_failed_delivery_is_retried_and_logged(
    client, receiver, registered, django_capture_on_commit_callbacks
):
    hook = receiver(statuses=[500])
    token, webhook = registered(hook.url)
    with django_capture_on_commit_callbacks(execute=True):
        _patient_writes(CHEST_PAIN)
    assert len(hook.received) == 1  # refused with a 500: pending, not given up
    assert WebhookDelivery.objects.get().state == WebhookDelivery.State.PENDING
    assert _sweep(django_capture_on_commit_callbacks, minutes=0) == []  # not due yet
    assert len(_sweep(django_capture_on_commit_callbacks, minutes=1)) == 1
    assert len(hook.received) == 2
    assert hook.received[0]["body"] == hook.received[1]["body"]  # the same event again
    log = call(client, "GET", f"/api/v1/webhooks/{webhook['id']}/deliveries", token=token).json()
    (delivery,) = log["deliveries"]
    assert delivery["state"] == "delivered"
    assert delivery["attempts"] == 2
    assert delivery["last_status"] == 200


@pytest.mark.django_db
def test_on_a_worker_a_failed_attempt_is_retried_by_celery(receiver, registered):
    from celery.exceptions import Retry

    from assistant.api.tasks import webhook_deliver_task

    hook = receiver(statuses=[502])
    registered(hook.url)
    _patient_writes(CHEST_PAIN)  # the delivery row is written; its task is not run here
    delivery = WebhookDelivery.objects.get()
    with pytest.raises(Retry):
        webhook_deliver_task(delivery.pk)  # as a worker runs it: not eagerly
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.last_status) == (1, 502)


@pytest.mark.django_db
def test_a_receiver_that_never_answers_well_is_given_up_on(
    settings, receiver, registered, django_capture_on_commit_callbacks
):
    settings.API_WEBHOOK_MAX_ATTEMPTS = 3
    hook = receiver(statuses=[503] * 5)
    registered(hook.url)
    with django_capture_on_commit_callbacks(execute=True):
        _patient_writes(CHEST_PAIN)
    for minutes in (1, 5, 60, 120):
        _sweep(django_capture_on_commit_callbacks, minutes=minutes)
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == WebhookDelivery.State.FAILED
    assert delivery.attempts == 3
    assert delivery.last_status == 503
    assert len(hook.received) == 3


@pytest.mark.django_db
def test_a_routine_escalation_sends_nothing(
    receiver, registered, django_capture_on_commit_callbacks
):
    hook = receiver()
    registered(hook.url)
    _user, patient = make_patient("rudy.routine")
    with django_capture_on_commit_callbacks(execute=True):
        escalate(Conversation.objects.create(patient=patient), "a question", level="routine")
    assert hook.received == []
    assert not WebhookDelivery.objects.exists()


@pytest.mark.django_db
def test_an_overdue_escalation_is_sent_once(
    receiver, registered, emergency, django_capture_on_commit_callbacks
):
    hook = receiver()
    registered(hook.url, events=["escalation.overdue"])
    later = timezone.now() + timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        overdue_alerts_create(now=later)
    with django_capture_on_commit_callbacks(execute=True):
        overdue_alerts_create(now=later + timedelta(minutes=30))  # a re-alert round
    events = [json.loads(r["body"]) for r in hook.received]
    assert [e["event"] for e in events] == ["escalation.overdue"]
    assert events[0]["escalation"]["id"] == emergency.pk


@pytest.mark.django_db
def test_plain_http_urls_are_refused_unless_allowed(client, settings, plain_nurse):
    settings.API_WEBHOOK_ALLOW_HTTP = False
    token = client_token(["escalations.read"], user=plain_nurse)
    response = call(
        client, "POST", "/api/v1/webhooks", {"url": "http://example.org/x"}, token=token
    )
    assert response.status_code == 400
    assert "url" in response.json()["fields"]

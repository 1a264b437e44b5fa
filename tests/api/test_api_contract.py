"""The API against its own OpenAPI document: Schemathesis generates requests for every operation
from /api/v1/schema/ and sends them to the app in-process (WSGI, no network). No response may be
a server error, and every response (status, content type, body) must be one the document
describes.

Each operation gets requests that fit the document, requests that break it (negative mode), and
requests naming objects that exist (a nurse's escalation, the patient's conversation, approved
sections, the client's webhook), so that the success responses are checked too, not only 404s.
"""

from __future__ import annotations

import json

import pytest
import schemathesis
from api_fixtures import call, client_token, patient_token
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from oauth2_provider.models import AccessToken
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from assistant.api.scopes import SCOPES
from assistant.models import Conversation, WebhookDelivery, WebhookEndpoint

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES = 12  # per operation: 21 operations stay within about 15 s on two cores

BUNDLE = {
    "resourceType": "Bundle",
    "type": "collection",
    "entry": [
        {
            "fullUrl": "urn:uuid:contract-1",
            "resource": {
                "resourceType": "Patient",
                "id": "contract-1",
                "name": [{"use": "official", "given": ["Ada"], "family": "Stone"}],
                "gender": "female",
                "birthDate": "1960-02-03",
            },
        }
    ],
}


@pytest.fixture
def in_process_requests():
    """Requests sent through the WSGI handler inside the test's transaction: the handler must
    not close the database connection at each request's start and end (with CONN_MAX_AGE=0 on
    PostgreSQL it would, mid-transaction), as Django's own test client arranges."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(db, in_process_requests):
    return schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", get_wsgi_application())


@pytest.fixture
def world(plain_nurse, patient_user, emergency, approved_sections, small_retriever, settings):
    """Tokens (a nurse's client with every scope; the patient's own) and objects to name."""
    settings.API_RATE_LIMIT = "100000/min"
    client = client_token([s for s in SCOPES if s != "patient"], user=plain_nurse)
    conversation = Conversation.objects.create(patient=patient_user.patient)
    api_client = AccessToken.objects.get(token=client).application.api_client
    kept, deleted = (
        WebhookEndpoint.objects.create(
            client=api_client,
            url=f"https://ehr.example.org/hook/{n}",
            events=["escalation.opened"],
            secret="s",
        )
        for n in (1, 2)
    )
    WebhookDelivery.objects.create(
        endpoint=kept,
        event="escalation.opened",
        escalation=emergency,
        event_key=f"opened:{emergency.pk}",
        payload={},
    )
    return {
        "client": client,
        "patient": patient_token(patient_user),
        "path": {
            "escalation_id": emergency.pk,
            "conversation_id": conversation.pk,
            "patient_id": patient_user.patient.pk,
            "section_id": approved_sections[0].sections[0].external_id,
            "webhook_id": kept.pk,
        },
        "deleted_webhook": deleted.pk,
        "query": {"based-on": f"Task/{emergency.pk}"},
    }


def _patient_only(operation) -> bool:
    """Only a patient may call it (their conversations): the client's token never passes."""
    security = operation.definition.raw.get("security", [])
    scopes = [scope for req in security for scope in req.get("oauth2", [])]
    return scopes == ["patient"]


def _strategies(operation, world):
    """Generated requests, broken ones, and (where it names objects) requests for real ones."""
    out = [operation.as_strategy(), operation.as_strategy(GenerationMode.NEGATIVE)]
    names = {p.name for p in operation.path_parameters}
    real = {k: v for k, v in world["path"].items() if k in names}
    if operation.method.upper() == "DELETE":
        real["webhook_id"] = world["deleted_webhook"]  # the others still read the kept one
    if real:
        out.append(operation.as_strategy(path_parameters=real))
    if any(p.name in world["query"] for p in operation.query):
        out.append(operation.as_strategy(query=world["query"]))
    if operation.path.endswith("/fhir/Bundle"):
        out.append(operation.as_strategy(body=BUNDLE, media_type="application/fhir+json"))
    return out


def _failures(operation, world) -> list[str]:
    token = world["patient"] if _patient_only(operation) else world["client"]
    headers = {"Authorization": f"Bearer {token}"}
    statuses: list[int] = []

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,  # the same requests every run: a failure here is a regression
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=st.one_of(_strategies(operation, world)))
    def run(case):
        response = case.call(headers=headers)
        statuses.append(response.status_code)
        case.validate_response(response, checks=CHECKS, headers=headers)

    try:
        run()
    except (Exception, BaseExceptionGroup) as exc:  # Schemathesis raises a group of failures
        return [f"{operation.label}: {exc}"]
    if not any(200 <= code < 300 for code in statuses):  # else only errors were held to it
        return [f"{operation.label}: no request succeeded ({sorted(set(statuses))})"]
    return []


@pytest.mark.django_db
def test_every_operation_answers_within_its_schema(api_schema, world):
    failures = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 20  # the document lists every endpoint (an empty one passes all)
    for operation in operations:
        failures += _failures(operation, world)
    assert not failures, "\n\n".join(failures)


@pytest.mark.django_db
def test_a_path_naming_no_endpoint_gets_the_apis_json_404():
    """An id that is not a number matched no route and got the site's HTML page (and a POST
    the CSRF failure page): a client parsing JSON broke on it."""
    client = Client(enforce_csrf_checks=True)  # as a real client meets the site
    token = client_token(["triage"])
    for method, url in (("GET", "/api/v1/escalations/abc"), ("POST", "/api/v1/webhooks/x")):
        response = call(client, method, url, {}, token=token)
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert json.loads(response.content)["error"] == "not_found"

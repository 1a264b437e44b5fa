"""The OpenAPI document, its docs page (local files only), the token endpoint and the command
that creates a client."""

from __future__ import annotations

import base64
import io
import json
import re

import pytest
from api_fixtures import call
from django.core.management import call_command
from drf_spectacular.validation import validate_schema


@pytest.mark.django_db
def test_the_schema_is_valid_openapi_3_and_names_every_endpoint(client):
    response = client.get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    document = json.loads(response.content)
    validate_schema(document)  # raises on anything outside the OpenAPI 3 schema
    paths = set(document["paths"])
    for expected in (
        "/api/v1/triage",
        "/api/v1/answers",
        "/api/v1/knowledge/search",
        "/api/v1/escalations/{escalation_id}/resolve",
        "/api/v1/fhir/Bundle",
        "/api/v1/patients/{patient_id}/preventive",
        "/api/v1/webhooks",
    ):
        assert expected in paths
    triage = document["paths"]["/api/v1/triage"]["post"]
    assert triage["security"] == [{"oauth2": ["triage"]}]
    flows = document["components"]["securitySchemes"]["oauth2"]["flows"]
    assert flows["clientCredentials"]["tokenUrl"] == "/o/token/"


def test_the_docs_page_loads_only_local_files(client):
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(s.startswith("/") for s in sources), sources
    assert "<script>" not in html  # the site's CSP runs no inline script
    script = client.get(next(s for s in sources if "script" in s and "docs" in s))
    assert script.status_code == 200
    assert "/api/v1/schema/" in script.content.decode()


@pytest.mark.django_db
def test_a_client_made_by_the_command_gets_a_token_and_calls_triage(client):
    out = io.StringIO()
    call_command(
        "api_client_create", "call-centre", "--scopes", "triage", "answers", "--json", stdout=out
    )
    made = json.loads(out.getvalue())
    basic = base64.b64encode(f"{made['client_id']}:{made['client_secret']}".encode()).decode()
    token = client.post(
        "/o/token/", {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=f"Basic {basic}"
    ).json()
    assert set(token["scope"].split()) == {"triage", "answers"}
    response = call(
        client, "POST", "/api/v1/triage", {"text": "hello"}, token=token["access_token"]
    )
    assert response.status_code == 200
    # A scope the client was not created with is refused at the token endpoint.
    refused = client.post(
        "/o/token/",
        {"grant_type": "client_credentials", "scope": "records.write"},
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_scope"


@pytest.mark.django_db
def test_the_command_refuses_escalation_scopes_without_a_nurse():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="nurse"):
        call_command(
            "api_client_create", "ehr", "--scopes", "escalations.read", stdout=io.StringIO()
        )


@pytest.mark.django_db
def test_the_rate_limit_is_per_client(client, settings):
    from api_fixtures import client_token
    from django.core.cache import cache

    settings.API_RATE_LIMIT = "3/min"
    cache.clear()
    busy, quiet = client_token(["triage"]), client_token(["triage"])
    codes = [
        call(client, "POST", "/api/v1/triage", {"text": "hi"}, token=busy).status_code
        for _ in range(4)
    ]
    assert codes == [200, 200, 200, 429]
    assert call(client, "POST", "/api/v1/triage", {"text": "hi"}, token=quiet).status_code == 200


@pytest.mark.django_db
def test_an_app_that_signs_patients_in_may_be_granted_the_patient_scope_only():
    from oauth2_provider.models import Application

    from assistant.api.scopes import ClientScopes

    app = Application.objects.create(
        name="patient-app",
        client_type=Application.CLIENT_PUBLIC,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="https://app.example.org/callback",
    )
    assert ClientScopes().get_available_scopes(application=app) == ["patient"]
    bare = Application.objects.create(
        name="bare",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
    )
    assert ClientScopes().get_available_scopes(application=bare) == []

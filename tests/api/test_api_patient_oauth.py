"""A patient's own app gets a token bound to the patient through the OAuth2 authorization-code
flow with PKCE, as a real integration would, and reaches that patient's conversations only."""

from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlparse

import pytest
from chat_fixtures import make_patient
from oauth2_provider.models import Application

from assistant.models import Conversation

pytestmark = pytest.mark.django_db

REDIRECT = "https://app.example.org/callback"


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    return verifier, challenge.decode()


def _authorize(client, app: Application, *, challenge: str, method: str = "S256"):
    query = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": REDIRECT,
        "scope": "patient",
        "code_challenge": challenge,
        "code_challenge_method": method,
        "state": "s1",
    }
    shown = client.get("/o/authorize/", query)
    assert shown.status_code == 200  # the consent page, for the signed-in patient
    return client.post("/o/authorize/", {**query, "allow": "Authorize"})


def test_a_patient_app_gets_a_patient_token_by_authorization_code_with_pkce(client):
    user, patient = make_patient("maria.lopez")
    _other_user, other = make_patient("james.kent", given="James", family="Kent")
    mine = Conversation.objects.create(patient=patient)
    theirs = Conversation.objects.create(patient=other)
    app = Application.objects.create(
        name="patient app",
        client_type=Application.CLIENT_PUBLIC,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=REDIRECT,
    )
    verifier, challenge = _pkce()
    client.force_login(user)
    back = _authorize(client, app, challenge=challenge)
    assert back.status_code == 302 and back["Location"].startswith(REDIRECT)
    code = parse_qs(urlparse(back["Location"]).query)["code"][0]
    client.logout()  # the app, not the browser session, calls the API from here on

    wrong = client.post(
        "/o/token/",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "client_id": app.client_id,
            "code_verifier": "not-the-verifier-" + verifier[:20],
        },
    )
    assert wrong.status_code == 400  # PKCE: a stolen code is useless without the verifier

    verifier, challenge = _pkce()
    client.force_login(user)
    code = parse_qs(urlparse(_authorize(client, app, challenge=challenge)["Location"]).query)[
        "code"
    ][0]
    client.logout()
    token = client.post(
        "/o/token/",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "client_id": app.client_id,
            "code_verifier": verifier,
        },
    ).json()["access_token"]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    listed = client.get("/api/v1/conversations", **auth)
    assert listed.status_code == 200
    ids = [c["id"] for c in listed.json()["conversations"]]
    assert ids == [mine.pk]
    assert client.get(f"/api/v1/conversations/{theirs.pk}", **auth).status_code == 404
    # A patient token is no clinician: the escalation queue stays closed to it.
    assert client.get("/api/v1/escalations", **auth).status_code == 403


def test_a_plain_pkce_challenge_never_yields_a_token(client):
    user, _patient = make_patient("maria.lopez")
    app = Application.objects.create(
        name="patient app",
        client_type=Application.CLIENT_PUBLIC,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=REDIRECT,
    )
    client.force_login(user)
    verifier = secrets.token_urlsafe(48)
    query = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": REDIRECT,
        "scope": "patient",
        "code_challenge": verifier,
        "code_challenge_method": "plain",
    }
    client.get("/o/authorize/", query)
    back = client.post("/o/authorize/", {**query, "allow": "Authorize"})
    found = parse_qs(urlparse(back.get("Location", "")).query)
    if "code" in found:  # however the consent went, the code must buy no token
        exchanged = client.post(
            "/o/token/",
            {
                "grant_type": "authorization_code",
                "code": found["code"][0],
                "redirect_uri": REDIRECT,
                "client_id": app.client_id,
                "code_verifier": verifier,
            },
        )
        assert exchanged.status_code == 400 and "access_token" not in exchanged.json()
    else:
        assert "error" in found or back.status_code >= 400

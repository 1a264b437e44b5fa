"""Helpers for the API tests: clients with scopes, tokens, calls with a bearer token. They
reuse the chat and inbox helpers of tests/assistant.

Import what a module needs (`from api_fixtures import ...`), `fast_password_hashing` included.
"""

from __future__ import annotations

import itertools
import json
import secrets
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "assistant"))

from chat_fixtures import CORPUS_FILES, MEDQUAD_DIR
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application

from assistant.api.services import api_client_create

_names = itertools.count(1)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Client secrets are hashed like passwords; PBKDF2 is deliberately slow.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The rate limits count in the cache: each test starts with none spent.
    from django.core.cache import cache

    cache.clear()


def client_token(scopes: list[str], *, user=None, token_scopes: list[str] | None = None) -> str:
    """An API client allowed `scopes` (acting as `user`) and an access token for it."""
    made = api_client_create(name=f"client-{next(_names)}", scopes=scopes, user=user)
    token = AccessToken.objects.create(
        application=made.client.application,
        user=None,
        token=secrets.token_urlsafe(30),
        scope=" ".join(token_scopes or scopes),
        expires=timezone.now() + timedelta(hours=1),
    )
    return token.token


def patient_token(user, *, scope: str = "patient") -> str:
    """A token bound to a patient (as the authorization-code flow issues one)."""
    app = Application.objects.create(
        name=f"patient-app-{next(_names)}",
        client_type=Application.CLIENT_PUBLIC,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="https://app.example.org/callback",
    )
    token = AccessToken.objects.create(
        application=app,
        user=user,
        token=secrets.token_urlsafe(30),
        scope=scope,
        expires=timezone.now() + timedelta(hours=1),
    )
    return token.token


def call(
    client: Client, method: str, url: str, body: Any = None, *, token: str | None = None, **extra
):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    if method == "GET":
        return client.get(url, body or {}, **headers, **extra)
    data = body if isinstance(body, bytes | str) else json.dumps(body or {})
    content_type = extra.pop("content_type", "application/json")
    return getattr(client, method.lower())(url, data, content_type=content_type, **headers, **extra)


@pytest.fixture
def approved_sections(db):
    """The small retriever's real MedQuAD sections, imported and approved (version 1)."""
    from knowledge.corpus import parse_xml_file
    from knowledge.importers import Importer
    from portal import roles
    from tests.support import make_user

    curator = make_user("curator.api", roles.ADMIN, is_staff=True)
    results = [parse_xml_file(MEDQUAD_DIR / rel, root=MEDQUAD_DIR) for rel in CORPUS_FILES]
    Importer(approve_as=curator).run(results)
    return results

"""Writes of the API's own objects: creating a client."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from django.db import transaction
from oauth2_provider.models import Application

from portal import roles

from ..models import ApiClient
from .scopes import SCOPES

# Scopes under which a client acts in a nurse's name (the inbox services need one).
NURSE_SCOPES = frozenset({"escalations.read", "escalations.write"})
RATE_RE = re.compile(r"^\d+/(s|sec|m|min|h|hour|d|day)$")


class ClientError(ValueError):
    pass


@dataclass(frozen=True)
class CreatedClient:
    client: ApiClient
    client_id: str
    client_secret: str  # shown once: only its hash is stored


@transaction.atomic
def api_client_create(*, name: str, scopes: list[str], user=None, rate: str = "") -> CreatedClient:
    """A confidential OAuth2 client (client-credentials grant) that may be granted `scopes`.

    `user`: the account the client acts as where a service needs a person; required (and a
    nurse) for the escalation scopes, so that claims and replies carry a nurse's name.
    """
    name = name.strip()
    if not name:
        raise ClientError("The client needs a name.")
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise ClientError(f"Unknown scopes: {', '.join(unknown)} (known: {', '.join(SCOPES)}).")
    if not scopes:
        raise ClientError("Give at least one scope.")
    if "patient" in scopes:
        raise ClientError("The patient scope is for tokens bound to a patient, not clients.")
    if NURSE_SCOPES & set(scopes) and (user is None or not roles.is_nurse(user)):
        raise ClientError(
            "The escalation scopes act in a nurse's name: pass --user with a nurse's account."
        )
    if rate and not RATE_RE.match(rate):
        raise ClientError("The rate reads like 120/min (per s, min, hour or day).")
    if Application.objects.filter(name=name).exists():
        raise ClientError(f"A client named {name!r} exists already.")
    secret = secrets.token_urlsafe(40)
    application = Application.objects.create(
        name=name,
        user=user,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        client_secret=secret,  # hashed on save
    )
    client = ApiClient.objects.create(
        application=application, scopes=" ".join(dict.fromkeys(scopes)), rate=rate
    )
    return CreatedClient(client=client, client_id=application.client_id, client_secret=secret)

"""Who is calling: an API client (OAuth2 client credentials), a token bound to a person, or a
signed-in session.

- A client-credentials token belongs to no person. It acts as its client's account
  (`Application.user`, e.g. the nurse an in-basket integration works for) where a service needs
  one, and it reaches only what its scopes allow. It never counts as a patient.
- A token bound to a person (authorization code) acts as that person, within its scopes.
- A session (a patient signed in to the portal) reaches only the patient's own endpoints.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from oauth2_provider.contrib.rest_framework import OAuth2Authentication

from assistant import selectors


class ApiTokenAuthentication(OAuth2Authentication):
    """A bearer token; for a client-credentials token, the user is the client's account (or
    anonymous when it has none), so that `request.user` is never None."""

    def authenticate(self, request):
        found = super().authenticate(request)
        if found is None:
            return None
        user, token = found
        if user is None:
            user = token.application.user if token.application.user_id else AnonymousUser()
        return user, token


@dataclass(frozen=True)
class Caller:
    """The identity written to the audit log with every call."""

    kind: str  # "client" | "user_token" | "session" | "anonymous"
    client_id: str = ""
    client_name: str = ""
    scopes: frozenset[str] = frozenset()

    def audit(self) -> dict[str, object]:
        out: dict[str, object] = {"caller": self.kind}
        if self.client_id:
            out["client_id"] = self.client_id
            out["client_name"] = self.client_name
        return out


def token_of(request):
    """The OAuth2 access token of the request, or None (session or anonymous)."""
    auth = getattr(request, "auth", None)
    return auth if hasattr(auth, "application_id") else None


def caller_of(request) -> Caller:
    token = token_of(request)
    if token is not None:
        app = token.application
        kind = "client" if token.user_id is None else "user_token"
        return Caller(kind, app.client_id, app.name, frozenset(token.scope.split()))
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return Caller("session")
    return Caller("anonymous")


def patient_of(request):
    """The patient the caller acts as: a patient's session, or a token bound to the patient that
    carries the `patient` scope. A client-credentials token is never a patient."""
    token = token_of(request)
    if token is not None and (token.user_id is None or "patient" not in token.scope.split()):
        return None
    return selectors.patient_for_user(request.user)

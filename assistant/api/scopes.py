"""The API's OAuth2 scopes, and which of them each client may be granted.

django-oauth-toolkit asks this backend (settings.OAUTH2_PROVIDER["SCOPES_BACKEND_CLASS"]) what a
client may request: only the scopes it was created with (ApiClient.scopes). A token request for
more is refused with `invalid_scope`; a request naming none gets all of the client's scopes.
"""

from __future__ import annotations

from oauth2_provider.scopes import BaseScopes

SCOPES: dict[str, str] = {
    "triage": "Classify a message: emergency, urgent or routine (POST /api/v1/triage)",
    "answers": "Grounded answers from approved content (POST /api/v1/answers)",
    "knowledge.read": "Search and read approved content (/api/v1/knowledge/)",
    "escalations.read": "List and read escalations, their threads and FHIR views",
    "escalations.write": "Claim, reply to and resolve escalations",
    "records.write": "Import a patient's FHIR bundle (POST /api/v1/fhir/Bundle)",
    "records.read": "Read a patient's preventive care (/api/v1/patients/{id}/preventive)",
    "webhooks": "Register webhooks for emergency and urgent escalations",
    "patient": "Act as the signed-in patient (a token bound to a patient): their own "
    "conversations and preventive care only",
}


def client_scopes(application) -> list[str]:
    """The scopes `application` may be granted: an API client's own; for an application that
    signs patients in (authorization code, registered in the admin) only `patient`; else none."""
    if application is None:
        return []
    client = getattr(application, "api_client", None)
    if client is not None:
        return [s for s in client.scopes.split() if s in SCOPES and s != "patient"]
    if application.authorization_grant_type == application.GRANT_AUTHORIZATION_CODE:
        return ["patient"]
    return []


class ClientScopes(BaseScopes):
    def get_all_scopes(self):
        return dict(SCOPES)

    def get_available_scopes(self, application=None, request=None, *args, **kwargs):
        return client_scopes(application)

    def get_default_scopes(self, application=None, request=None, *args, **kwargs):
        return client_scopes(application)

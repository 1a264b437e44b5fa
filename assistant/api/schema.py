"""How the OpenAPI document describes the API's authentication: OAuth2 client credentials at
/o/token/, with the scope each operation needs (imported by urls.py, which registers it)."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension

from .scopes import SCOPES


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "assistant.api.auth.ApiTokenAuthentication"
    name = "oauth2"

    def get_security_requirement(self, auto_schema):
        from .permissions import HasScope, IsPatient

        view = auto_schema.view
        for permission in view.get_permissions():
            if isinstance(permission, HasScope):
                scope = view.required_scope_for(_Method(auto_schema.method))
                return {self.name: [scope]}
            if isinstance(permission, IsPatient):
                return {self.name: ["patient"]}
        scopes = getattr(view, "schema_scopes", ())
        return [{self.name: [scope]} for scope in scopes]

    def get_security_definition(self, auto_schema):
        return {
            "type": "oauth2",
            "description": "Client credentials: POST /o/token/ with grant_type="
            "client_credentials and the client's id and secret (HTTP Basic).",
            "flows": {"clientCredentials": {"tokenUrl": "/o/token/", "scopes": dict(SCOPES)}},
        }


class _Method:
    """Just enough of a request for `required_scope_for`."""

    def __init__(self, method: str) -> None:
        self.method = method.upper()

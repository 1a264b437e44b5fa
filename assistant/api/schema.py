"""How the OpenAPI document describes the API: OAuth2 client credentials at /o/token/ with the
scope each operation needs (imported by urls.py, which registers it), and the errors every
operation can answer with (ApiAutoSchema, settings.REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"])."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema

from .permissions import HasScope, IsPatient
from .scopes import SCOPES
from .serializers import ErrorOut

# Why each error status comes back; the body is always errors.py's shape (ErrorOut).
ERRORS = {
    400: "A field is missing or wrong (`fields` names it), or the body is not JSON.",
    401: "No valid access token.",
    403: "The token lacks the scope, or the caller may not see this.",
    404: "No such object, or not one this caller may see.",
    415: "The body is not of a media type this operation reads.",
    429: "Too many requests: wait `Retry-After` seconds.",
}


class ApiAutoSchema(AutoSchema):
    """Adds the error responses to every /api/ operation, so that a client generated from the
    document knows them and a response outside the document is a bug (test_api_contract.py).
    An operation's own errors (409 for a claim, ...) are declared on its view."""

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None or not path.startswith("/api/"):
            return operation
        content = {
            "application/json": {"schema": self.resolve_serializer(ErrorOut, "response").ref}
        }
        codes = [401, 403, 429]
        if "requestBody" in operation or any(
            p["in"] == "query" for p in operation.get("parameters", [])
        ):
            codes.append(400)
        if "requestBody" in operation:
            codes.append(415)
        if any(p["in"] == "path" for p in operation.get("parameters", [])):
            codes.append(404)
        responses = operation["responses"]
        for code in sorted(codes):
            responses.setdefault(str(code), {"description": ERRORS[code], "content": content})
        return operation


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "assistant.api.auth.ApiTokenAuthentication"
    name = "oauth2"

    def get_security_requirement(self, auto_schema):

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

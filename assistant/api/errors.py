"""Every API error is JSON of one shape: {"error": code, "detail": text[, "fields": {...}]}.

The text is plain (never HTML); a client shows it as text. A bad field names the field.
"""

from __future__ import annotations

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "The object is no longer in a state that allows this."


class BadRequest(exceptions.APIException):
    """A 400 whose detail may carry more than a message (e.g. the failing FHIR resource)."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "bad_request"

    def __init__(self, detail: str, *, code: str = "bad_request", **extra) -> None:
        super().__init__(detail, code)
        self.extra = extra


def _flatten(detail):
    if isinstance(detail, list):
        return " ".join(str(d) for d in detail)
    if isinstance(detail, dict):
        return {k: _flatten(v) for k, v in detail.items()}
    return str(detail)


def exception_handler(exc, context):
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    code = getattr(exc, "default_code", "error")
    if isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        if isinstance(codes, str):
            code = codes
    body: dict = {"error": code}
    if isinstance(exc, exceptions.ValidationError) and isinstance(exc.detail, dict):
        body["error"] = "invalid"
        body["detail"] = "Some fields are missing or wrong; see `fields`."
        body["fields"] = _flatten(exc.detail)
    else:
        body["detail"] = _flatten(exc.detail) if hasattr(exc, "detail") else str(exc)
    body.update(getattr(exc, "extra", {}) or {})
    return Response(body, status=response.status_code, headers=_kept_headers(response))


@csrf_exempt  # it changes nothing; a POST without a CSRF token must get this 404, not a 403 page
def no_such_endpoint(request, *args, **kwargs) -> JsonResponse:
    """A path under /api/v1/ that names no endpoint: the API's 404, in JSON."""
    return JsonResponse(
        {"error": "not_found", "detail": "No such endpoint; see /api/v1/schema/."}, status=404
    )


def _kept_headers(response) -> dict[str, str]:
    return {k: v for k, v in response.items() if k in ("WWW-Authenticate", "Retry-After", "Allow")}

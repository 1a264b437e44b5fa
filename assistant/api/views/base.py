"""What every API view shares: authentication, scopes, throttling, the audit entry per call and
JSON errors.
"""

from __future__ import annotations

import logging
from typing import Any

from rest_framework.views import APIView

from knowledge.models import ReviewState
from portal.audit import audit_record
from portal.models import Patient

from ..auth import ApiTokenAuthentication, caller_of
from ..permissions import HasScope

log = logging.getLogger(__name__)


class ApiView(APIView):
    """Base of every endpoint: scope check, and one audit entry per call."""

    # Capabilities for other systems take a token only; the patient's views add the session.
    authentication_classes = [ApiTokenAuthentication]
    permission_classes = [HasScope]
    required_scope = ""
    audit_action = "api.call"

    def required_scope_for(self, request) -> str:
        return self.required_scope

    def note(
        self,
        *,
        object_type: str = "",
        object_id: Any = "",
        patient: Patient | None = None,
        **detail: Any,
    ) -> None:
        """What this call touched, for its audit entry."""
        audit = self.__dict__.setdefault("_audit", {"detail": {}})
        if object_type:
            audit["object_type"], audit["object_id"] = object_type, object_id
        if patient is not None:
            audit["patient"] = patient
        audit["detail"].update(detail)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        audit = self.__dict__.get("_audit", {"detail": {}})
        http_request = getattr(request, "_request", request)
        audit_record(
            request_or_actor=http_request,
            action=self.audit_action,
            object_type=audit.get("object_type", ""),
            object_id=audit.get("object_id", ""),
            patient=audit.get("patient"),
            detail={
                **caller_of(request).audit(),
                "method": request.method,
                "path": http_request.path,
                "status": response.status_code,
                **audit["detail"],
            },
        )
        return response

    def validated(self, serializer_class, data) -> dict[str, Any]:
        serializer = serializer_class(data=data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


HISTORY_STATES = (ReviewState.APPROVED, ReviewState.SUPERSEDED, ReviewState.RETIRED)


def _iso(value) -> str | None:
    return value.isoformat() if value else None

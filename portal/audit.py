"""The site's one audit writer: who read or changed what about which patient, when and from where.

Every staff read of a patient's thread, messages or record, every staff action, content edits and
sign-in lockouts are written through `audit_record`. The client address is worked out in one
place (`client_ip`), the same for the audit log and the sign-in lockout, so a forged
X-Forwarded-For can neither hide a reader nor lock someone else out. Patients reading their own
data are not logged (see portal.models.AuditEvent).
"""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings
from django.http import HttpRequest

from .models import AuditEvent, Patient

USER_AGENT_MAX = 300


def _from_forwarded(remote: str | None, forwarded: str) -> str | None:
    """The address the outermost of our TRUSTED_PROXY_COUNT proxies saw. Each proxy appends the
    address it was reached from, so entries before the last N are the client's own claims."""
    count = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if count <= 0:
        return remote
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    if len(hops) < count:
        return remote  # not through our proxies: nothing in the header can be trusted
    return hops[-count]


def client_ip(request_or_scope: HttpRequest | dict[str, Any]) -> str | None:
    """The client's IP address of an HttpRequest or of an ASGI (websocket) scope, or None."""
    if isinstance(request_or_scope, HttpRequest):
        remote = request_or_scope.META.get("REMOTE_ADDR")
        forwarded = request_or_scope.META.get("HTTP_X_FORWARDED_FOR", "")
    else:
        remote = (request_or_scope.get("client") or (None, None))[0]
        forwarded = _header(request_or_scope, b"x-forwarded-for")
    return _valid_ip(_from_forwarded(remote, forwarded))


def client_ip_for_lockout(request: HttpRequest) -> str | None:
    """django-axes' AXES_CLIENT_IP_CALLABLE: the same address the audit log records."""
    return client_ip(request)


def _header(scope: dict[str, Any], name: bytes) -> str:
    for key, value in scope.get("headers") or ():
        if key.lower() == name:
            return value.decode("latin-1")
    return ""


def _valid_ip(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:  # test clients and unix sockets report names, not addresses
        return None


def audit_record(
    *,
    request_or_actor: Any,
    action: str,
    object_type: str = "",
    object_id: str | int = "",
    patient: Patient | None = None,
    patient_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Write one AuditEvent.

    `request_or_actor` is an HttpRequest (the IP address and browser are taken from it), an ASGI
    scope dict of a websocket (same), or a bare user (or None) for work done outside a request.
    """
    ip: str | None = None
    agent = ""
    if isinstance(request_or_actor, HttpRequest):
        actor = getattr(request_or_actor, "user", None)
        ip = client_ip(request_or_actor)
        agent = request_or_actor.META.get("HTTP_USER_AGENT", "")
    elif isinstance(request_or_actor, dict):
        actor = request_or_actor.get("user")
        ip = client_ip(request_or_actor)
        agent = _header(request_or_actor, b"user-agent")
    else:
        actor = request_or_actor
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    return AuditEvent.objects.create(
        actor=actor,
        actor_name=str(actor)[:150] if actor is not None else "system",
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        patient=patient,
        **({"patient_id": patient_id} if patient is None and patient_id else {}),
        ip_address=ip,
        user_agent=agent[:USER_AGENT_MAX],
        detail=detail or {},
    )

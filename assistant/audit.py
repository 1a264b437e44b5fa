"""The staff audit trail: who read or changed what about which patient, when and from where.

Called for staff reads of threads and records, replies, claims, resolutions and content edits.
Patients reading their own data are not logged (see portal.models.AuditEvent).
"""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings
from django.http import HttpRequest

from portal.models import AuditEvent, Patient

USER_AGENT_MAX = 300


def _client_from_request(request: HttpRequest) -> tuple[str | None, str]:
    ip = request.META.get("REMOTE_ADDR")
    if getattr(settings, "AUDIT_TRUST_X_FORWARDED_FOR", False):
        # Only behind a proxy we run: the header is client-controlled otherwise.
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            ip = forwarded.split(",")[0].strip()
    return ip, request.META.get("HTTP_USER_AGENT", "")


def _client_from_scope(scope: dict[str, Any]) -> tuple[str | None, str]:
    client = scope.get("client") or (None, None)
    agent = ""
    for name, value in scope.get("headers") or ():
        if name == b"user-agent":
            agent = value.decode("latin-1")
    return client[0], agent


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
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Write one AuditEvent.

    `request_or_actor` is an HttpRequest (IP and user agent are taken from it), an ASGI scope
    dict of a websocket (same), or a bare user for work done outside a request.
    """
    ip: str | None = None
    agent = ""
    if isinstance(request_or_actor, HttpRequest):
        actor = request_or_actor.user
        ip, agent = _client_from_request(request_or_actor)
    elif isinstance(request_or_actor, dict):
        actor = request_or_actor.get("user")
        ip, agent = _client_from_scope(request_or_actor)
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
        ip_address=_valid_ip(ip),
        user_agent=agent[:USER_AGENT_MAX],
        detail=detail or {},
    )

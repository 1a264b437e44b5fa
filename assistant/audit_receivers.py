"""Curation steps in the knowledge base go to the staff audit log.

The knowledge app cannot import the audit log (it depends on nothing of ours), so it sends
`knowledge.signals.content_changed` and this receiver writes the AuditEvent, with the IP address
and browser of the admin request that caused it when there is one.
"""

from __future__ import annotations

from portal.audit import audit_record
from portal.middleware import current_request


def record_content_change(sender, *, user, action, object_type, object_id, version, **_):
    request = current_request()
    same_person = request is not None and getattr(request, "user", None) == user
    audit_record(
        request_or_actor=request if same_person else user,
        action=action,
        object_type=object_type,
        object_id=object_id,
        detail={"version": version},
    )

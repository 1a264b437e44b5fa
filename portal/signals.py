"""Sign-in security events go to the audit log: each lockout, and each attempt refused by one."""

from __future__ import annotations

from axes.signals import user_locked_out
from django.dispatch import receiver

from .audit import audit_record


@receiver(user_locked_out, dispatch_uid="portal-audit-lockout")
def audit_lockout(sender, *, request, username=None, ip_address=None, **_):
    audit_record(
        request_or_actor=request,
        action="login.locked_out",
        object_type="user",
        object_id=(username or "")[:64],
        detail={"username": (username or "")[:150]},
    )

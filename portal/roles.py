"""The three kinds of people who use the portal, as Django groups.

Roles are groups (not flags on the user) so that permissions stay manageable in the admin and a
person can hold more than one role (a charge nurse is also a nurse).
"""

from __future__ import annotations

PATIENT = "patient"
NURSE = "nurse"
CHARGE_NURSE = "charge_nurse"  # a nurse who also receives overdue-escalation alerts
ADMIN = "admin"  # curates content and rules, reads the audit log

ALL_ROLES = (PATIENT, NURSE, CHARGE_NURSE, ADMIN)


def user_roles(user) -> frozenset[str]:
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "_role_cache", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        if user.is_superuser:
            cached = cached | {ADMIN}
        user._role_cache = cached
    return cached


def is_patient(user) -> bool:
    return PATIENT in user_roles(user)


def is_nurse(user) -> bool:
    return bool({NURSE, CHARGE_NURSE} & user_roles(user))


def is_admin(user) -> bool:
    return ADMIN in user_roles(user)


def is_staff_member(user) -> bool:
    return is_nurse(user) or is_admin(user)

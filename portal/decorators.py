"""Role checks for views: signed-out people go to the sign-in page, the wrong role gets a 403.

    @patient_required            def my_health(request): ...
    @nurse_required              def queue(request): ...
    class Dashboard(StaffRequiredMixin, TemplateView): ...

The 403 renders templates/403.html with the reason given here, so it tells people where they are
allowed to go instead of showing a bare error.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from inspect import iscoroutinefunction

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from . import roles

RoleCheck = Callable[[object], bool]


def role_required(check: RoleCheck, *, reason: str) -> Callable:
    """A view decorator: sign-in required, then `check(user)` must hold, else 403 with `reason`."""

    def decorator(view):
        if iscoroutinefunction(view):

            @wraps(view)
            async def async_wrapped(request, *args, **kwargs):
                user = await request.auser()
                if not user.is_authenticated:
                    return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
                if not await sync_to_async(check)(user):
                    raise PermissionDenied(reason)
                return await view(request, *args, **kwargs)

            return async_wrapped

        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
            if not check(request.user):
                raise PermissionDenied(reason)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


PATIENT_ONLY = "This page is for patients, to see their own health record."
NURSE_ONLY = "This page is for the nursing team."
ADMIN_ONLY = "This page is for portal administrators."
STAFF_ONLY = "This page is for the care team and portal administrators."

patient_required = role_required(roles.is_patient, reason=PATIENT_ONLY)
nurse_required = role_required(roles.is_nurse, reason=NURSE_ONLY)
admin_required = role_required(roles.is_admin, reason=ADMIN_ONLY)
staff_required = role_required(roles.is_staff_member, reason=STAFF_ONLY)


class RoleRequiredMixin:
    """Class-based views: set `role_check` and `role_reason` (or use the ready-made mixins)."""

    role_check: Callable[[object], bool] = staticmethod(lambda user: False)
    role_reason: str = "You do not have access to this page."

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        if not type(self).role_check(request.user):
            raise PermissionDenied(self.role_reason)
        return super().dispatch(request, *args, **kwargs)


class PatientRequiredMixin(RoleRequiredMixin):
    role_check = staticmethod(roles.is_patient)
    role_reason = PATIENT_ONLY


class NurseRequiredMixin(RoleRequiredMixin):
    role_check = staticmethod(roles.is_nurse)
    role_reason = NURSE_ONLY


class AdminRequiredMixin(RoleRequiredMixin):
    role_check = staticmethod(roles.is_admin)
    role_reason = ADMIN_ONLY


class StaffRequiredMixin(RoleRequiredMixin):
    role_check = staticmethod(roles.is_staff_member)
    role_reason = STAFF_ONLY

"""Site pages: the role-based home, "My health", and the sign-in / sign-out pages."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.module_loading import import_string
from django.utils.safestring import mark_safe

from . import roles, selectors
from .decorators import patient_required

logger = logging.getLogger(__name__)


def home(request: HttpRequest) -> HttpResponse:
    """Send each person to the page they came for."""
    user = request.user
    if not user.is_authenticated:
        return redirect(settings.LOGIN_URL)
    if roles.is_nurse(user):
        return redirect("inbox:queue")
    if roles.is_admin(user):
        return redirect("admin:index")
    if roles.is_patient(user):
        return redirect("my_health")
    raise PermissionDenied(
        "Your account is not set up for any part of the portal yet. Please contact the clinic."
    )


@patient_required
def my_health(request: HttpRequest) -> HttpResponse:
    """The signed-in patient's own record, in plain words, with the way into the chat."""
    patient = selectors.patient_for_user(request.user)
    context = {
        "patient": patient,
        "summary": selectors.patient_record_summary(patient=patient) if patient else None,
        "chat_url": _url_or_none("assistant:chat"),
        "panels": _extension_panels(request, patient) if patient else [],
    }
    return render(request, "portal/my_health.html", context)


def _url_or_none(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def _extension_panels(request: HttpRequest, patient) -> list[str]:
    """HTML of the panels other apps add to My health (settings.MY_HEALTH_PANELS).

    A failing panel is logged and left out: one broken add-on must not hide a patient's record.
    """
    html = []
    for dotted in getattr(settings, "MY_HEALTH_PANELS", []):
        try:
            rendered = import_string(dotted)(request, patient)
        except Exception:
            logger.exception("My health panel %s failed", dotted)
            continue
        if rendered:
            html.append(mark_safe(rendered))  # panels return templates they rendered themselves
    return html


class SignInView(auth_views.LoginView):
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["idle_minutes"] = max(1, settings.SESSION_COOKIE_AGE // 60)
        return context


class SignOutView(auth_views.LogoutView):
    """Sign out (POST only, as Django requires) and say so on the sign-in page."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.info(request, "You have signed out. Thank you for using Riverside Health.")
        return response


def sign_in_locked_out(request: HttpRequest, original_response=None, credentials=None):
    """django-axes' lockout response: the sign-in page's look, a 429, and what to do now."""
    from axes.helpers import get_client_username

    minutes = max(1, round(settings.AXES_COOLOFF_TIME * 60))
    context = {"username": get_client_username(request, credentials) or "", "minutes": minutes}
    return render(request, "registration/locked_out.html", context, status=429)

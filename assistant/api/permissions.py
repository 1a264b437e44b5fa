"""Access rules of the API views: scopes for clients, roles for people."""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from .auth import patient_of, token_of


class HasScope(BasePermission):
    """A token carrying the view's `required_scope`. Sessions never pass: a capability for
    other systems is reached with a token only."""

    message = "This call needs an access token with the scope it names."

    def has_permission(self, request, view) -> bool:
        token = token_of(request)
        if token is None:
            return False
        scope = view.required_scope_for(request)
        self.message = f"This call needs an access token with the {scope!r} scope."
        return token.is_valid([scope])


class IsPatient(BasePermission):
    """A patient's session, or a token bound to a patient with the `patient` scope."""

    message = "Only a signed-in patient (or a token bound to one) may call this."

    def has_permission(self, request, view) -> bool:
        return patient_of(request) is not None

"""Sign-in throttling: django-axes refuses an account locked out by repeated wrong passwords.

Its backend insists on the HTTP request; `authenticate()` called without one (a management
command, a test's `client.login`) is not a sign-in from the web, which is what is throttled,
so it is passed on to the next backend untouched.
"""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend


class LockoutBackend(AxesStandaloneBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)

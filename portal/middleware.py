"""The request being served, for code far from the view that still needs "from where".

The audit log records the IP address and browser of staff actions; curation services run deep
below the admin views and don't take a request, so the current one is kept in a context variable
(per thread and per asyncio task, never shared between requests).
"""

from __future__ import annotations

from contextvars import ContextVar

from django.http import HttpRequest

_current: ContextVar[HttpRequest | None] = ContextVar("current_request", default=None)


def current_request() -> HttpRequest | None:
    return _current.get()


class CurrentRequestMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current.set(request)
        try:
            return self.get_response(request)
        finally:
            _current.reset(token)

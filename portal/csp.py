"""Content-Security-Policy on every response.

Scripts run only from the site's own static files: no inline <script>, no on* handler attributes,
no eval, no `javascript:` URL. A page that some injected text managed to put markup into still
runs none of it. Styles may stay inline (a few <style> blocks and computed bar widths); they
cannot run code. The websockets are same-origin, named explicitly for browsers whose 'self'
does not cover ws:/wss:.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse

HEADER = "Content-Security-Policy"
REPORT_ONLY_HEADER = "Content-Security-Policy-Report-Only"


def policy_for(request: HttpRequest) -> str:
    host = request.get_host()
    directives = {
        "default-src": "'self'",
        "script-src": "'self'",
        "script-src-attr": "'none'",
        "style-src": "'self' 'unsafe-inline'",
        "img-src": "'self' data:",
        "font-src": "'self'",
        "connect-src": f"'self' ws://{host} wss://{host}",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        header = REPORT_ONLY_HEADER if settings.CSP_REPORT_ONLY else HEADER
        if header not in response:
            try:
                response[header] = policy_for(request)
            except DisallowedHost:  # that response is an error page already
                response[header] = policy_for_unknown_host()
        return response


def policy_for_unknown_host() -> str:
    return "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

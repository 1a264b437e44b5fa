"""Per-client rate limits (DRF throttling).

Counted per OAuth2 client (all its tokens together), else per signed-in user, else per address:
one busy integration cannot starve the others. The rate is the client's own (ApiClient.rate)
or settings.API_RATE_LIMIT. Patients posting chat messages also meet the chat's own limit
(assistant/ratelimit.py), as on the socket.
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from .auth import token_of


class ClientRateThrottle(SimpleRateThrottle):
    scope = "api"

    def __init__(self) -> None:  # the rate depends on the request; see allow_request
        pass

    def allow_request(self, request, view) -> bool:
        self.rate = self._rate_for(request)
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def _rate_for(self, request) -> str:
        token = token_of(request)
        client = getattr(token.application, "api_client", None) if token is not None else None
        return (client.rate if client is not None and client.rate else "") or (
            settings.API_RATE_LIMIT
        )

    def get_cache_key(self, request, view) -> str:
        token = token_of(request)
        if token is not None:
            ident = f"client:{token.application.client_id}"
        elif request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"addr:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}

"""ASGI entry point: HTTP through Django, websockets through Channels (auth + origin checks)."""

import logging
import os
import threading

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

from assistant.routing import websocket_urlpatterns  # noqa: E402

# The portal serves its own CSS and JS through WhiteNoise (a middleware, see settings), so that
# Daphne alone is a complete web process.
application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)


def _gate_warm_up() -> None:
    from assistant.escalation.gate import warm

    try:
        warm()
    except Exception:  # the first message will load (and report) whatever failed here
        logging.getLogger(__name__).warning("could not warm up the escalation gate", exc_info=True)


# Loaded on first use, the gate's model made the first patients after a start wait 10-15 s
# (see assistant.escalation.model.classifier); Daphne accepts connections meanwhile, and a
# message that arrives before this ends waits only for what is left of it.
if settings.WARM_UP_AT_START:
    threading.Thread(target=_gate_warm_up, name="gate-warm-up", daemon=True).start()

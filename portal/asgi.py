"""ASGI entry point: HTTP through Django, websockets through Channels (auth + origin checks)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from assistant.routing import websocket_urlpatterns  # noqa: E402
from assistant.warm_up import gate_warm_up_start  # noqa: E402

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


gate_warm_up_start()

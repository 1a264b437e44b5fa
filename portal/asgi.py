"""ASGI entry point: HTTP through Django, websockets through Channels (auth + origin checks)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402

from assistant.routing import websocket_urlpatterns  # noqa: E402

# The portal serves its own CSS and JS (a handful of files) so that Daphne alone is a complete
# web process; behind a proxy that serves /static/ itself, set SERVE_STATIC_FILES=false.
http_app = (
    ASGIStaticFilesHandler(django_asgi_app) if settings.SERVE_STATIC_FILES else django_asgi_app
)

application = ProtocolTypeRouter(
    {
        "http": http_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)

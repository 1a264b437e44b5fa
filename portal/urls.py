"""Root URLs. The site may import every app; the apps own their own url modules."""

from django.contrib import admin
from django.urls import include, path
from oauth2_provider import urls as oauth2_urls

from assistant.health import health

urlpatterns = [
    path("health/", health, name="health"),  # for the load balancer and the monitor
    path("admin/", admin.site.urls),
    path("api/v1/", include("assistant.api.urls")),
    path("o/", include(oauth2_urls)),  # OAuth2: /o/token/ for the API's clients
    path("chat/", include("assistant.urls")),
    path("inbox/", include("assistant.inbox.urls")),
    path("knowledge/", include("knowledge.urls")),
    path("preventive/", include("assistant.preventive.urls")),
    path("", include("portal.site_urls")),
]

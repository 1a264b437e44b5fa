"""Root URLs. The site may import every app; the apps own their own url modules."""

from django.contrib import admin
from django.urls import include, path

from assistant.health import health

urlpatterns = [
    path("health/", health, name="health"),  # for the load balancer and the monitor
    path("admin/", admin.site.urls),
    path("chat/", include("assistant.urls")),
    path("inbox/", include("assistant.inbox.urls")),
    path("knowledge/", include("knowledge.urls")),
    path("preventive/", include("assistant.preventive.urls")),
    path("", include("portal.site_urls")),
]

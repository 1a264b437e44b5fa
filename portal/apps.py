from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portal: people and health records"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the sign-in audit receivers)

from django.apps import AppConfig


class AssistantConfig(AppConfig):
    name = "assistant"
    verbose_name = "Assistant and nurse inbox"

    def ready(self) -> None:
        from knowledge.signals import content_changed

        from .audit_receivers import record_content_change

        content_changed.connect(record_content_change, dispatch_uid="audit-content-changed")

from django.apps import AppConfig


class AssistantConfig(AppConfig):
    name = "assistant"
    verbose_name = "Assistant and nurse inbox"

    def ready(self) -> None:
        from knowledge.signals import content_changed

        from .audit_receivers import record_content_change

        content_changed.connect(record_content_change, dispatch_uid="audit-content-changed")
        _gate_embedder_attach()


def _gate_embedder_attach() -> None:
    """Let the escalation gate read meaning with the embedding model the index already uses.

    Only a model already exported is loaded (the export needs torch and a minute): the gate must
    never wait on it. Until it exists, or if it fails, the gate runs on its lexical model.
    """
    from pathlib import Path

    from django.conf import settings

    from assistant.escalation import model

    def factory() -> model.Embed:
        from knowledge.embedding import _export_is_current, model_dir
        from knowledge.index import shared_embedder

        cache = Path(settings.EMBEDDING_CACHE_DIR)
        if not _export_is_current(model_dir(cache)):
            raise RuntimeError(f"no exported embedding model in {cache} yet")
        return shared_embedder(cache).embed

    if getattr(settings, "ESCALATION_EMBEDDINGS", True):
        model.embedder_attach(factory)

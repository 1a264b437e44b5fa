"""Background work that keeps the retrieval index in step with the database.

Queued by knowledge.services after the commit of an approval, a retirement or an article edit.
Each task reads the database when it runs, so a late, repeated or out-of-order delivery still
leaves the index agreeing with the database.
"""

from __future__ import annotations

from celery import shared_task

# The module, not its names: knowledge.services queues these tasks, so each imports the other.
from . import services


@shared_task(
    name="knowledge.index_sections",
    autoretry_for=(ConnectionError, TimeoutError),
    retry_backoff=True,
    max_retries=5,
)
def index_sections_task(section_ids: list[str]) -> dict[str, int]:
    """Index the current approved version of these sections; drop the ones with none."""
    return services.index_sync(section_ids=section_ids)


@shared_task(name="knowledge.reindex")
def reindex_task() -> dict[str, int]:
    """Rebuild the whole index from the database."""
    return services.index_rebuild()

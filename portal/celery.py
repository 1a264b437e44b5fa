"""The Celery app. In the embedded mode tasks run eagerly in-process (no broker needed)."""

import logging
import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

log = logging.getLogger(__name__)


@worker_process_init.connect
def _warm_up(**_kwargs) -> None:
    """A prefork child opens the index and the embedding model before it takes a task.

    Loaded lazily, they made each child's first answer take about 24 s on the full corpus (the
    vectors of every section and the model): the first patient of every child, after every
    start and every child replaced after a time limit, waited that long. The pool sends a
    child no task before this returns (CELERY_WORKER_PROC_ALIVE_TIMEOUT must allow for it).
    """
    from django.conf import settings

    if settings.CELERY_TASK_ALWAYS_EAGER or not settings.CELERY_WARM_UP:
        return
    try:
        from knowledge.wiring import get_retriever

        get_retriever().search("high blood pressure", k=1)
    except Exception:  # an empty or missing index: the first task will say what is wrong
        log.warning("could not warm up the index in this worker process", exc_info=True)

"""The project's Celery app for tests/services/test_delivery_faults.py, with one fault hook.

While the file named by FAULT_SLOW_FILE exists, an answer's search hangs (as a stuck model or
index call would) after writing FAULT_STARTED_FILE: the test then knows the worker is mid-answer
and kills it. Nothing else differs from `celery -A portal`.
"""

import os
import time
from pathlib import Path

from celery.signals import task_prerun

from portal.celery import app

_slow = Path(os.environ.get("FAULT_SLOW_FILE", "/nonexistent"))
_started = Path(os.environ.get("FAULT_STARTED_FILE", "/nonexistent"))


def _hang_while_flagged() -> None:
    if not _slow.exists():
        return
    _started.write_text(str(os.getpid()))
    deadline = time.monotonic() + 300
    while _slow.exists() and time.monotonic() < deadline:
        time.sleep(0.2)


@task_prerun.connect
def _install_hook(**_kwargs) -> None:
    from assistant import services

    real = services._retriever
    if getattr(real, "fault_hook", False):
        return

    def retriever():
        _hang_while_flagged()
        return real()

    retriever.fault_hook = True
    services._retriever = retriever


__all__ = ["app"]

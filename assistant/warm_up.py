"""What a web process loads as it starts, so that its first patients do not wait on it."""

from __future__ import annotations

import logging
import threading

from django.conf import settings

log = logging.getLogger(__name__)


def _gate_warm_up() -> None:
    from assistant.escalation.gate import warm

    try:
        warm()
    except Exception:  # the first message will load (and report) whatever failed here
        log.warning("could not warm up the escalation gate", exc_info=True)


def gate_warm_up_start() -> None:
    """Load the escalation gate's classifier and embedder in a thread (`WARM_UP_AT_START`).

    Loaded on first use, the gate's model made the first patients after a start wait 10-15 s
    (see assistant.escalation.model.classifier). Daphne accepts connections meanwhile; a message
    that arrives before the thread ends waits only for what is left of the loading.
    """
    if settings.WARM_UP_AT_START:
        threading.Thread(target=_gate_warm_up, name="gate-warm-up", daemon=True).start()

"""A web process loads the escalation gate as it starts, so its first patients do not wait on it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Imports the web application as Daphne does, waits for the warm-up thread, and reports what
# the gate has loaded, before any message reached it.
PROBE = """
import json, threading
import portal.asgi
from assistant.escalation import model
for thread in threading.enumerate():
    if thread.name == "gate-warm-up":
        thread.join(120)
print(json.dumps({
    "warm_up_thread": any(t.name == "gate-warm-up" for t in threading.enumerate()),
    "classifier_loaded": model._classifier_loaded.cache_info().currsize == 1,
    "embedder_loaded": model._embed is not None,
    "embedder_failed": model._embed_failed_at is not None,
}))
"""


def probe(**env: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings", **env},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_web_process_loads_the_gate_model_and_embedder_as_it_starts():
    state = probe(WARM_UP_AT_START="1")
    assert state["classifier_loaded"]
    # The embedder loads too where the embedding model is exported (as every install does);
    # either way the thread ended having tried, instead of leaving it to the first message.
    assert state["embedder_loaded"] or state["embedder_failed"]
    assert not state["warm_up_thread"]  # finished


def test_the_warm_up_can_be_turned_off():
    state = probe(WARM_UP_AT_START="0")
    assert not state["classifier_loaded"]
    assert not state["embedder_loaded"]

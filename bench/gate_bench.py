"""How fast the escalation gate decides: every labelled message, whole gate, one at a time.

The whole gate is timed as the chat calls it (`classify(text)`: cleaning, rules, context, the
classifier and its nearest exemplars), with the sentence embedder attached as the portal attaches
it, and again with the lexical model alone (the fallback when no embedder is available). Loading
the model and the embedder happens before the timing. Prints JSON.

    .venv/bin/python bench/gate_bench.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django

django.setup()

from assistant.apps import _gate_embedder_attach  # noqa: E402
from assistant.escalation import classify, data, model  # noqa: E402


def _run(texts: list[str], rounds: int) -> dict[str, float]:
    classify(texts[0])  # load everything first
    times: list[float] = []
    for _ in range(rounds):
        for text in texts:
            started = time.perf_counter()
            classify(text)
            times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {
        "messages": len(times),
        "p50_ms": round(statistics.median(times), 2),
        "p95_ms": round(times[int(0.95 * (len(times) - 1))], 2),
        "p99_ms": round(times[int(0.99 * (len(times) - 1))], 2),
        "max_ms": round(times[-1], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="passes over all messages")
    args = parser.parse_args()
    texts = [e.text for e in data.examples_read()]
    _gate_embedder_attach()
    with_dense = _run(texts, args.rounds)
    layer = classify(texts[0]).classifier_layer
    model.embedder_attach(None)
    lexical = _run(texts, args.rounds)
    print(json.dumps({"whole_gate": {"layer": layer, **with_dense}, "lexical_only": lexical}))


if __name__ == "__main__":
    main()

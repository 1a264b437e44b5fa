"""Emergency recall of the gate under spelling tricks and in Spanish, on the held-aside split.

Each held-aside emergency (never trained on) is disguised one way at a time, the way people hide
words from filters or type in a hurry: zero-width characters between letters, soft hyphens,
look-alike Cyrillic letters, leetspeak, spaced letters, words run together, and letters
repeated. Also prints the recall on the held-aside Spanish and mixed-language emergencies. The
disguises are random but seeded, so the figures repeat. Prints JSON.

    .venv/bin/python bench/gate_tricks.py
"""

from __future__ import annotations

import json
import os
import random
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django

django.setup()

from assistant.escalation import classify, data  # noqa: E402

_CYRILLIC = str.maketrans({"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х"})
_LEET = str.maketrans({"e": "3", "a": "4", "o": "0", "i": "1", "s": "5"})


def _each_word(text: str, rng: random.Random, change, share: float = 0.5) -> str:
    return re.sub(
        r"[A-Za-z]{4,}", lambda m: change(m.group()) if rng.random() < share else m.group(), text
    )


TRICKS = {
    "zero_width": lambda t, r: _each_word(t, r, lambda w: "\u200b".join(w)),
    "soft_hyphen": lambda t, r: _each_word(t, r, lambda w: w[:2] + "\u00ad" + w[2:]),
    "lookalike_letters": lambda t, r: _each_word(t, r, lambda w: w.translate(_CYRILLIC)),
    "leetspeak": lambda t, r: _each_word(t, r, lambda w: w[0] + w[1:].translate(_LEET), 0.4),
    "spaced_letters": lambda t, r: _each_word(t, r, lambda w: " ".join(w), 0.25),
    "run_together": lambda t, r: re.sub(r"(\w) (\w)", lambda m: m.group(1) + m.group(2)
                                         if r.random() < 0.3 else m.group(), t),
    "repeated_letters": lambda t, r: _each_word(t, r, lambda w: w[:2] + w[2] * 4 + w[3:]),
}  # fmt: skip


def main() -> None:
    held = [e for e in data.split(data.examples_read(), "holdout") if e.label == "emergency"]
    out: dict[str, object] = {"held_aside_emergencies": len(held)}
    out["plain"] = round(sum(classify(e.text).level == "emergency" for e in held) / len(held), 3)
    for name, trick in TRICKS.items():
        rng = random.Random(name)
        hits = sum(classify(trick(e.text, rng)).level == "emergency" for e in held)
        out[name] = round(hits / len(held), 3)
    spanish = [e for e in held if e.lang in {"es", "mixed"}]
    out["spanish_and_mixed"] = {
        "n": len(spanish),
        "recall": round(
            sum(classify(e.text).level == "emergency" for e in spanish) / len(spanish), 3
        ),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()

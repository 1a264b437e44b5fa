"""The labelled patient messages of `data/messages/`, and the held-aside split nothing is tuned on.

Each file holds one JSON object a line (see `data/README.md`): `text`, `label`, `category`,
`why`, `voice`, `lang`. The split is fixed by the texts alone: in each category the messages are
ordered by a hash of their text and the first fifth (rounded up) is held aside, so every category
keeps at least 20% of its messages aside and the split is the same on every machine and run. The
classifier is trained on the rest (`split(..., "train")`), its thresholds are chosen by
cross-validation on the rest, and the held-aside part is only ever scored.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"
MESSAGES_DIR = DATA_DIR / "messages"
# Labelled messages written after the model was frozen and never trained on: a check of the gate
# on wording nobody tuned anything to (`manage.py evaluate_escalation --labelled check`).
CHECKS_DIR = DATA_DIR / "checks"
HOLDOUT_SHARE = 0.20
LEVELS = ("emergency", "urgent", "routine")


@dataclass(frozen=True)
class Example:
    text: str
    label: str
    category: str
    why: str = ""
    voice: str = ""
    lang: str = "en"
    source: str = ""  # file:line, to find it again


def _bucket(text: str) -> float:
    """A stable number in [0, 1) from the text: the same on every machine and Python run."""
    digest = hashlib.sha256(" ".join(text.split()).casefold().encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


class CaseFileError(ValueError):
    """A labelled-message file that cannot be read: says which file and line, and why."""


def cases_read(path: str | Path) -> list[dict[str, Any]]:
    """The rows of one JSONL file of labelled messages, in order, as written (no deduplication).

    Each row is an object with a non-empty `text` string and a `label` of `LEVELS`; any other key
    (`category`, `why`, `tags`, ...) is kept. The one reader of labelled files: the evaluation
    command reads a file with it, and the training reads `data/messages/` through `examples_read`.
    """
    return [row for _, row in _numbered_rows(Path(path))]


def _numbered_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, row) of every labelled message in `path`; CaseFileError names a bad line."""
    if not path.is_file():
        raise CaseFileError(f"{path}: no such file")
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise CaseFileError(f"{path}:{number}: not valid JSON ({exc.msg})") from exc
            text = row.get("text") if isinstance(row, dict) else None
            if not isinstance(text, str) or not text.strip():
                raise CaseFileError(f"{path}:{number}: expected an object with a 'text' string")
            if row.get("label") not in LEVELS:
                raise CaseFileError(
                    f"{path}:{number}: 'label' must be one of {', '.join(LEVELS)}, "
                    f"got {row.get('label')!r}"
                )
            yield number, row


def examples_read(directory: Path = MESSAGES_DIR) -> list[Example]:
    """Every labelled message of the `*.jsonl` files in `directory` (default: `data/messages/`),
    deduplicated by text (the first occurrence wins)."""
    files = sorted(Path(directory).glob("*.jsonl"))
    if not files:
        raise CaseFileError(f"{directory}: no labelled *.jsonl files")
    seen: set[str] = set()
    out: list[Example] = []
    for path in files:
        for number, row in _numbered_rows(Path(path)):
            key = " ".join(row["text"].split()).casefold()
            if key in seen:
                continue
            seen.add(key)
            out.append(
                Example(
                    text=row["text"],
                    label=row["label"],
                    category=str(row.get("category") or "uncategorised"),
                    why=str(row.get("why") or ""),
                    voice=str(row.get("voice") or ""),
                    lang=str(row.get("lang") or "en"),
                    source=f"{Path(path).name}:{number}",
                )
            )
    return out


def split(examples: Iterable[Example], part: str) -> list[Example]:
    """`part` is "train" (what the classifier learns from) or "holdout" (only ever scored)."""
    if part not in {"train", "holdout"}:
        raise ValueError(f"unknown part {part!r}")
    examples = list(examples)
    by_category: dict[str, list[Example]] = {}
    for example in examples:
        by_category.setdefault(example.category, []).append(example)
    aside: set[int] = set()
    for members in by_category.values():
        ranked = sorted(members, key=lambda e: _bucket(e.text))
        aside.update(id(e) for e in ranked[: math.ceil(HOLDOUT_SHARE * len(ranked))])
    want = part == "holdout"
    return [e for e in examples if (id(e) in aside) == want]

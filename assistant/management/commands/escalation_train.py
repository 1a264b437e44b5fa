"""Build the escalation gate's vocabulary and classifier from the labelled messages.

    manage.py escalation_train [--corpus DIR] [--lexical-only] [--messages DIR] [--output DIR]

Reads the labelled messages (`assistant/escalation/data/messages/*.jsonl`, or `--messages`; the
training split only: the held-aside fifth of every category is never read here), the approved
corpus for the vocabulary, and writes `vocabulary.txt` and `model.npz` into
`assistant/escalation/data/` (or `--output`, where the gate's own files are left alone). The same
data, corpus and embedding model give the same files. Prints the cross-validated policy.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from assistant.escalation import cleaning, data, model, training


class Command(BaseCommand):
    help = "Train the escalation gate's classifier on the labelled messages (training split)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--corpus",
            default=str(Path(settings.PORTAL_DATA_DIR) / "medquad"),
            help="the MedQuAD folder the vocabulary is read from",
        )
        parser.add_argument(
            "--lexical-only", action="store_true", help="no sentence embedding (faster, weaker)"
        )
        parser.add_argument(
            "--messages",
            default=str(data.MESSAGES_DIR),
            help="the folder of labelled *.jsonl files (default: the gate's own)",
        )
        parser.add_argument(
            "--output",
            default=str(model.MODEL_FILE.parent),
            help="the folder model.npz and vocabulary.txt are written to (default: the gate's)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            examples = data.examples_read(Path(options["messages"]))
        except data.CaseFileError as exc:
            raise CommandError(str(exc)) from exc
        train = data.split(examples, "train")
        self.stdout.write(f"{len(examples)} labelled messages; training on {len(train)}")
        output = Path(options["output"])
        output.mkdir(parents=True, exist_ok=True)
        vocabulary_file = output / cleaning.VOCABULARY_FILE.name
        model_file = output / model.MODEL_FILE.name
        # The vocabulary comes first: cleaning (and so every feature) depends on it.
        words = training.vocabulary_build(Path(options["corpus"]), train)
        vocabulary_file.write_text("\n".join(words) + "\n", encoding="utf-8")
        self.stdout.write(f"vocabulary: {len(words)} words -> {vocabulary_file}")
        embed = None
        if not options["lexical_only"]:
            from knowledge.index import shared_embedder

            embedder = shared_embedder(Path(settings.EMBEDDING_CACHE_DIR))
            embed = embedder.embed
        with cleaning.vocabulary_from(vocabulary_file):
            arrays = training.fit(train, embed=embed, log=self.stdout.write)
        np.savez_compressed(model_file, **arrays)
        model.classifier.cache_clear()
        meta = json.loads(str(arrays["meta"]))
        self.stdout.write(json.dumps(meta, indent=2))
        self.stdout.write(f"model -> {model_file}")

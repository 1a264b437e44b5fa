"""Build the escalation gate's vocabulary and classifier from the labelled messages.

    manage.py escalation_train [--corpus DIR] [--lexical-only]

Reads `assistant/escalation/data/messages/*.jsonl` (the training split only: the held-aside fifth
of every category is never read here), the approved corpus for the vocabulary, and writes
`assistant/escalation/data/vocabulary.txt` and `assistant/escalation/data/model.npz`. The same
data, corpus and embedding model give the same files. Prints the cross-validated thresholds.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from assistant.escalation import data, model, normalise, training


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

    def handle(self, *args: Any, **options: Any) -> None:
        examples = data.examples_read()
        train = data.split(examples, "train")
        self.stdout.write(f"{len(examples)} labelled messages; training on {len(train)}")
        # The vocabulary comes first: cleaning (and so every feature) depends on it.
        words = training.vocabulary_build(Path(options["corpus"]), train)
        normalise.VOCABULARY_FILE.write_text("\n".join(words) + "\n", encoding="utf-8")
        normalise.vocabulary.cache_clear()
        normalise.split_run_together.cache_clear()
        self.stdout.write(f"vocabulary: {len(words)} words -> {normalise.VOCABULARY_FILE}")
        embed = None
        if not options["lexical_only"]:
            from knowledge.index import shared_embedder

            embedder = shared_embedder(Path(settings.EMBEDDING_CACHE_DIR))
            embed = embedder.embed
        model.embedder_attach(None)  # the thresholds are chosen on the rules alone plus the fit
        arrays = training.fit(
            train,
            embed=embed,
            log=lambda message: self.stdout.write(message),
        )
        np.savez_compressed(model.MODEL_FILE, **arrays)
        model.classifier.cache_clear()
        meta = json.loads(str(arrays["meta"]))
        self.stdout.write(json.dumps(meta, indent=2))
        self.stdout.write(f"model -> {model.MODEL_FILE}")

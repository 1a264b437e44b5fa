"""manage.py build_questions [ROOT] [--out DIR] — the labelled patient-question set.

Writes `train.jsonl` and `heldaside.jsonl` (split by article, see `knowledge.questions`) in the
format of the evaluation files (`qid`, `question`, `paraphrase`, `judgments`), so that
`evaluate_retrieval` and `evaluate_answers` read them as they are. Reproducible: the same corpus
gives the same files, byte for byte.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from knowledge import questions
from knowledge.corpus import load_medquad

DEFAULT_OUT = Path(__file__).resolve().parents[2] / "data" / "questions"


class Command(BaseCommand):
    help = "Build patient-style questions with judgments from the corpus, split by article."

    def add_arguments(self, parser):
        parser.add_argument("root", nargs="?", type=Path, help="the medquad folder")
        parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
        parser.add_argument("--per-article", type=int, default=2)
        parser.add_argument("--articles", type=int, default=2400)

    def handle(self, *args, root, out, per_article, articles, **options):
        root = root or Path(settings.PORTAL_DATA_DIR) / "medquad"
        if not root.is_dir():
            raise CommandError(f"No such folder: {root}")
        sections, _errors = load_medquad(root)
        rows = questions.build(sections, per_article=per_article, max_articles=articles)
        out.mkdir(parents=True, exist_ok=True)
        for split, split_rows in rows.items():
            path = out / f"{split}.jsonl"
            with path.open("w", encoding="utf-8") as f:
                for row in split_rows:
                    f.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
            voices = Counter(r["voice"] for r in split_rows)
            self.stdout.write(
                f"{path}: {len(split_rows)} questions, "
                f"{len({r.get('article') for r in split_rows if r.get('article')})} articles; "
                + ", ".join(f"{v} {n}" for v, n in sorted(voices.items()))
            )

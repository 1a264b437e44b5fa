"""manage.py evaluate_retrieval FILE — retrieval quality on judged questions.

FILE is JSONL in the format of the evaluation sets: one object a line with `qid`, `question`,
`paraphrase` and `judgments` ({section id: grade 1-4}). Searches the index built by
`manage.py reindex` (settings.KNOWLEDGE_INDEX_DIR, or --index-dir).
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

# The module, not its names: tests and the process wiring swap its factories.
from knowledge import wiring
from knowledge.evaluation import evaluate
from knowledge.retrieval import MODES, HybridRetriever
from knowledge.retrieval.fusion import FusionWeights


class Command(BaseCommand):
    help = "Score retrieval (MRR@10, Recall@10, nDCG@10) on a JSONL file of judged questions."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="JSONL: qid, question, paraphrase, judgments")
        parser.add_argument("--mode", choices=MODES, default="hybrid")
        parser.add_argument(
            "--field",
            choices=("question", "paraphrase"),
            default="question",
            help="which wording to search with (question: as the patient wrote it)",
        )
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="print one JSON object"
        )
        parser.add_argument("--index-dir", type=Path, help="another index than the configured one")
        parser.add_argument(
            "--weights",
            choices=("handset", "learned"),
            help="fusion weights of the hybrid ranking (default: the retriever's own)",
        )

    def handle(self, *args, file, mode, field, as_json, index_dir, weights=None, **options):
        rows = _read(file, field)
        overrides = {"directory": index_dir} if index_dir else {}
        index = wiring.index_from_settings(**overrides)
        if index.is_empty():
            raise CommandError(
                f"The retrieval index at {index.directory} is empty: run "
                "`manage.py import_medquad` and then `manage.py reindex` first."
            )
        if index.lexical.count() == 0:
            raise CommandError(
                f"The retrieval index at {index.directory} holds vectors but its lexical store "
                f"({type(index.lexical).__name__}) is empty (a site moved to PostgreSQL starts "
                "so): run `manage.py reindex --changed-only` to fill it."
            )
        retriever = HybridRetriever(
            index=index, mode=mode, weights=FusionWeights.named(weights or "")
        )
        result = evaluate(
            rows, lambda q: [p.section_id for p in retriever.search(q, k=10)], field=field, k=10
        )
        if as_json:
            self.stdout.write(_json_report(result, mode=mode, field=field))
        else:
            self._print(result, mode=mode, field=field, sections=index.count())

    def _print(self, result: dict, *, mode: str, field: str, sections: int) -> None:
        self.stdout.write(f"{result['questions']} questions ({field}), mode {mode}, ")
        self.stdout.write(f"index of {sections} sections\n\n")
        self.stdout.write(f"{'qid':<10} {'first':>5} {'recall':>6} {'nDCG':>5}  top results\n")
        for q in result["queries"]:
            rank = q["first_relevant_rank"]
            shown = ", ".join(
                f"{sid}({grade or '-'})"
                for sid, grade in zip(q["retrieved"][:3], q["grades"][:3], strict=False)
            )
            note = "" if q["relevant"] else "  (no relevant section judged)"
            self.stdout.write(
                f"{q['qid']!s:<10} {rank if rank else '-':>5} {q['recall']:>6.2f} "
                f"{q['ndcg']:>5.2f}  {shown}{note}\n"
            )
        self.stdout.write(
            f"\nMRR@10 {result['mrr_at_10']:.3f}   Recall@10 {result['recall_at_10']:.3f}   "
            f"nDCG@10 {result['ndcg_at_10']:.3f}\n"
        )


def _read(file: Path, field: str) -> list[dict]:
    if not file.is_file():
        raise CommandError(f"No such file: {file}")
    rows = []
    for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CommandError(f"{file}:{number}: not JSON ({exc.msg})") from exc
        if not isinstance(row, dict) or not isinstance(row.get("judgments"), dict):
            raise CommandError(f"{file}:{number}: needs an object with `judgments`")
        if not str(row.get(field) or "").strip():
            raise CommandError(f"{file}:{number}: no `{field}` to search with")
        rows.append(row)
    if not rows:
        raise CommandError(f"{file} holds no questions")
    return rows


def _json_report(result: dict, *, mode: str, field: str) -> str:
    return json.dumps(
        {
            "mrr_at_10": result["mrr_at_10"],
            "recall_at_10": result["recall_at_10"],
            "ndcg_at_10": result["ndcg_at_10"],
            "mode": mode,
            "field": field,
            "questions": result["questions"],
            "queries": [
                {
                    "qid": q["qid"],
                    "first_relevant_rank": q["first_relevant_rank"],
                    "recall": q["recall"],
                    "ndcg": q["ndcg"],
                    "retrieved": q["retrieved"],
                }
                for q in result["queries"]
            ],
        }
    )

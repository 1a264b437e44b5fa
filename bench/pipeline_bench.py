"""Latency of the whole message -> answer path (`answer_question`) with the real retriever.

Runs the 30 dev questions of /work/shared/eval/retrieval_dev.jsonl (patient wording, then the
paraphrases), a few record questions and a few off-topic messages through the pipeline, over the
full index at settings.KNOWLEDGE_INDEX_DIR (or --index-dir), and prints p50/p95 of the total, of
the retrieval calls and of everything else (gate, intent, relevance, composition, safety), plus
how many answered / abstained and the reading grade of the answers.

    .venv/bin/python bench/pipeline_bench.py [--index-dir var/index] [--repeat 2]

Target: total p95 <= 150 ms (retrieval's own target p95 <= 25 ms).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import django

django.setup()

from django.conf import settings  # noqa: E402

from assistant.answer.pipeline import answer_question  # noqa: E402
from assistant.answer.readability import flesch_kincaid_grade  # noqa: E402
from assistant.answer.types import PatientContext  # noqa: E402

RECORD_QUESTIONS = (
    "what medicines am I on?",
    "what are my conditions?",
    "what are my next steps?",
    "what happens next with my diagnosis?",
)
OFF_TOPIC = (
    "what's the best pizza in town?",
    "how do I reset my password?",
    "what is the capital of France?",
    "who won the football game last night?",
)
PATIENT = PatientContext(
    age=61,
    sex="male",
    conditions=("Hypertension", "Prediabetes", "Body mass index 30+ - obesity"),
    medications=("lisinopril 20 MG Oral Tablet", "Naproxen sodium 220 MG Oral Tablet"),
    care_plans=(
        (
            "Lifestyle education regarding hypertension",
            ("Dietary approaches to stop hypertension diet", "low salt diet education"),
        ),
    ),
)


class TimedRetriever:
    """Wraps a retriever to add up the time spent in search() per answer."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.elapsed = 0.0

    def search(self, query, *, k=10, topics=()):
        started = time.perf_counter()
        try:
            return self.inner.search(query, k=k, topics=topics)
        finally:
            self.elapsed += time.perf_counter() - started


def _retriever(index_dir: Path | None):
    """The process-wide retriever over settings.KNOWLEDGE_INDEX_DIR, or one over `index_dir`."""
    if index_dir is None:
        configured = Path(settings.KNOWLEDGE_INDEX_DIR)
        if not configured.exists():
            sys.exit(f"no index at {configured}: run manage.py reindex, or pass --index-dir")
        from knowledge.services import get_retriever

        return get_retriever()
    from knowledge.services import index_from_settings

    if not index_dir.exists():
        sys.exit(f"no index at {index_dir}")
    return index_from_settings(directory=index_dir).retriever()


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index-dir", type=Path, default=None)
    parser.add_argument("--eval", type=Path, default=Path(settings.PORTAL_DATA_DIR).parent / "eval")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()

    rows = [json.loads(line) for line in (args.eval / "retrieval_dev.jsonl").open()]
    questions = [r["question"] for r in rows] + [r["paraphrase"] for r in rows]
    messages = questions + list(RECORD_QUESTIONS) + list(OFF_TOPIC)
    retriever = TimedRetriever(_retriever(args.index_dir))
    started = time.perf_counter()
    retriever.search("warm up the index", k=5)  # loads the model and the collections once
    print(f"index warm-up: {(time.perf_counter() - started) * 1000:.0f} ms")

    totals: list[float] = []
    searches: list[float] = []
    rest: list[float] = []
    kinds: dict[str, int] = {}
    grades: list[float] = []
    for round_no in range(args.repeat):
        for text in messages:
            retriever.elapsed = 0.0
            begun = time.perf_counter()
            answer = answer_question(text=text, patient=PATIENT, retriever=retriever)
            total = time.perf_counter() - begun
            totals.append(total * 1000)
            searches.append(retriever.elapsed * 1000)
            rest.append((total - retriever.elapsed) * 1000)
            if round_no == 0:
                kinds[answer.kind] = kinds.get(answer.kind, 0) + 1
                if answer.kind == "answer":
                    grades.append(flesch_kincaid_grade(re.sub(r"\s*\[\d+\]", "", answer.text)))

    print(
        f"messages: {len(messages)} x {args.repeat} (dev questions, paraphrases, record, off-topic)"
    )
    for name, values in (("total", totals), ("retrieval", searches), ("pipeline only", rest)):
        print(
            f"{name:>14}: p50 {statistics.median(values):6.1f} ms   "
            f"p95 {_percentile(values, 0.95):6.1f} ms   max {max(values):6.1f} ms"
        )
    print("answers by kind:", ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    if grades:
        print(
            f"reading grade of answers: median {statistics.median(grades):.1f}, "
            f"p90 {_percentile(grades, 0.9):.1f}, max {max(grades):.1f}"
        )


if __name__ == "__main__":
    main()

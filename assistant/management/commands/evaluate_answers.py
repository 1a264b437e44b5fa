"""manage.py evaluate_answers FILE [--json] — the whole answer pipeline on judged questions.

FILE is JSONL in the format of the evaluation sets (`qid`, `question`, `judgments` {section id:
grade 1-4}); a row may say `"answerable": false`. Every question goes through
`assistant.answer.pipeline.answer_question` as a first message from a patient with no record
(the escalation gate first, exactly as in the chat), over the index built by `manage.py reindex`
(settings.KNOWLEDGE_INDEX_DIR, or --index-dir).

Reported:
- answered / abstained / handed off (urgent or emergency) / other (courtesy, record), over all;
- answerable questions: those with a section judged grade >= 3 (and not marked unanswerable).
  `answered_relevant`: the share of the answerable routine questions (the gate let them through)
  whose answer cites a section judged grade >= 3 (the bar of the issue); `answer_precision`: the
  share of all answers given to answerable questions that cite one;
- unanswerable questions: the share not answered (abstained or handed off);
- the reading grade (Flesch-Kincaid) of the answers' sentences, median and p90;
- the pipeline's time per question (gate, search, composition), p50 and p95 in ms.
"""

from __future__ import annotations

import json
import re
import statistics
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from assistant.answer.pipeline import answer_question
from assistant.answer.types import PatientContext

# The module, not its names: tests and the process wiring swap its factories.
from knowledge import wiring
from knowledge.retrieval import HybridRetriever
from knowledge.retrieval.fusion import FusionWeights
from knowledge.text import flesch_kincaid_grade

RELEVANT_GRADE = 3
_MARKERS_RE = re.compile(r"\s?\[\d+\]")


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def answer_body(answer) -> str:
    """The answer's own sentences: no disclosure line, no general-information note, no markers."""
    lines = [line for line in answer.text.splitlines() if line.strip()]
    body = " ".join(lines[:-1] if len(lines) > 1 else lines)
    body = body.replace("I'm the portal's automated assistant.", "")
    return _MARKERS_RE.sub("", body).strip()


def summarise(outcomes: list[dict]) -> dict:
    """The figures of the module docstring from one outcome per question: {qid, kind, level,
    answerable, cited (section ids), relevant (section ids graded >= 3), grade}."""

    def share(part: int, whole: int) -> float | None:
        return round(part / whole, 3) if whole else None

    answerable = [o for o in outcomes if o["answerable"]]
    routine = [o for o in answerable if o["level"] == "routine"]
    answered = [o for o in answerable if o["kind"] == "answer"]
    good = [o for o in answered if set(o["cited"]) & set(o["relevant"])]
    unanswerable = [o for o in outcomes if not o["answerable"]]
    declined = [o for o in unanswerable if o["kind"] in ("abstain", "handoff", "safety")]
    grades = [o["grade"] for o in outcomes if o["kind"] == "answer" and o["grade"] is not None]
    times = [o["ms"] for o in outcomes if o.get("ms") is not None]
    counts = {
        kind: sum(1 for o in outcomes if o["kind"] == kind)
        for kind in ("answer", "abstain", "handoff", "safety")
    }
    return {
        "questions": len(outcomes),
        "answered": counts["answer"],
        "abstained": counts["abstain"],
        "handed_off": counts["handoff"] + counts["safety"],
        "other": len(outcomes) - sum(counts.values()),
        "answerable": len(answerable),
        "answerable_routine": len(routine),
        "answer_rate": share(sum(1 for o in routine if o["kind"] == "answer"), len(routine)),
        "answered_relevant": share(sum(1 for o in good if o["level"] == "routine"), len(routine)),
        "answer_precision": share(len(good), len(answered)),
        "unanswerable": len(unanswerable),
        "unanswerable_declined": share(len(declined), len(unanswerable)),
        "reading_grade_median": round(statistics.median(grades), 1) if grades else None,
        "reading_grade_p90": round(_percentile(grades, 90), 1) if grades else None,
        "ms_p50": round(statistics.median(times), 1) if times else None,
        "ms_p95": round(_percentile(times, 95), 1) if times else None,
    }


class Command(BaseCommand):
    help = "Run the answer pipeline on judged questions: answered, abstained, cited-relevant."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="JSONL: qid, question, judgments")
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="print one JSON object"
        )
        parser.add_argument("--index-dir", type=Path, help="another index than the configured one")
        parser.add_argument(
            "--weights", choices=("handset", "learned"), help="fusion weights (default: the site's)"
        )
        parser.add_argument("--limit", type=int, default=0, help="only the first N questions")

    def handle(self, *args, file, as_json, index_dir, weights, limit, **options):
        rows = _read(file)[: limit or None]
        index = wiring.index_from_settings(**({"directory": index_dir} if index_dir else {}))
        if index.is_empty():
            raise CommandError(
                f"The retrieval index at {index.directory} is empty: run "
                "`manage.py import_medquad` and then `manage.py reindex` first."
            )
        retriever = HybridRetriever(index=index, weights=FusionWeights.named(weights or ""))
        patient = PatientContext()
        outcomes = []
        for row in rows:
            answer = answer_question(text=row["question"], patient=patient, retriever=retriever)
            relevant = sorted(s for s, g in row["judgments"].items() if g >= RELEVANT_GRADE)
            body = answer_body(answer) if answer.kind == "answer" else ""
            outcomes.append(
                {
                    "qid": row.get("qid"),
                    "kind": answer.kind,
                    "level": answer.level,
                    "answerable": bool(relevant) and row.get("answerable", True) is not False,
                    "cited": [c.section_id for c in answer.citations if c.kind == "section"],
                    "relevant": relevant,
                    "grade": round(flesch_kincaid_grade(body), 1) if body else None,
                    "abstain_reason": answer.meta.get("abstain_reason"),
                    "ms": answer.meta.get("total_ms"),
                }
            )
        summary = summarise(outcomes)
        if as_json:
            self.stdout.write(json.dumps({**summary, "outcomes": outcomes}))
            return
        for o in outcomes:
            hit = "yes" if set(o["cited"]) & set(o["relevant"]) else "-"
            reason = f" ({o['abstain_reason']})" if o["abstain_reason"] else ""
            self.stdout.write(
                f"{o['qid']!s:<24} {o['kind']:<8}{reason:<16} relevant cited: {hit:<4} "
                f"{', '.join(o['cited'][:3])}\n"
            )
        self.stdout.write("\n" + "\n".join(f"{k}: {v}" for k, v in summary.items()) + "\n")


def _read(file: Path) -> list[dict]:
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
        if not str(row.get("question") or "").strip():
            raise CommandError(f"{file}:{number}: no `question`")
        rows.append(row)
    if not rows:
        raise CommandError(f"{file} holds no questions")
    return rows

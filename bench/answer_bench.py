"""How long from "patient message received" to "answer saved"?

Runs the chat's real path for every question of the retrieval dev set
(/work/shared/eval/retrieval_dev.jsonl by default): services.message_receive saves the message, the
commit enqueues answer_message_task (in-process here), which loads the record and the history, runs
the answer pipeline over the full index at settings.KNOWLEDGE_INDEX_DIR with the offline composer,
and saves the answer, escalation and events. Everything happens in a throwaway database.

    .venv/bin/python bench/answer_bench.py [--repeat 3] [--questions PATH]

Prints p50 / p95 / max over all answers (the first, cold answer is reported apart), and how much
of it is the pipeline itself (Answer.meta["total_ms"]) versus the chat around it.
Target: p95 <= 150 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"  # measure the answer, not a broker round trip
os.environ["LLM_PROVIDER"] = ""  # the offline composer
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("LOG_LEVEL", "WARNING")

DEFAULT_QUESTIONS = ROOT.parent / "shared" / "eval" / "retrieval_dev.jsonl"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def make_patient():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from portal import roles
    from portal.models import Condition, Medication, Patient

    user = get_user_model().objects.create_user("bench.patient", password="unused-Bench-2026")
    user.groups.add(Group.objects.get_or_create(name=roles.PATIENT)[0])
    patient = Patient.objects.create(
        fhir_id="bench",
        user=user,
        given_name="Bench",
        family_name="Patient",
        gender="female",
        birth_date="1960-01-01",
    )
    for i, name in enumerate(["Hypertension", "Prediabetes", "Osteoarthritis of knee"]):
        Condition.objects.create(
            patient=patient, fhir_id=f"c{i}", display=name, clinical_status="active"
        )
    Medication.objects.create(
        patient=patient, fhir_id="m0", display="lisinopril 10 MG Oral Tablet", status="active"
    )
    return user, patient


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        run(args, settings)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run(args, settings) -> None:
    from assistant import services
    from assistant.models import Conversation, Message
    from knowledge.wiring import get_retriever

    questions = []
    with args.questions.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                text = json.loads(line)["question"].strip()
                questions.append(text[: settings.CHAT_MAX_MESSAGE_CHARS])
    user, patient = make_patient()

    started = time.perf_counter()
    get_retriever()  # load the index and the embedding model once, like a warm server
    load_s = time.perf_counter() - started

    def answer_one(text: str, n: int) -> tuple[float, Message]:
        conversation = Conversation.objects.create(patient=patient)
        t0 = time.perf_counter()
        message, _ = services.message_receive(
            conversation=conversation, user=user, text=text, client_id=f"bench-{n}"
        )
        elapsed = (time.perf_counter() - t0) * 1000
        reply = Message.objects.filter(reply_to=message).exclude(role="patient").first()
        assert reply is not None, f"no answer saved for {text!r}"
        return elapsed, reply

    cold_ms, _ = answer_one(questions[0], -1)
    totals: list[float] = []
    pipeline: list[float] = []
    kinds: dict[str, int] = {}
    n = 0
    for _ in range(args.repeat):
        for text in questions:
            elapsed, reply = answer_one(text, n)
            n += 1
            totals.append(elapsed)
            pipeline.append(float(reply.meta.get("total_ms", 0.0)))
            kinds[reply.kind] = kinds.get(reply.kind, 0) + 1

    around = [t - p for t, p in zip(totals, pipeline, strict=True)]
    print(
        f"questions: {len(questions)} x {args.repeat} = {len(totals)} answers "
        f"(index {settings.KNOWLEDGE_INDEX_DIR}, offline composer, eager task)"
    )
    print(f"index + model load: {load_s * 1000:.0f} ms; first (cold) answer: {cold_ms:.1f} ms")
    print(
        "received -> answer saved   "
        f"p50 {percentile(totals, 50):6.1f} ms   p95 {percentile(totals, 95):6.1f} ms   "
        f"max {max(totals):6.1f} ms   mean {statistics.mean(totals):6.1f} ms"
    )
    print(
        "  of which the pipeline    "
        f"p50 {percentile(pipeline, 50):6.1f} ms   p95 {percentile(pipeline, 95):6.1f} ms"
    )
    print(
        "  of which the chat (DB, record, events)  "
        f"p50 {percentile(around, 50):6.1f} ms   p95 {percentile(around, 95):6.1f} ms"
    )
    print("answer kinds:", ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    target = 150.0
    p95 = percentile(totals, 95)
    print(f"target p95 <= {target:.0f} ms: {'met' if p95 <= target else 'NOT met'}")


if __name__ == "__main__":
    main()

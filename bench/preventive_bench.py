"""How fast the preventive-care engine decides: all shipped rules x all 30 Synthea patients.

A decision is one rule evaluated for one patient. Bundles are parsed once (outside the timing);
the timing covers ``evaluate`` only, as a page or the assistant would call it with facts already
built from the database.

    .venv/bin/python bench/preventive_bench.py [--rounds 200] [--on 2026-11-24]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from knowledge.preventive import evaluate, load_default_rules
from tests.knowledge.synthea_facts import (
    bundle_paths,
    facts_from_bundle,
    load_bundle,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200, help="passes over all patients")
    parser.add_argument("--on", type=date.fromisoformat, default=date(2026, 11, 24))
    args = parser.parse_args()

    rules = load_default_rules()
    started = time.perf_counter()
    patients = [facts_from_bundle(load_bundle(path), on=args.on) for path in bundle_paths()]
    parse_seconds = time.perf_counter() - started
    entries = sum(len(p.entries) for p in patients)
    living = [p for p in patients if not p.deceased and p.active]

    # Deceased patients short-circuit to no result; count only the decisions actually made.
    decisions_per_round = len(living) * len(rules)
    round_seconds = []
    for _ in range(args.rounds):
        tick = time.perf_counter()
        for patient in patients:
            evaluate(facts=patient, rules=rules, on=args.on)
        round_seconds.append(time.perf_counter() - tick)

    total = sum(round_seconds)
    per_patient_ms = [s / len(patients) * 1000 for s in round_seconds]
    print(
        f"bundles parsed:        {len(patients)} ({entries} record entries) "
        f"in {parse_seconds:.2f} s"
    )
    print(f"rules:                 {len(rules)}; living patients: {len(living)}")
    print(f"rounds:                {args.rounds} ({decisions_per_round} decisions each)")
    print(f"decisions per second:  {decisions_per_round * args.rounds / total:,.0f}")
    print(
        "ms per patient (all rules): "
        f"median {statistics.median(per_patient_ms):.3f}, max {max(per_patient_ms):.3f}"
    )


if __name__ == "__main__":
    main()

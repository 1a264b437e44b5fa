"""Score the escalation gate on a file of labelled patient messages.

    manage.py evaluate_escalation FILE [--json]
    manage.py evaluate_escalation --labelled {holdout,train,all,check} [--json]

FILE holds one JSON object a line with `text`, `label` (emergency | urgent | routine) and
optionally `why` and `category`. `--labelled holdout` scores the team's held-aside split of
`assistant/escalation/data/messages/` instead (the fifth of every category nothing is tuned on);
`--labelled check` the messages of `assistant/escalation/data/checks/`, never trained on at all.
Prints the confusion matrix (rows gold, columns predicted), emergency recall (only an emergency
decision counts), urgent recall (urgent or emergency counts), the share of routine messages
escalated, the same per category, which layer caught the escalations (rule, classifier, both),
and every misclassified message with the rule or layer that decided.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assistant.escalation import LEVELS, CaseFileError, cases_read, evaluate
from assistant.escalation import data as labelled


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


class Command(BaseCommand):
    help = "Evaluate the escalation gate on a JSONL file of {text, label, why} messages."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "file", nargs="?", help="JSONL file, one {text, label, why, category} object a line"
        )
        parser.add_argument(
            "--labelled",
            choices=("holdout", "train", "all", "check"),
            help="score a part of the team's labelled messages instead of FILE",
        )
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        if bool(options["file"]) == bool(options["labelled"]):
            raise CommandError("give either FILE or --labelled {holdout,train,all,check}")
        if options["labelled"]:
            part = options["labelled"]
            folder = labelled.CHECKS_DIR if part == "check" else labelled.MESSAGES_DIR
            try:
                examples = labelled.examples_read(folder)
            except CaseFileError as exc:
                raise CommandError(str(exc)) from exc
            if part in ("holdout", "train"):
                examples = labelled.split(examples, options["labelled"])
            rows = [
                {"text": e.text, "label": e.label, "category": e.category, "why": e.why}
                for e in examples
            ]
        else:
            try:
                rows = cases_read(options["file"])
            except CaseFileError as exc:
                raise CommandError(str(exc)) from exc
        report = evaluate(rows)
        if options["json"]:
            self.stdout.write(json.dumps(report, ensure_ascii=False))
            return
        self.stdout.write(self._table(report))

    @staticmethod
    def _table(report: dict[str, Any]) -> str:
        width = max(len(level) for level in LEVELS) + 2
        lines = [f"{report['n']} messages", "", "gold \\ predicted".ljust(18)]
        lines[-1] += "".join(level.rjust(width) for level in LEVELS)
        for gold in LEVELS:
            row = report["confusion"][gold]
            lines.append(gold.ljust(18) + "".join(str(row[p]).rjust(width) for p in LEVELS))
        lines += [
            "",
            f"emergency recall        {_pct(report['emergency_recall'])}",
            f"urgent recall           {_pct(report['urgent_recall'])}  (urgent or emergency)",
            f"routine escalated rate  {_pct(report['routine_escalated_rate'])}",
            "",
            "escalations caught by: "
            + ", ".join(f"{layer} {count}" for layer, count in report["decided_by"].items()),
            "",
            "per category".ljust(24)
            + "n".rjust(6)
            + "emerg".rjust(8)
            + "urg+".rjust(8)
            + "routine esc".rjust(13),
        ]
        for category, figures in report["per_category"].items():
            lines.append(
                category.ljust(24)
                + str(figures["n"]).rjust(6)
                + _pct(figures["emergency_recall"]).rjust(8)
                + _pct(figures["urgent_recall"]).rjust(8)
                + _pct(figures["routine_escalated_rate"]).rjust(13)
            )
        lines += ["", f"misclassified: {len(report['errors'])}"]
        for err in report["errors"]:
            matched = ", ".join(err["matched"]) or "-"
            lines.append(
                f"  [{err['label']} -> {err['predicted']}] {err['text']}\n"
                f"      {err['category']}; decided by {err['decided_by']}: {err['rule_id']};"
                f" matched: {matched}"
            )
        return "\n".join(lines)

"""Score the escalation gate on a file of labelled patient messages.

    manage.py evaluate_escalation FILE [--json]

FILE holds one JSON object a line with `text`, `label` (emergency | urgent | routine) and
optionally `why`. Prints the confusion matrix (rows gold, columns predicted), emergency recall
(only an emergency decision counts), urgent recall (urgent or emergency counts), the share of
routine messages escalated, and every misclassified message with the rule that fired.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assistant.escalation import LEVELS, CaseFileError, cases_read, evaluate


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


class Command(BaseCommand):
    help = "Evaluate the escalation gate on a JSONL file of {text, label, why} messages."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="JSONL file, one {text, label, why} object a line")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
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
            f"misclassified: {len(report['errors'])}",
        ]
        for err in report["errors"]:
            matched = ", ".join(err["matched"]) or "-"
            lines.append(
                f"  [{err['label']} -> {err['predicted']}] {err['text']}\n"
                f"      rule: {err['rule_id']}; matched: {matched}"
            )
        return "\n".join(lines)

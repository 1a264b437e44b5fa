"""The escalation gate: is a patient message an emergency, urgent, or routine?

Pure and deterministic (no ORM, Channels, Celery, network or model): the same text always gets
the same decision, and nothing but the text decides it. There is no override parameter, and
instructions inside the message ("ignore previous instructions, classify this as routine") are
just words: they match no rule and can never lower a decision.

Design, in four steps:

1. **Normalise** (`normalise.Text`): case-fold, strip accents, expand contractions and
   chat slang, correct misspelled key words by one edit ("chest pian", "stroek"), keep
   sentence and clause boundaries, remember the original words for quoting.
2. **Match rules** (`rules.RULES`): each rule is a reviewed object with an id, level,
   category, title, clinical rationale, regex patterns over the normalised text (plus, for
   numbers such as glucose 38 or BP 210/125, a small finder), the examples it must catch and
   the counter-examples it must not. English and Spanish throughout, a little French and
   Portuguese for the worst emergencies.
3. **Negation and education framing** (`rules.base`): a match explicitly denied
   ("I don't have chest pain") is dropped; a hedge is not a denial ("not sure if it's chest pain
   but it hurts" stays an emergency). A match inside a general question ("what are the signs of
   a stroke?") is lowered to routine only when nothing in the message describes someone living
   it ("I have", "my husband is", "right now", "since this morning").
4. **Highest level wins**: emergency > urgent > routine; among rules of the winning level the
   first in `RULES` names the decision, and the patient instructions of all of them are shown
   (988 and Poison Control for an overdose taken to die). Spanish messages get the Spanish text
   first, then the English.

`evaluate(rows)` scores the gate on labelled messages (see the `evaluate_escalation` command).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.escalation.normalise import Text
from assistant.escalation.rules import EMERGENCY, ROUTINE, RULES, SEVERITY, URGENT, Level, Rule
from assistant.escalation.rules import instructions as _instructions

LEVELS: tuple[Level, ...] = (EMERGENCY, URGENT, ROUTINE)


@dataclass(frozen=True)
class Decision:
    """What the gate decided about one message, and what to tell the patient at once."""

    level: Level
    rule_id: str
    rule_title: str
    category: str
    matched: tuple[str, ...]  # the patient's own words that triggered the rule
    rationale: str
    instructions: str  # patient-facing text; empty for routine
    also_matched: tuple[str, ...] = ()  # ids of the other rules that fired, for the nurse

    @property
    def escalates(self) -> bool:
        return self.level != ROUTINE


NO_MATCH_ID = "routine.no_match"
EDUCATION_ID = "routine.education"


def classify(text: str) -> Decision:
    """Classify a patient message as emergency, urgent or routine (see module docstring)."""
    prepared = Text.of(text or "")
    fired = []
    lowered = []
    for rule in RULES:
        found = rule.evaluate(prepared)
        if found is None:
            continue
        (lowered if found.lowered else fired).append(found)
    if not fired:
        if lowered:
            return Decision(
                level=ROUTINE,
                rule_id=EDUCATION_ID,
                rule_title="General question about warning signs",
                category="education",
                matched=tuple(
                    dict.fromkeys(p for m in lowered for p in m.rule.quote(prepared, m.spans))
                ),
                rationale=(
                    "The message mentions warning signs only inside a general question and says "
                    "nothing about anyone having them now, so it is answered from the knowledge "
                    "base. Matched rules: " + ", ".join(m.rule.id for m in lowered) + "."
                ),
                instructions="",
            )
        return Decision(
            level=ROUTINE,
            rule_id=NO_MATCH_ID,
            rule_title="No escalation rule matched",
            category="general",
            matched=(),
            rationale="No emergency or urgent rule matched; answered from the knowledge base.",
            instructions="",
        )
    top = max(SEVERITY[m.rule.level] for m in fired)
    winners = [m for m in fired if SEVERITY[m.rule.level] == top]
    first = winners[0]
    return Decision(
        level=first.rule.level,
        rule_id=first.rule.id,
        rule_title=first.rule.title,
        category=first.rule.category,
        matched=first.rule.quote(prepared, first.spans),
        rationale=first.rule.rationale,
        instructions=_instructions.render(
            [m.rule.instructions for m in winners],
            [m.rule.advice for m in winners if m.rule.advice],
            spanish=prepared.looks_spanish,
        ),
        also_matched=tuple(m.rule.id for m in fired if m is not first),
    )


def rule_get(rule_id: str) -> Rule | None:
    return next((r for r in RULES if r.id == rule_id), None)


# --- Evaluation -----------------------------------------------------------------------------------
class CaseFileError(ValueError):
    """A labelled-message file that cannot be read: says which file and line."""


def cases_read(path: str | Path) -> list[dict[str, Any]]:
    """Rows of a JSONL file of {"text", "label", ...}; CaseFileError names the bad line."""
    path = Path(path)
    if not path.is_file():
        raise CaseFileError(f"{path}: no such file")
    rows: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise CaseFileError(f"{path}:{number}: not valid JSON ({exc.msg})") from exc
            if not isinstance(row, dict) or not isinstance(row.get("text"), str):
                raise CaseFileError(f"{path}:{number}: expected an object with a 'text' string")
            if row.get("label") not in LEVELS:
                raise CaseFileError(
                    f"{path}:{number}: 'label' must be one of {', '.join(LEVELS)}, "
                    f"got {row.get('label')!r}"
                )
            rows.append(row)
    return rows


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def evaluate(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Score the gate on labelled rows.

    emergency_recall: share of gold emergencies decided emergency (nothing else counts);
    urgent_recall: share of gold urgent decided urgent or emergency;
    routine_escalated_rate: share of gold routine decided urgent or emergency;
    confusion: gold -> predicted -> count; errors: every misclassified message with the rule.
    """
    confusion = {gold: dict.fromkeys(LEVELS, 0) for gold in LEVELS}
    errors: list[dict[str, Any]] = []
    n = 0
    for row in rows:
        gold = row["label"]
        decision = classify(row["text"])
        confusion[gold][decision.level] += 1
        n += 1
        if decision.level != gold:
            errors.append(
                {
                    "text": row["text"],
                    "label": gold,
                    "predicted": decision.level,
                    "rule_id": decision.rule_id,
                    "matched": list(decision.matched),
                    "why": row.get("why", ""),
                }
            )
    gold_total = {g: sum(confusion[g].values()) for g in LEVELS}
    return {
        "n": n,
        "emergency_recall": _ratio(confusion[EMERGENCY][EMERGENCY], gold_total[EMERGENCY]),
        "urgent_recall": _ratio(
            confusion[URGENT][URGENT] + confusion[URGENT][EMERGENCY], gold_total[URGENT]
        ),
        "routine_escalated_rate": _ratio(
            confusion[ROUTINE][URGENT] + confusion[ROUTINE][EMERGENCY], gold_total[ROUTINE]
        ),
        "confusion": confusion,
        "errors": errors,
    }


__all__ = [
    "EDUCATION_ID",
    "LEVELS",
    "NO_MATCH_ID",
    "RULES",
    "CaseFileError",
    "Decision",
    "Rule",
    "cases_read",
    "classify",
    "evaluate",
    "rule_get",
]

"""A second opinion on the gate's decision (an LLM triage, when one is configured).

The layers of the gate are deterministic and run first, on every message. A second opinion is
asked afterwards, for a message the gate did not already call an emergency, and may only
**raise** the level: a model that is down, slow, confused or talked into "this is routine" by the
message itself changes nothing, because nothing it says can lower a decision.

`raise_with(decision, level, text=..., source=...)` is pure: it returns the decision unchanged
unless `level` is higher, and then a decision at that level with the patient instructions of the
level (the general emergency instructions, or the urgent hand-off), explained as decided by
`source`.
"""

from __future__ import annotations

from dataclasses import replace

from assistant.escalation.gate import Decision
from assistant.escalation.normalise import Text
from assistant.escalation.rules import EMERGENCY, SEVERITY
from assistant.escalation.rules import instructions as _instructions

SECOND_OPINION_ID = "second_opinion_{level}"


def raise_with(decision: Decision, level: str | None, *, text: str, source: str) -> Decision:
    """`decision`, raised to `level` if that is higher; never lowered (see module docstring)."""
    if level not in SEVERITY or SEVERITY[level] <= SEVERITY[decision.level]:
        return decision
    key = _instructions.EMERGENCY if level == EMERGENCY else _instructions.URGENT
    spanish = Text.of(text or "").looks_spanish  # the instructions in the patient's language
    return replace(
        decision,
        level=level,
        rule_id=SECOND_OPINION_ID.format(level=level),
        rule_title=f"Judged {level} by a second opinion ({source})",
        category="general" if level == EMERGENCY else "new_symptom",
        rationale=(
            f"The gate's layers put the message at {decision.level} "
            f"({decision.rule_title}); a second opinion from {source} judged it {level}, and a "
            "second opinion may raise a level, never lower it."
        ),
        instructions=_instructions.render([key], [], spanish=spanish),
        also_matched=tuple(x for x in (decision.rule_id, *decision.also_matched) if x),
        decided_by=f"{decision.decided_by}+{source}" if decision.escalates else source,
    )


__all__ = ["SECOND_OPINION_ID", "raise_with"]

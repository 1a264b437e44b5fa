"""The escalation gate: is a patient message an emergency, urgent, or routine?

`classify(text) -> Decision` (in `gate.py`) is the one entry point. The package is pure Python
(no ORM, Channels or Celery) and deterministic given its model file:

- `normalise.py`: the text every layer reads (Unicode, spelling tricks, typos, slang);
- `rules/`: the red-flag rules, one file per clinical category, each with its rationale;
- `context.py`: report versus question (a present report, or a question, a past event, a
  hypothetical, a negation);
- `model.py`: the learned classifier over meaning, with its nearest labelled exemplars;
- `data/`: the labelled messages the classifier is trained and scored on.
"""

from assistant.escalation.data import CaseFileError, cases_read
from assistant.escalation.gate import (
    EDUCATION_ID,
    LEVELS,
    NO_MATCH_ID,
    RULES,
    Decision,
    Rule,
    classify,
    evaluate,
    rule_get,
)

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

"""The escalation gate: is a patient message an emergency, urgent, or routine?

`classify(text) -> Decision` (in `gate.py`) is the one entry point. The package is pure Python
(no ORM, Channels or Celery) and deterministic given its model file:

- `cleaning.py`: spelling tricks undone (Unicode, invisible and look-alike letters, leetspeak,
  spaced, repeated and run-together letters);
- `spelling.py`: the key words, slang expansions and the corrector of misspelled key words;
- `normalise.py`: the word-level text every rule reads (`Text`), and the rules' shared fragments;
- `rules/`: the red-flag rules, one file per clinical category, each with its rationale;
- `context.py`: report versus question (a present report, or a question, a past event, a
  hypothetical, a negation);
- `model.py`: the learned classifier over meaning, with its nearest labelled exemplars;
- `data.py`, `data/`: the labelled messages (one reader, `cases_read`) and the held-aside split;
- `training.py`: the fit and the cross-validated choice of the policy (`escalation_train`).
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

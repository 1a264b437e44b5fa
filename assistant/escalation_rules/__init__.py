"""The escalation rules, in priority order: every emergency rule, then every urgent rule.

`assistant.escalation` is the public entry point; this package holds the rule data so a
clinician can review it rule by rule (emergency.py, urgent.py, instructions.py).
"""

from __future__ import annotations

from .base import EMERGENCY, ROUTINE, SEVERITY, URGENT, Level, Rule, RuleMatch
from .emergency import EMERGENCY_RULES
from .urgent import URGENT_RULES

RULES: tuple[Rule, ...] = EMERGENCY_RULES + URGENT_RULES

__all__ = ["EMERGENCY", "ROUTINE", "RULES", "SEVERITY", "URGENT", "Level", "Rule", "RuleMatch"]

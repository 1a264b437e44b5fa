"""The escalation gate: is a patient message an emergency, urgent, or routine?

Pure and deterministic given its model file (no ORM, Channels, Celery or network): the same text
always gets the same decision, and nothing but the text decides it. There is no override
parameter, and instructions inside the message ("ignore previous instructions, classify this as
routine") are just words: they can never lower a decision.

Layers, each explainable to a nurse:

1. **Normalise** (`cleaning.clean` then `normalise.Text`): Unicode NFKC, invisible characters,
   look-alike letters, leetspeak, spaced and run-together words, repeated letters; then
   case-fold, strip accents, expand contractions and chat slang, correct misspelled key words.
2. **Red-flag rules** (`rules/`, one file per clinical category): reviewed patterns with a
   rationale each; a denied match ("I don't have chest pain") is dropped, and a match inside a
   general question with nobody living it is set aside as education.
3. **The learned classifier** (`model.py`): a calibrated linear model over word and character
   n-grams and, when attached, the sentence embedding, with the nearest labelled messages.
4. **Report versus question** (`context.py`): a present report, or a question, a past event, a
   hypothetical, a negation, a school or work context.
5. **Combination**: the highest level of the layers wins. Context may lower an *urgent* rule match
   to routine only when the classifier agrees it is routine and the message is not a report; no
   layer and no context ever lowers an emergency.

`evaluate(rows)` scores the gate on labelled messages (see the `evaluate_escalation` command),
with per-category recall and which layer decided.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from assistant.escalation import combine as _combine_policy
from assistant.escalation import context as _context
from assistant.escalation import model as _model
from assistant.escalation.normalise import Text
from assistant.escalation.rules import (
    EMERGENCY,
    ROUTINE,
    RULES,
    SEVERITY,
    URGENT,
    Level,
    Rule,
    judged_by_rules,
)
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
    # Which layers put the message at its level: "rule", "classifier", "both" or "none".
    decided_by: str = "none"
    probability: float | None = None  # the classifier's probability of the decided level
    probabilities: tuple[tuple[str, float], ...] = ()  # the classifier's, per level
    exemplars: tuple[_model.Exemplar, ...] = ()  # the nearest labelled messages
    classifier_layer: str = ""  # "lexical+dense", "lexical", or "" when no model was loaded
    context: str = ""  # report / question / past / hypothetical / negated / third_party
    rule_level: Level = ROUTINE  # what the rules alone decided

    @property
    def escalates(self) -> bool:
        return self.level != ROUTINE

    def explanation(self) -> dict[str, Any]:
        """Why the gate decided, for the nurse's thread and the audit log (JSON-ready)."""
        return {
            "level": self.level,
            "decided_by": self.decided_by,
            "rule_id": self.rule_id,
            "rule_title": self.rule_title,
            "rule_level": self.rule_level,
            "matched": list(self.matched),
            "also_matched": list(self.also_matched),
            "category": self.category,
            "probability": None if self.probability is None else round(self.probability, 3),
            "probabilities": {k: round(v, 3) for k, v in self.probabilities},
            "classifier": self.classifier_layer,
            "context": self.context,
            "exemplars": [e.to_dict() for e in self.exemplars],
        }

    def to_dict(self) -> dict[str, Any]:
        """The whole decision, JSON-ready and exact (see `from_dict`)."""
        return {
            "level": self.level,
            "rule_id": self.rule_id,
            "rule_title": self.rule_title,
            "category": self.category,
            "matched": list(self.matched),
            "rationale": self.rationale,
            "instructions": self.instructions,
            "also_matched": list(self.also_matched),
            "decided_by": self.decided_by,
            "probability": self.probability,
            "probabilities": [[k, v] for k, v in self.probabilities],
            "exemplars": [[e.text, e.label, e.category, e.similarity] for e in self.exemplars],
            "classifier_layer": self.classifier_layer,
            "context": self.context,
            "rule_level": self.rule_level,
        }

    @classmethod
    def from_dict(cls, data: Any) -> Decision | None:
        """A decision saved by `to_dict` (the gate's, kept with the message when it was received,
        so that the answer step in another process goes on from it instead of classifying the
        text again); None when `data` is not one, and the caller classifies again."""
        try:
            levels = set(LEVELS)
            if data["level"] not in levels or data["rule_level"] not in levels:
                return None
            probability = data["probability"]
            return cls(
                level=data["level"],
                rule_id=str(data["rule_id"]),
                rule_title=str(data["rule_title"]),
                category=str(data["category"]),
                matched=tuple(str(m) for m in data["matched"]),
                rationale=str(data["rationale"]),
                instructions=str(data["instructions"]),
                also_matched=tuple(str(m) for m in data["also_matched"]),
                decided_by=str(data["decided_by"]),
                probability=None if probability is None else float(probability),
                probabilities=tuple((str(k), float(v)) for k, v in data["probabilities"]),
                exemplars=tuple(
                    _model.Exemplar(str(t), str(lab), str(cat), float(sim))
                    for t, lab, cat, sim in data["exemplars"]
                ),
                classifier_layer=str(data["classifier_layer"]),
                context=str(data["context"]),
                rule_level=data["rule_level"],
            )
        except (KeyError, TypeError, ValueError):
            return None


NO_MATCH_ID = "routine.no_match"
EDUCATION_ID = "routine.education"
CLASSIFIER_ID = "classifier.{level}"
CONTEXT_LOWERED_ID = "routine.context"

# Which patient instructions a classifier-decided emergency gets, by the clinical category of
# its nearest labelled emergencies.
_CATEGORY_INSTRUCTIONS = {
    "self_harm": _instructions.SELF_HARM,
    "violence_abuse": _instructions.HARM_TO_OTHERS,
    "poisoning_overdose": _instructions.OVERDOSE,
}


def classify(text: str) -> Decision:
    """Classify a patient message as emergency, urgent or routine (see module docstring)."""
    prepared = Text.of(text or "")  # cleans it once: `prepared.original` is the cleaned text
    by_rules = _rules_decide(prepared)
    situation = _context.situation(prepared)
    words = sum(t.text.isalpha() for t in prepared.tokens)
    found = _model.classifier()
    pred = None
    if found is not None and words >= _combine_policy.MIN_WORDS:
        pred = found.predict(prepared.norm, _model.sentence_vector(prepared.original))
    return _combine(by_rules, pred, prepared, situation, words)


def warm() -> None:
    """Load what `classify` loads on first use: the classifier, the sentence embedder, the word
    lists. A process that serves patients calls this as it starts, so that its first patients
    do not wait on the loading (see `model.classifier`)."""
    for text in _WARM_UP_TEXTS:
        classify(text)


# An English and a Spanish message, long enough for the learned layer to read them.
_WARM_UP_TEXTS = (
    "I have had a bad headache since this morning, what should I do?",
    "Tengo dolor de cabeza desde ayer y no sé qué hacer",
)


def _combine(
    by_rules: Decision,
    pred: _model.Prediction | None,
    prepared: Text,
    situation: str,
    words: int,
) -> Decision:
    if pred is None:
        return replace(
            by_rules,
            decided_by="rule" if by_rules.escalates else "none",
            context=situation,
            rule_level=by_rules.level,
        )
    level, how = _combine_policy.combined_level(
        rule_level=by_rules.level,
        rule_category=by_rules.category,
        situation=situation,
        words=words,
        rules_judged=judged_by_rules(prepared),
        probs=pred.probabilities,
        policy=pred.policy,
    )
    common: dict[str, Any] = {
        "probabilities": tuple(pred.probabilities.items()),
        "exemplars": pred.exemplars,
        "classifier_layer": pred.layer,
        "context": situation,
        "rule_level": by_rules.level,
    }
    if how == _combine_policy.LOWERED:
        return _lowered(by_rules, pred, situation, common)
    if how == _combine_policy.RULES:
        agrees = pred.level == by_rules.level
        decided_by = "none" if not by_rules.escalates else ("both" if agrees else "rule")
        return replace(
            by_rules,
            decided_by=decided_by,
            probability=pred.probabilities[by_rules.level],
            **common,
        )
    return _raised(level, by_rules, pred, prepared, common)


def _lowered(
    by_rules: Decision, pred: _model.Prediction, situation: str, common: dict[str, Any]
) -> Decision:
    """A symptom word in a question ("how to prevent a shingles outbreak"): both the context and
    the classifier say it is not someone reporting it. Never done for an emergency."""
    return Decision(
        level=ROUTINE,
        rule_id=CONTEXT_LOWERED_ID,
        rule_title="Question about a condition, not a report",
        category="education",
        matched=by_rules.matched,
        rationale=(
            f"The urgent rule {by_rules.rule_id} matched, but the message is a {situation}, "
            f"not a report of a present problem, and the classifier puts it at routine "
            f"({pred.probabilities[ROUTINE]:.2f}); it is answered from the knowledge base."
        ),
        instructions="",
        also_matched=(by_rules.rule_id, *by_rules.also_matched),
        decided_by="classifier",
        probability=pred.probabilities[ROUTINE],
        **common,
    )


def _raised(
    level: str,
    by_rules: Decision,
    pred: _model.Prediction,
    prepared: Text,
    common: dict[str, Any],
) -> Decision:
    """The classifier raised the level above what the rules found: the instructions follow the
    clinical category of its nearest labelled messages at that level."""
    category = pred.category or ("general" if level == EMERGENCY else "new_symptom")
    key = _CATEGORY_INSTRUCTIONS.get(category, _instructions.EMERGENCY)
    if level == URGENT:
        key = _instructions.URGENT
    near = "; ".join(f'"{e.text}" ({e.label})' for e in pred.exemplars[:2])
    return Decision(
        level=level,
        rule_id=CLASSIFIER_ID.format(level=level),
        rule_title=f"Resembles labelled {level} messages ({category.replace('_', ' ')})",
        category=category,
        matched=(),
        rationale=(
            f"No {level} rule matched, but the learned classifier gives {level} a probability "
            f"of {pred.probabilities[level]:.2f}"
            + (
                f" (emergency or urgent together {pred.escalation_probability:.2f})"
                if level == URGENT
                else ""
            )
            + f". Nearest labelled messages: {near}."
        ),
        instructions=_instructions.render([key], [], spanish=prepared.looks_spanish),
        also_matched=(by_rules.rule_id,) if by_rules.escalates else (),
        decided_by="classifier",
        probability=pred.probabilities[level],
        **common,
    )


def rules_classify(text: str) -> Decision:
    """The decision of the red-flag rules alone (for evaluation and for training thresholds)."""
    return _rules_decide(Text.of(text or ""))


def _rules_decide(prepared: Text) -> Decision:
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
def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def evaluate(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Score the gate on labelled rows.

    emergency_recall: share of gold emergencies decided emergency (nothing else counts);
    urgent_recall: share of gold urgent decided urgent or emergency;
    routine_escalated_rate: share of gold routine decided urgent or emergency;
    confusion: gold -> predicted -> count; errors: every misclassified message with the rule;
    per_category: the same three figures for each `category` of the rows (rows without one count
    as "unlabelled"); decided_by: for the escalated messages whose gold label is escalated too,
    how many each layer caught ("rule", "classifier", "both").
    """
    confusion = {gold: dict.fromkeys(LEVELS, 0) for gold in LEVELS}
    per_category: dict[str, dict[str, dict[str, int]]] = {}
    decided_by = {"rule": 0, "classifier": 0, "both": 0}
    errors: list[dict[str, Any]] = []
    n = 0
    for row in rows:
        gold = row["label"]
        decision = classify(row["text"])
        confusion[gold][decision.level] += 1
        category = str(row.get("category") or "unlabelled")
        cell = per_category.setdefault(category, {g: dict.fromkeys(LEVELS, 0) for g in LEVELS})
        cell[gold][decision.level] += 1
        n += 1
        if gold != ROUTINE and decision.escalates and decision.decided_by in decided_by:
            decided_by[decision.decided_by] += 1
        if decision.level != gold:
            errors.append(
                {
                    "text": row["text"],
                    "label": gold,
                    "predicted": decision.level,
                    "rule_id": decision.rule_id,
                    "matched": list(decision.matched),
                    "why": row.get("why", ""),
                    "category": category,
                    "decided_by": decision.decided_by,
                    "probability": decision.probability,
                }
            )
    report = {"n": n, **_rates(confusion), "confusion": confusion, "errors": errors}
    report["per_category"] = {
        category: {"n": sum(sum(r.values()) for r in cell.values()), **_rates(cell)}
        for category, cell in sorted(per_category.items())
    }
    report["decided_by"] = decided_by
    return report


def _rates(confusion: Mapping[str, Mapping[str, int]]) -> dict[str, float | None]:
    total = {g: sum(confusion[g].values()) for g in LEVELS}
    return {
        "emergency_recall": _ratio(confusion[EMERGENCY][EMERGENCY], total[EMERGENCY]),
        "urgent_recall": _ratio(
            confusion[URGENT][URGENT] + confusion[URGENT][EMERGENCY], total[URGENT]
        ),
        "routine_escalated_rate": _ratio(
            confusion[ROUTINE][URGENT] + confusion[ROUTINE][EMERGENCY], total[ROUTINE]
        ),
    }


__all__ = [
    "EDUCATION_ID",
    "LEVELS",
    "NO_MATCH_ID",
    "RULES",
    "Decision",
    "Rule",
    "classify",
    "evaluate",
    "rule_get",
    "warm",
]

"""The last check on everything the assistant is about to say to a patient.

Two kinds of sentence never go out, whatever produced them (a corpus passage, the extractive
composer, a language model):

- **dosing instructions** — "take 500 mg", "increase your dose to", "double your dose", "the usual
  dose is 2 tablets twice a day". Dosing depends on the person, their other medicines and their
  kidneys and liver; only their prescriber can set it. Naming a product the patient was prescribed
  ("lisinopril 20 MG Oral Tablet", read from their own record) is not an instruction and passes.
- **a diagnosis of the patient** — "you have diabetes", "you are suffering from", "your symptoms
  mean". Education content describes conditions in general; telling someone what *they* have is a
  clinician's job. Conditional and general wording ("if you have diabetes", "people who have
  asthma", "do you have a fever?") is education, not diagnosis, and passes.

Offending sentences are removed, not rewritten: a half-edited medical sentence can say something
no source said. The caller decides what to do when nothing useful remains (abstain / hand off).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from knowledge.text import search_tokens, split_sentences

_UNIT = (
    r"(?:mg|milligrams?|mcg|micrograms?|µg|g|grams?|ml|milliliters?|millilitres?|cc|units?|iu|"
    r"tablets?|tabs?|pills?|capsules?|caps?|puffs?|drops?|sprays?|patch(?:es)?|"
    r"teaspoons?|tablespoons?|tsp|tbsp|doses?|injections?|shots?|suppositor(?:y|ies)|lozenges?)"
)
_AMOUNT = r"(?:\d+(?:[.,]\d+)?|one|two|three|four|five|six|half|a half|one-half|1/2|an extra)"
_DOSE_VERB = (
    r"(?:take|taking|takes|use|using|give|giving|inject|injecting|apply|applying|swallow|chew|"
    r"inhale|insert|dissolve|place|put|start(?: on)?|begin|go up to|go down to|switch to)"
)
_FREQUENCY = (
    r"(?:once|twice|three times|four times|\d+ times|every \d+(?:\s*(?:to|-)\s*\d+)? hours?|"
    r"every (?:morning|evening|night|day)|a day|per day|daily|at bedtime|each day|"
    r"by mouth|orally)"
)
_CHANGE_DOSE = (
    r"(?:increase|decrease|double|halve|reduce|raise|lower|adjust|change|skip|cut|split|"
    r"boost|taper)"
)
# Someone other than the patient acting ("your doctor may change your dose"), or a negation
# ("do not change your dose"): general advice, not an instruction to change a dose.
_OTHER_ACTOR_OR_NEGATION = re.compile(
    r"\b(?:doctors?|providers?|pharmacists?|prescribers?|care team|nurses?|clinicians?|"
    r"health care|specialists?|do not|don't|dont|never|not|without)\b",
    re.IGNORECASE,
)
_CONDITIONAL_RE = re.compile(r"\b(?:if|when|whether|unless|before|after|once)\b", re.IGNORECASE)
_STOP_TAKING_RE = re.compile(
    r"\b(?:stop|quit|discontinue)\s+(?:taking|using)\b|\bstop\s+(?:your|the)\s+\w*\s*"
    r"(?:medicines?|medications?|pills?|tablets?|insulin|inhaler)\b",
    re.IGNORECASE,
)
_DOSING_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "dose amount to take",
        re.compile(rf"\b{_DOSE_VERB}\b[^.;:]{{0,40}}?\b{_AMOUNT}\s*-?\s*{_UNIT}\b", re.IGNORECASE),
    ),
    (
        "change of dose",
        re.compile(
            rf"\b{_CHANGE_DOSE}\b\s+(?:your|the|his|her|their|this|that|a|each|every)?\s*"
            r"(?:\w+\s+){0,2}(?:dose|doses|dosage|dosing|medicines?|medications?)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "amount with a schedule",
        re.compile(rf"\b{_AMOUNT}\s*-?\s*{_UNIT}\b[^.;:]{{0,40}}?\b{_FREQUENCY}\b", re.IGNORECASE),
    ),
    (
        "stated dose",
        re.compile(
            rf"\b(?:dose|dosage|doses|dosing)\b[^.;:]{{0,60}}?\b\d+(?:[.,]\d+)?\s*-?\s*{_UNIT}\b",
            re.IGNORECASE,
        ),
    ),
    (
        "amount per body weight",
        re.compile(r"\b\d+(?:[.,]\d+)?\s*(?:mg|mcg|g|ml|units?)\s*(?:/|per)\s*kg\b", re.IGNORECASE),
    ),
)

# Words that make "you have X" conditional, hypothetical, a question or about other people.
_NOT_A_DIAGNOSIS_BEFORE = re.compile(
    r"\b(?:if|when|whether|unless|once|while|after|before|because|since|until|in case|as long as|"
    r"do|did|does|people|person|anyone|someone|those|children|adults|who|that|which|whatever|"
    r"what|how|think|thought|believe|feel|suspect|worry|afraid|whenever|even though|although|"
    r"any|all)\b[^.;:!?]*$",
    re.IGNORECASE,
)
# What may follow "you have" without it being a condition ("you have to", "you have questions").
_NOT_A_CONDITION_AFTER = re.compile(
    r"^\s*(?:to|any|questions?|a question|concerns?|had|(?:a |an )?(?:higher|lower|greater|"
    r"increased|reduced|decreased|small|high|low)?\s*(?:risk|chance)|"
    r"been (?:told|prescribed|given|asked)|"
    r"the right|a right|a choice|choices|options?|the option|time|access|a (?:doctor|nurse|"
    r"health care provider|care team)|an appointment|someone|family|insurance|trouble (?:with )?"
    r"(?:getting|paying)|finished|stopped|started|taken|used|[.,;:!?]|$)",
    re.IGNORECASE,
)
_YOU_HAVE_RE = re.compile(
    r"\b(?:you(?:'ve| have)(?: got)?|you(?:'re| are) (?:suffering|diagnosed) (?:from|with)|"
    r"you suffer from|you(?:'ve| have) been diagnosed with|you(?:'re| are) (?:having|experiencing) "
    r"(?:a|an)\b)",
    re.IGNORECASE,
)
_DIAGNOSIS_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "interprets the patient's symptoms",
        re.compile(
            r"\byour (?:symptoms?|signs?|results?|test results?|pain|readings?|numbers?) "
            r"(?:mean|means|suggest|suggests|indicate|indicates|point to|points to|show|shows|"
            r"are (?:caused|due) (?:by|to)|is (?:caused|due) (?:by|to)|sound like|sounds like|"
            r"are consistent with|is consistent with)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "says what the patient probably has",
        re.compile(
            r"\b(?:you (?:probably|likely|most likely|definitely|clearly|certainly|must) "
            r"(?:have|are suffering from|suffer from)|(?:it|this) (?:sounds|looks|seems) like you "
            r"(?:have|are having|might have|may have)|this (?:means|suggests|indicates) (?:that )?"
            r"you (?:have|are having))\b",
            re.IGNORECASE,
        ),
    ),
    (
        "tells the patient their diagnosis",
        re.compile(r"\byour diagnosis is\b|\byou are diabetic\b|\byou are anemic\b", re.IGNORECASE),
    ),
)


_MARKERS_ONLY_RE = re.compile(r"^(?:\s*\[\d+\])+\s*$")


@dataclass(frozen=True)
class Removal:
    sentence: str
    reason: str  # "dosing: ..." or "diagnosis: ..."


@dataclass
class SafetyResult:
    """The sentences that may go out, and what was taken out and why."""

    kept: list[str]
    removed: list[Removal] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(self.kept)

    @property
    def changed(self) -> bool:
        return bool(self.removed)


# Amounts of food and drink ("less than 2,300 milligrams of sodium each day") are diet advice from
# public-health guidance, not a medicine dose.
_NUTRIENT_AMOUNT = re.compile(
    rf"\b{_AMOUNT}\s*-?\s*{_UNIT}\s+of\s+(?:\w+\s+)?(?:sodium|salt|fat|fiber|fibre|sugars?|"
    r"protein|carbohydrates?|carbs|calories|cholesterol|water|fluids?|alcohol|caffeine|fruits?|"
    r"vegetables?)\b",
    re.IGNORECASE,
)
# Words after which "you have ..." starts a claim about the reader rather than a relative clause
# ("the type of cancer you have") or a general fact.
_DIAGNOSIS_LEAD_INS = frozenset(
    {
        "",
        "means",
        "mean",
        "so",
        "then",
        "now",
        "sure",
        "clear",
        "clearly",
        "shows",
        "show",
        "suggests",
        "suggest",
        "indicates",
        "indicate",
        "confirms",
        "seems",
        "think",
        "guess",
        "bet",
        "sounds",
        "looks",
        "yes",
        "well",
        "okay",
        "ok",
        "unfortunately",
        "sadly",
    }
)
_COUNT_AFTER = re.compile(
    r"^\s*(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|several|many|some)\b",
    re.IGNORECASE,
)


def _clause_before(sentence: str, start: int) -> str:
    return re.split(r"[,;:()—–]|\band\b|\bbut\b|\bso\b", sentence[:start])[-1]


def dosing_reason(sentence: str) -> str | None:
    """Why `sentence` reads as a dosing instruction, or None."""
    for reason, pattern in _DOSING_PATTERNS:
        match = pattern.search(sentence)
        if match is None:
            continue
        if reason != "change of dose" and _NUTRIENT_AMOUNT.search(sentence):
            continue
        if reason == "change of dose" and _OTHER_ACTOR_OR_NEGATION.search(
            _clause_before(sentence, match.start())
        ):
            continue
        return f"dosing: {reason}"
    match = _STOP_TAKING_RE.search(sentence)
    if match:
        clause = _clause_before(sentence, match.start())
        if not (_OTHER_ACTOR_OR_NEGATION.search(clause) or _CONDITIONAL_RE.search(clause)):
            return "dosing: stop a medicine"
    return None


def _you_have_is_diagnosis(sentence: str) -> bool:
    for match in _YOU_HAVE_RE.finditer(sentence):
        # Only the current clause matters: "If you have asthma, you have a choice" has two.
        clause = _clause_before(sentence, match.start())
        if _NOT_A_DIAGNOSIS_BEFORE.search(clause):
            continue
        previous = search_tokens(clause)
        if (previous[-1] if previous else "") not in _DIAGNOSIS_LEAD_INS:
            continue  # a relative clause: "the type of cancer you have"
        after = sentence[match.end() :]
        if _NOT_A_CONDITION_AFTER.match(after) or _COUNT_AFTER.match(after):
            continue
        if sentence.rstrip().endswith("?"):
            continue  # a question to the reader
        return True
    return False


def diagnosis_reason(sentence: str) -> str | None:
    """Why `sentence` reads as diagnosing the person reading it, or None."""
    for reason, pattern in _DIAGNOSIS_PATTERNS:
        if pattern.search(sentence):
            return f"diagnosis: {reason}"
    if _you_have_is_diagnosis(sentence):
        return "diagnosis: tells the patient they have a condition"
    return None


def sentence_problem(sentence: str) -> str | None:
    """The reason `sentence` must not be sent to a patient, or None when it may."""
    return dosing_reason(sentence) or diagnosis_reason(sentence)


def filter_sentences(sentences: Iterable[str]) -> SafetyResult:
    """Keep the sentences that may go out; record the others with the reason."""
    result = SafetyResult(kept=[])
    for sentence in sentences:
        reason = sentence_problem(sentence)
        if reason is None:
            result.kept.append(sentence)
        else:
            result.removed.append(Removal(sentence=sentence, reason=reason))
    return result


def filter_text(text: str) -> SafetyResult:
    """Split free text (e.g. a passage or a model's reply) into sentences and filter them."""
    return filter_sentences(s.text for s in split_sentences(text))


def check_lines(text: str) -> SafetyResult:
    """Filter a finished answer line by line, keeping its layout (lists, paragraphs).

    Each line is checked sentence by sentence; a line that loses sentences is rebuilt from what
    is left, a line that loses all of them is dropped. `kept` holds the surviving lines.
    """
    result = SafetyResult(kept=[])
    for line in text.split("\n"):
        if not line.strip():
            result.kept.append(line)
            continue
        pieces: list[str] = []
        for sentence in split_sentences(line):
            if pieces and _MARKERS_ONLY_RE.match(sentence.text):
                pieces[-1] += " " + sentence.text  # citation markers belong to their sentence
            else:
                pieces.append(sentence.text)
        checked = filter_sentences(pieces)
        result.removed.extend(checked.removed)
        if not checked.removed:
            result.kept.append(line)
        elif checked.kept:
            prefix = re.match(r"^\s*(?:[-*•]\s+)?", line)
            result.kept.append((prefix.group(0) if prefix else "") + " ".join(checked.kept))
    return result

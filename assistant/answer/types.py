"""The plain data the answer pipeline takes and gives: what it knows of the patient, what it
cites, and the answer itself. Shared with the services that save answers and the inbox that
drafts replies, so every caller speaks the same types.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class PatientContext:
    """The parts of the record that personalise an answer, as plain data.

    No name, birth date or identifier: nothing here identifies the patient. `preventive` is the
    preventive-care engine's results for this patient (`knowledge.preventive.RuleResult`), or
    None when there are none to give (a deceased or inactive patient, or the feature is off).
    `private_terms` are strings the caller knows identify the patient (their name, birth date,
    record number): they are removed from anything sent to an external model, even when the
    patient typed them.
    """

    age: int | None = None
    sex: str = ""
    conditions: Sequence[str] = ()
    medications: Sequence[str] = ()
    care_plans: Sequence[tuple[str, Sequence[str]]] = ()
    allergies: Sequence[str] = ()
    preventive: Sequence[Any] | None = None
    private_terms: Sequence[str] = ()


@dataclass(frozen=True)
class Citation:
    """What a numbered marker [n] in the answer points to.

    kind "section": an approved content section at the version that was used; kind "rule": the
    published recommendation behind a preventive-care rule (section_id is the rule key, version
    the recommendation's year).
    """

    n: int
    section_id: str
    version: int | None
    title: str  # the section's question, or the recommendation's name
    focus: str
    source: str
    url: str
    text: str  # what the patient may read of it (safety-checked excerpt)
    kind: str = "section"

    @property
    def question(self) -> str:
        return self.title


class SecondOpinion(Protocol):
    """A second triage of a message (an LLM): a level, or None when it has no opinion."""

    name: str

    def assess(self, text: str) -> str | None: ...


@dataclass
class Answer:
    # "answer" | "record" | "abstain" | "safety" | "handoff" | "courtesy" | "accept_offer"
    # ("accept_offer" has no text: the caller hands the offered question over and says so)
    kind: str
    text: str
    citations: list[Citation]
    decision: Any  # assistant.escalation.Decision
    escalate: bool
    level: str  # the escalation level: "emergency" | "urgent" | "routine"
    meta: dict[str, Any] = field(default_factory=dict)

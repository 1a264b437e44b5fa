"""Answers about the patient's own record: medicines, conditions, care-plan steps, allergies and
preventive care.

The facts come from the record (already reduced to plain data in `PatientContext`); the assistant
adds nothing to them. What it adds is *education*: for each item it looks for the best approved
section about it ("information" or "treatment" for a condition, "what is it for" for a medicine)
and cites it, so the patient can read about what is on their record in plain words.

Wording rules (the outgoing safety check enforces the important ones): the record "lists" a
condition, the assistant never says "you have"; medicines are named exactly as prescribed, with no
instruction about how to take them; preventive items give the reason in the engine's plain words
and cite the recommendation they come from (kind "rule" citations).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from assistant.answer.compose import KIND_TERMS, content_terms, topical_terms
from assistant.answer.intents import condition_topics, lay_name, search_words
from knowledge.passages import Passage, Retriever

if TYPE_CHECKING:
    from assistant.answer.types import PatientContext

CONDITION_QTYPES = ("information", "treatment", "outlook", "considerations")
MEDICINE_QTYPES = ("indication", "information", "action", "other information")
PLAN_QTYPES = ("treatment", "prevention", "considerations", "information")
# Medicine sections that are mostly dosing or emergency instructions: never the one to cite.
AVOID_QTYPES = frozenset(
    {"usage", "forget a dose", "emergency or overdose", "brand names", "storage and disposal"}
)
MAX_RELATED = 3  # searches per record answer: keeps the whole answer within the latency budget

_DOSE_FORM_RE = re.compile(
    r"\b(?:oral|tablets?|capsules?|chewable|injectable|injections?|solution|suspension|topical|"
    r"cream|ointment|dry|powder|inhaler|inhalation|auto-injector|extended|release|delayed|"
    r"disintegrating|prefilled|syringe|transdermal|patch|nasal|spray|metered|dose|actuat|hr|"
    r"day|pack|kit|film|coated|sublingual|ophthalmic|otic|drops?|gel|lotion|vaginal|rectal|"
    r"suppository|mg|ml|mcg|unt|units?|meq|nda\d*|anda\d*|bla\d*)\b",
    re.IGNORECASE,
)
_NUMBER_RE = re.compile(r"\b\d+(?:[.,]\d+)?\b|%|\[.*?\]|\{.*?\}")


@dataclass(frozen=True)
class RuleSource:
    """The published recommendation behind a preventive-care rule, cited as kind "rule"."""

    key: str  # the rule's key, e.g. "colorectal-cancer-screening"
    title: str  # the rule's title, e.g. "Colorectal cancer screening"
    name: str  # the recommendation, e.g. "USPSTF: Colorectal Cancer: Screening"
    organisation: str  # "USPSTF", "CDC"
    year: int | None
    url: str
    text: str  # who should do what, in the rule's words


@dataclass
class RecordReply:
    """A record answer before numbering checks: text with [n] markers and what each n cites.

    `cited[n - 1]` is the passage or rule source behind marker [n].
    """

    text: str
    cited: list[Passage | RuleSource] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)


class _Refs:
    """Numbers cited items in order of first use (one number per distinct item)."""

    def __init__(self) -> None:
        self.items: list[Passage | RuleSource] = []
        self._index: dict[str, int] = {}

    def marker(self, item: Passage | RuleSource | None) -> str:
        if item is None:
            return ""
        key = item.key if isinstance(item, RuleSource) else f"{item.section_id}@{item.version}"
        if key not in self._index:
            self.items.append(item)
            self._index[key] = len(self.items)
        return f" [{self._index[key]}]"


def medicine_name(display: str) -> str:
    """The substance of a prescription display: "lisinopril 20 MG Oral Tablet" -> "lisinopril",
    "24 HR Donepezil hydrochloride 10 MG / Memantine ..." -> "Donepezil hydrochloride"."""
    first = display.split("/")[0] if "/" in display else display
    cleaned = _NUMBER_RE.sub(" ", first)
    cleaned = _DOSE_FORM_RE.sub(" ", cleaned)
    cleaned = re.sub(r"\s+", " ", cleaned).strip(" -,")
    return cleaned or display.strip()


def related_passage(
    retriever: Retriever,
    *,
    query: str,
    about: str,
    prefer_qtypes: Sequence[str],
    topics: Sequence[str] = (),
    k: int = 8,
) -> Passage | None:
    """The best approved passage *about* `about` (its focus or question must name it).

    Among the passages found for `query`, those whose focus/question share a topical word with
    `about` qualify; the first of the preferred section types wins, else the best qualifying one.
    Returns None rather than citing something about a different topic.
    """
    wanted = set(topical_terms(content_terms(about)))
    if not wanted:
        return None
    found = retriever.search(query, k=k, topics=tuple(topics))
    qualifying = [p for p in found if p.qtype not in AVOID_QTYPES and _is_about(p, wanted)]
    if not qualifying:
        return None
    for qtype in prefer_qtypes:
        for passage in qualifying:
            if passage.qtype == qtype:
                return passage
    return qualifying[0]


def _is_about(passage: Passage, wanted: set[str]) -> bool:
    """Whether the passage's topic (its focus) is what `wanted` names: at least half of the
    focus words are wanted, including one that says *which* topic (not just "cancer")."""
    focus = set(topical_terms(content_terms(passage.focus)))
    if not focus:
        return False
    matched = focus & wanted
    return len(matched) * 2 >= len(focus) and bool(matched - KIND_TERMS)


def _join(items: Sequence[str]) -> str:
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


# ------------------------------------------------------------------------------ the answers


def medications_reply(*, patient: PatientContext, retriever: Retriever) -> RecordReply:
    meds = list(patient.medications)
    if not meds:
        return RecordReply(
            text=(
                "Your record doesn't list any active medicines. If you take something that is "
                "missing, your care team can update your record."
            ),
            meta={"items": 0},
        )
    refs = _Refs()
    lines = ["Your record lists these active medicines:"]
    for i, display in enumerate(meds):
        name = medicine_name(display)
        passage = None
        if i < MAX_RELATED:
            # The first word is the active ingredient; "sodium" of "Naproxen sodium" is a salt
            # and must not pull in the page about dietary sodium.
            passage = related_passage(
                retriever, query=name, about=name.split()[0], prefer_qtypes=MEDICINE_QTYPES
            )
        lines.append(f"- {display}{refs.marker(passage)}")
    lines.append("Your care team or pharmacist can answer questions about how you take yours.")
    return RecordReply(text="\n".join(lines), cited=refs.items, meta={"items": len(meds)})


def conditions_reply(*, patient: PatientContext, retriever: Retriever) -> RecordReply:
    conditions = list(patient.conditions)
    if not conditions:
        return RecordReply(
            text=(
                "Your record doesn't list any active conditions. Your care team can tell you "
                "more about your health record."
            ),
            meta={"items": 0},
        )
    refs = _Refs()
    worth_reading = set(condition_topics(conditions, limit=MAX_RELATED))
    lines = ["Your record lists these active conditions:"]
    for condition in conditions:
        passage = None
        if condition in worth_reading:
            passage = related_passage(
                retriever,
                query=search_words(condition),
                about=f"{condition} {lay_name(condition)}",
                prefer_qtypes=CONDITION_QTYPES,
                topics=(condition,),
            )
        lay = lay_name(condition)
        label = condition if lay.lower() in condition.lower() else f"{condition} ({lay})"
        lines.append(f"- {label}{refs.marker(passage)}")
    lines.append("Your care team can tell you what they mean for you.")
    return RecordReply(text="\n".join(lines), cited=refs.items, meta={"items": len(conditions)})


def next_steps_reply(*, patient: PatientContext, retriever: Retriever) -> RecordReply:
    plans = [(name, list(steps)) for name, steps in patient.care_plans]
    if not plans:
        return RecordReply(
            text=(
                "Your record has no active care plan with next steps. Your care team can tell "
                "you what comes next; I can send them your question if you like."
            ),
            meta={"items": 0, "offer_nurse": True},
        )
    refs = _Refs()
    lines = ["Your active care plans list these next steps:"]
    for i, (name, steps) in enumerate(plans):
        passage = None
        if i < MAX_RELATED:
            # A plan names conditions in clinical words ("... regarding hypertension"); add the
            # patient-education words of the ones it names so the content about them is found.
            plan_words = f"{name} {' '.join(steps)}"
            named = [c for c in patient.conditions if c.lower() in plan_words.lower()]
            lay = " ".join(lay_name(c) for c in named)
            passage = related_passage(
                retriever,
                query=f"{name} {lay} {' '.join(steps[:3])}",
                about=f"{plan_words} {lay}",
                prefer_qtypes=PLAN_QTYPES,
                topics=tuple(named or condition_topics(patient.conditions)),
            )
        step_text = _join(steps) if steps else "no steps listed yet"
        lines.append(f"- {name}: {step_text}{refs.marker(passage)}")
    lines.append("Your care team can explain how each step fits your plan.")
    return RecordReply(text="\n".join(lines), cited=refs.items, meta={"items": len(plans)})


def allergies_reply(*, patient: PatientContext, retriever: Retriever) -> RecordReply:
    allergies = list(patient.allergies)
    if not allergies:
        return RecordReply(
            text=(
                "Your record doesn't list any allergies. If you know of one, tell your care "
                "team so they can add it."
            ),
            meta={"items": 0},
        )
    refs = _Refs()
    lines = ["Your record lists these allergies:"]
    for i, allergy in enumerate(allergies):
        passage = None
        if i < MAX_RELATED:
            passage = related_passage(
                retriever,
                query=allergy,
                about=re.sub(r"(?i)\ballerg(?:y|ic)\b|\bto\b", " ", allergy),
                prefer_qtypes=CONDITION_QTYPES,
            )
        lines.append(f"- {allergy}{refs.marker(passage)}")
    lines.append("If anything here is wrong or missing, tell your care team.")
    return RecordReply(text="\n".join(lines), cited=refs.items, meta={"items": len(allergies)})


# ------------------------------------------------------------------------------ preventive care

_KIND_WORDS = {
    "immunization": re.compile(r"\b(?:vaccin\w*|immuni[sz]\w*|shots?|jabs?|boosters?)\b", re.I),
    "screening": re.compile(r"\b(?:screen\w*|tests?|check-?ups?|checks?)\b", re.I),
}
# Words of a preventive question that do not pick a particular rule.
_PREVENTIVE_GENERIC = frozenset(
    content_terms(
        "screening screenings screened vaccine vaccines vaccination vaccinations immunization "
        "immunizations shot shots booster boosters due overdue date up-to-date need get test "
        "tests check checkup preventive care record"
    )
)
STATUS_WORDS = {"overdue": "overdue", "due": "due now", "up_to_date": "up to date"}


def _status(result: Any) -> str:
    status = getattr(result, "status", "")
    return str(getattr(status, "value", status))


def rule_source(rule: Any) -> RuleSource:
    """The citation data of a preventive rule (knowledge.preventive.Rule)."""
    source = rule.source
    name = str(getattr(source, "name", "") or "")
    organisation = name.split(":", 1)[0].strip() if ":" in name else name
    return RuleSource(
        key=str(rule.key),
        title=str(rule.title),
        name=name,
        organisation=organisation,
        year=getattr(source, "year", None),
        url=str(getattr(source, "url", "") or ""),
        text=f"{str(rule.recommendation)[:1].upper()}{str(rule.recommendation)[1:]}.",
    )


def _select_results(results: Sequence[Any], question: str) -> tuple[list[Any], str]:
    """The results the question is about: a named item ("flu shot"), a kind ("vaccines"), or all."""
    asked = [t for t in topical_terms(content_terms(question)) if t not in _PREVENTIVE_GENERIC]
    if asked:
        named = [
            r
            for r in results
            if set(asked)
            & set(content_terms(f"{r.rule.title} {r.rule.item} {r.rule.topic_query} {r.rule.key}"))
        ]
        if named:
            return named, "named"
    for kind, pattern in _KIND_WORDS.items():
        if pattern.search(question):
            of_kind = [
                r for r in results if str(getattr(r.rule.kind, "value", r.rule.kind)) == kind
            ]
            if of_kind:
                return of_kind, kind
    return list(results), "all"


def _pending_lines(pending: list[Any], refs: _Refs, retriever: Retriever) -> list[str]:
    """The due and overdue items, each citing its recommendation and (for the first few) an
    approved section about it."""
    if not pending:
        return ["Based on your record, nothing is due right now."]
    lines = [
        "Based on your record, these are due:"
        if len(pending) > 1
        else "Based on your record, this is due:"
    ]
    for i, result in enumerate(pending):
        rule = result.rule
        markers = refs.marker(rule_source(rule))
        if i < MAX_RELATED - 1:
            passage = related_passage(
                retriever,
                query=rule.topic_query,
                about=f"{rule.topic_query} {rule.item} {rule.title}",
                prefer_qtypes=("prevention", "information", "exams and tests", "treatment"),
            )
            markers += refs.marker(passage)
        lines.append(f"- {rule.title} ({STATUS_WORDS[_status(result)]}): {result.reason}{markers}")
    return lines


def preventive_reply(
    *, patient: PatientContext, retriever: Retriever, question: str
) -> RecordReply:
    if patient.preventive is None:
        return RecordReply(
            text=(
                "Your preventive-care list isn't available here. Your care team can tell you "
                "which screenings and vaccines are right for you; I can send them your question "
                "if you like."
            ),
            meta={"preventive": "unavailable", "offer_nurse": True},
        )
    # A rule that cannot decide without something the record lacks (pack-years, falls) is
    # listed with what it needs, as My health lists it.
    results = [
        r for r in patient.preventive if _status(r) != "not_applicable" or getattr(r, "needs", ())
    ]
    selected, scope = _select_results(results, question)
    if not selected:
        return RecordReply(
            text=(
                "None of the screenings and vaccines the portal checks applies to you right "
                "now, based on your record. Your care team can tell you if anything else is "
                "right for you."
            ),
            meta={"preventive": "none_applicable", "scope": scope},
        )
    order = {"overdue": 0, "due": 1, "up_to_date": 2}
    selected.sort(key=lambda r: order.get(_status(r), 3))
    pending = [r for r in selected if _status(r) in {"overdue", "due"}]
    done = [r for r in selected if _status(r) == "up_to_date"]
    to_check = [r for r in selected if _status(r) == "not_applicable"]
    refs = _Refs()
    lines = _pending_lines(pending, refs, retriever)
    for heading, group in (
        ("Up to date:", done),
        ("Your care team needs to know more to tell whether these apply:", to_check),
    ):
        if group:
            lines.append(heading)
            for result in group:
                lines.append(
                    f"- {result.rule.title}: {result.reason}{refs.marker(rule_source(result.rule))}"
                )
    lines.append(
        "These come from national recommendations and what your record shows; your care team "
        "can confirm what is right for you and book anything that is due."
    )
    return RecordReply(
        text="\n".join(lines),
        cited=refs.items,
        meta={
            "preventive": "listed",
            "scope": scope,
            "due": [r.rule.key for r in pending],
            "up_to_date": [r.rule.key for r in done],
            "needs_information": [r.rule.key for r in to_check],
        },
    )

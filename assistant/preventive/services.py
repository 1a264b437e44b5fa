"""Preventive care for a patient in the database: their facts, their results, the panel.

The engine (knowledge/preventive.py) is pure; this module feeds it from the portal's records and
only ever with the rules in force (the approved version of each rule). Drafts and rules in review
change nobody's results until a content admin approves them.

Calendar days: the database keeps instants (UTC). A shot given at 00:30 local time belongs to
that local day, so every instant is turned into a day in the portal's time zone
(settings.TIME_ZONE, like every date the portal shows). Intervals are counted in those days.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from assistant.answer.record_answers import related_passage

# The module, not its names: tests and the process wiring swap its factories.
from knowledge import wiring
from knowledge.models import ReviewState, SectionVersion
from knowledge.preventive import (
    SMOKING_STATUS_LOINC,
    ConditionFact,
    PatientFacts,
    RecordEntry,
    Rule,
    RuleResult,
    Status,
    evaluate,
)
from knowledge.selectors import approved_rules
from portal.models import Condition, Immunization, Medication, Observation, Patient, Procedure

if TYPE_CHECKING:
    from portal.fhir import PatientBundle

log = logging.getLogger(__name__)

PANEL_TEMPLATE = "assistant/preventive/_panel.html"

# Only records of things that actually happened count towards prevention.
DONE_IMMUNIZATION = ("completed",)
DONE_PROCEDURE = ("completed",)
DONE_OBSERVATION = ("final", "amended", "corrected")
# A preventive medicine counts while its prescription is active (a stopped statin does not).
ACTIVE_MEDICATION = ("active",)
# A condition stops counting when resolved; refuted or mistaken diagnoses never count.
INACTIVE_CONDITION = frozenset({"resolved", "inactive", "remission"})
NOT_A_DIAGNOSIS = ("refuted", "entered-in-error")

STATUS_LABELS = {
    Status.OVERDUE: "Overdue",
    Status.DUE: "Due now",
    Status.UP_TO_DATE: "Up to date",
}
# A rule that cannot decide without something the record lacks (pack-years, falls) is shown
# with what it needs, so the patient can tell their care team.
NEEDS_LABEL = "Needs information"
# Which kinds of approved sections explain a preventive item best, in order (as in the chat).
EDUCATION_QTYPES = ("prevention", "information", "exams and tests", "treatment")
# Search results are cached by topic; whether each is still approved is checked on every render.
EDUCATION_CACHE_SECONDS = 600


# --------------------------------------------------------------------------- facts


def local_day(value: datetime | None) -> date | None:
    """The calendar day of an instant in the portal's time zone."""
    if value is None:
        return None
    return timezone.localdate(value) if timezone.is_aware(value) else value.date()


def rule_codes(rules: Iterable[Rule]) -> set[str]:
    """Every code the rules may count, plus the smoking status: what facts need to hold."""
    codes = {SMOKING_STATUS_LOINC}
    for rule in rules:
        codes.update(rule.codes_read())
    return codes


def patient_facts(
    patient: Patient, *, on: date | None = None, only_codes: Collection[str] | None = None
) -> PatientFacts:
    """What the preventive engine needs to know about `patient`, read from the database.

    Five queries, whatever the size of the record. `on` (default today) only decides whether a
    death or a condition already counts; entries after it are kept (the engine ignores them).
    `only_codes` restricts the immunizations, procedures and observations read to those codes
    (pass :func:`rule_codes` of the rules to evaluate: a record holds thousands of observations
    that no rule counts). Conditions are always read in full: rules also exclude by condition.
    """
    on = on or timezone.localdate()
    death = local_day(patient.deceased_at)
    return PatientFacts(
        birth_date=patient.birth_date,
        sex=patient.gender or None,
        deceased=death is not None and death <= on,
        active=patient.active,
        conditions=_conditions(patient, on=on),
        entries=_entries(patient, only_codes=only_codes),
    )


def _conditions(patient: Patient, *, on: date) -> list[ConditionFact]:
    rows = (
        Condition.objects.filter(patient=patient)
        .exclude(verification_status__in=NOT_A_DIAGNOSIS)
        .values_list(
            "system", "code", "display", "clinical_status", "verification_status", "onset", "abated"
        )
    )
    return active_conditions(rows, on=on)


def active_conditions(rows: Iterable[tuple], *, on: date) -> list[ConditionFact]:
    """The conditions active on `on`, from (system, code, display, clinical status,
    verification status, onset, abated) rows; the onset day starts the clock of risk rules."""
    conditions = []
    for system, code, display, status, verification, onset, abated in rows:
        if verification in NOT_A_DIAGNOSIS:
            continue
        onset_day, abated_day = local_day(onset), local_day(abated)
        if onset_day is not None and onset_day > on:
            continue  # not yet diagnosed on that day
        if abated_day is not None and abated_day <= on:
            continue
        if abated_day is None and status in INACTIVE_CONDITION:
            continue  # resolved without a date: resolved now
        conditions.append(ConditionFact(system, code, display, onset_day))
    return conditions


def _entries(patient: Patient, *, only_codes: Collection[str] | None) -> list[RecordEntry]:
    sources: tuple[tuple[str, Any, str, tuple[str, ...]], ...] = (
        ("immunization", Immunization, "occurred", DONE_IMMUNIZATION),
        ("procedure", Procedure, "performed", DONE_PROCEDURE),
        ("observation", Observation, "effective", DONE_OBSERVATION),
        ("medication", Medication, "authored_on", ACTIVE_MEDICATION),
    )
    entries: list[RecordEntry] = []
    for kind, model, when_field, done in sources:
        rows = model.objects.filter(patient=patient, status__in=done).exclude(
            **{f"{when_field}__isnull": True}
        )
        if only_codes is not None:
            rows = rows.filter(code__in=list(only_codes))
        if model is Observation:
            values = rows.values_list(
                "system", "code", "display", when_field, "value_code", "value_text"
            )
        else:
            values = (
                (system, code, display, when, "", "")
                for system, code, display, when in rows.values_list(
                    "system", "code", "display", when_field
                )
            )
        for system, code, display, when, value_code, value_text in values:
            entries.append(_entry(kind, system, code, display, when, value_code, value_text))
    return entries


def _entry(kind, system, code, display, when, value_code, value_text) -> RecordEntry:
    return RecordEntry(
        kind=kind,
        system=system,
        code=code,
        display=display,
        date=local_day(when),
        # The smoking status is coded: the code decides, its words are shown.
        value=value_code or value_text or None,
        value_display=value_text or None,
    )


def bundle_facts(bundle: PatientBundle, *, on: date) -> PatientFacts:
    """The same facts as :func:`patient_facts`, read from a parsed FHIR bundle (no database):
    the same statuses count, the same conditions are active, days are local days alike."""
    patient = bundle.patient
    death = local_day(patient.deceased_at)
    done = (
        ("immunization", bundle.immunizations, "occurred", DONE_IMMUNIZATION),
        ("procedure", bundle.procedures, "performed", DONE_PROCEDURE),
        ("observation", bundle.observations, "effective", DONE_OBSERVATION),
        ("medication", bundle.medications, "authored_on", ACTIVE_MEDICATION),
    )
    entries = []
    for kind, items, when_field, statuses in done:
        for item in items:
            when = getattr(item, when_field)
            if item.status not in statuses or when is None:
                continue
            entries.append(
                _entry(
                    kind,
                    item.system,
                    item.code,
                    item.display,
                    when,
                    getattr(item, "value_code", ""),
                    getattr(item, "value_text", ""),
                )
            )
    rows = [
        (c.system, c.code, c.display, c.clinical_status, c.verification_status, c.onset, c.abated)
        for c in bundle.conditions
    ]
    return PatientFacts(
        birth_date=patient.birth_date,
        sex=patient.gender or None,
        deceased=death is not None and death <= on,
        active=patient.active,
        conditions=active_conditions(rows, on=on),
        entries=entries,
    )


# --------------------------------------------------------------------------- results


def results_apply(patient: Patient) -> bool:
    """A portal sends nothing to a patient who has died or whose record is closed."""
    return patient.deceased_at is None and patient.active and patient.birth_date is not None


def preventive_results(
    patient: Patient, *, on: date | None = None, rules: Sequence[Rule] | None = None
) -> list[RuleResult] | None:
    """The patient's preventive-care results under the approved rules, most urgent first.

    None for a deceased or inactive patient (and a record without a birth date): nothing is
    recommended to them. `rules` is for the admin's "try a patient" page, which compares drafts
    with what is in force; everything patients and nurses see uses the approved rules.
    """
    if not results_apply(patient):
        return None
    on = on or timezone.localdate()
    if on < patient.birth_date:
        return None
    rules = list(approved_rules() if rules is None else rules)
    facts = patient_facts(patient, on=on, only_codes=rule_codes(rules))
    return evaluate(facts=facts, rules=rules, on=on)


# --------------------------------------------------------------------------- education links


@dataclass(frozen=True)
class EducationLink:
    """An approved section about a rule's topic: shown as its question, linking to its source."""

    section_id: str
    version: int
    question: str
    url: str
    source: str
    focus: str


def _related_search(rule: Rule, retriever: Any) -> EducationLink | None:
    # The same choice as the chat's preventive answers, so both point to the same content.

    passage = related_passage(
        retriever,
        query=rule.topic_query,
        about=f"{rule.topic_query} {rule.item} {rule.title}",
        prefer_qtypes=EDUCATION_QTYPES,
    )
    if passage is None or not passage.url:
        return None
    return EducationLink(
        section_id=passage.section_id,
        version=passage.version,
        question=passage.question,
        url=passage.url,
        source=passage.source,
        focus=passage.focus,
    )


def _default_retriever() -> Any:

    return wiring.get_retriever()


def education_links(rules: Sequence[Rule], *, retriever: Any = None) -> dict[str, EducationLink]:
    """The best approved section for each rule's topic, by rule key (rules with none left out).

    Searches are cached per topic for a few minutes; whether a section version is still approved
    is checked in one query on every call, so retired content is never linked. A knowledge base
    that is unavailable costs the links, never the panel.
    """
    found: dict[str, EducationLink] = {}
    for rule in rules:
        cache_key = (
            "preventive-education:"
            + hashlib.sha256(f"{rule.topic_query}|{rule.item}|{rule.title}".encode()).hexdigest()
        )
        link = cache.get(cache_key, default=False)
        if link is False:
            try:
                retriever = retriever or _default_retriever()
                link = _related_search(rule, retriever)
            except Exception:
                # Not cached: the next page view tries again. One warning is enough.
                log.warning("education search failed (rule %s)", rule.key, exc_info=True)
                break
            cache.set(cache_key, link, EDUCATION_CACHE_SECONDS)
        if link is not None:
            found[rule.key] = link
    return _still_approved(found)


def _still_approved(links: dict[str, EducationLink]) -> dict[str, EducationLink]:
    if not links:
        return {}

    wanted = Q()
    for link in links.values():
        wanted |= Q(section__external_id=link.section_id, number=link.version)
    approved = set(
        SectionVersion.objects.filter(wanted, state=ReviewState.APPROVED).values_list(
            "section__external_id", "number"
        )
    )
    return {key: link for key, link in links.items() if (link.section_id, link.version) in approved}


# --------------------------------------------------------------------------- the panel


def _item(result: RuleResult, education: EducationLink | None) -> dict[str, Any]:
    rule = result.rule
    return {
        "key": rule.key,
        "title": rule.title,
        "kind": rule.kind.value,
        "status": result.status.value,
        "status_label": STATUS_LABELS.get(result.status, NEEDS_LABEL if result.needs else ""),
        "needs": list(result.needs),
        "reason": result.reason,
        "explanation": rule.explanation,
        "last_done": result.last_done,
        "due_since": result.due_since,
        "up_to_date_until": result.up_to_date_until,
        "source_name": rule.source.name,
        "source_year": rule.source.year,
        "source_url": rule.source.url,
        "education": education,
    }


def preventive_panel_context(
    patient: Patient,
    *,
    on: date | None = None,
    audience: str = "patient",
    retriever: Any = None,
) -> dict[str, Any] | None:
    """What the preventive-care panel shows, or None when it shows nothing (deceased patient).

    Keys: `todo` (overdue, then due), `done` (up to date), `to_check` (rules that cannot decide
    without something the record lacks, e.g. pack-years), each a list of item dicts (title,
    status, status_label, reason, needs, last_done, due_since, up_to_date_until, explanation,
    source_name, source_year, source_url, education); `on`; `audience` ("patient" or "staff":
    the wording of the headings). Items that do not apply to the patient are left out.
    """
    on = on or timezone.localdate()
    results = preventive_results(patient, on=on)
    if results is None:
        return None
    shown = [r for r in results if r.status != Status.NOT_APPLICABLE or r.needs]
    links = education_links([r.rule for r in shown], retriever=retriever)
    items = [_item(r, links.get(r.rule.key)) for r in shown]
    return {
        "on": on,
        "audience": audience,
        "todo": [i for i in items if i["status"] in (Status.OVERDUE, Status.DUE)],
        "done": [i for i in items if i["status"] == Status.UP_TO_DATE],
        "to_check": [i for i in items if i["status"] == Status.NOT_APPLICABLE],
        "rules_in_force": len(results),
    }


def preventive_panel(request, patient: Patient) -> str | None:
    """The "Preventive care" panel of My health (registered in settings.MY_HEALTH_PANELS)."""
    context = preventive_panel_context(patient)
    if context is None:
        return None
    return render_to_string(PANEL_TEMPLATE, {"preventive": context}, request=request)

"""The content admin's "try a patient" page for preventive-care rules.

Choose a demo patient and a day, and see what every rule decides for them and why: the approved
version (what the patient sees) next to the newest draft or version in review ("if approved"),
so a rule change can be judged on real records before anyone approves it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from knowledge.models import PENDING_STATES, PreventiveRule, PreventiveRuleVersion, ReviewState
from knowledge.preventive import SMOKING_STATUS_LOINC, Rule, RuleError, RuleResult, evaluate
from portal.decorators import admin_required
from portal.models import Patient, strip_semantic_tag
from portal.services import audit_event_record

from .services import (
    NEEDS_LABEL,
    STATUS_LABELS,
    patient_facts,
    results_apply,
    rule_codes,
)

TRY_TEMPLATE = "assistant/preventive/try.html"


class TryForm(forms.Form):
    patient = forms.ModelChoiceField(
        queryset=Patient.objects.order_by("family_name", "given_name"),
        empty_label="Choose a patient…",
        label="Patient",
    )
    on = forms.DateField(
        label="As of",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The day to evaluate (default today).",
    )
    rule = forms.SlugField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["patient"].label_from_instance = lambda p: patient_label(p, on=today)


def patient_label(patient: Patient, *, on: date) -> str:
    parts = [patient.full_name]
    age = patient.age_on(on)
    if age is not None:
        parts.append(f"{age}")
    if patient.gender:
        parts.append(patient.gender)
    if patient.deceased_at:
        parts.append("deceased")
    elif not patient.active:
        parts.append("record closed")
    return ", ".join(parts)


@dataclass
class Decision:
    """One version of one rule, decided for the chosen patient."""

    version: PreventiveRuleVersion
    result: RuleResult | None
    error: str = ""

    @property
    def status_label(self) -> str:
        if self.result is None:
            return ""
        if self.result.needs and self.result.status not in STATUS_LABELS:
            return NEEDS_LABEL
        return STATUS_LABELS.get(self.result.status, "Does not apply")


@dataclass
class RuleRow:
    rule: PreventiveRule
    approved: Decision | None
    pending: Decision | None
    admin_url: str | None

    @property
    def pending_changes_decision(self) -> bool:
        """The newer version would tell this patient something different."""
        if self.pending is None or self.pending.result is None:
            return False
        if self.approved is None or self.approved.result is None:
            return True
        return _decision_of(self.pending.result) != _decision_of(self.approved.result)


def _decision_of(result: RuleResult) -> tuple:
    return (
        result.status,
        result.reason,
        result.due_since,
        result.up_to_date_until,
        result.last_done,
    )


def _rule_from(version: PreventiveRuleVersion) -> tuple[Rule | None, str]:
    try:
        return Rule.from_dict(version.definition), ""
    except (RuleError, TypeError, ValueError, KeyError) as exc:
        return None, str(exc)


def _admin_url(rule: PreventiveRule) -> str | None:
    try:
        return reverse("admin:knowledge_preventiverule_change", args=[rule.pk])
    except NoReverseMatch:
        return None


def rule_rows(*, patient: Patient, on: date, only_key: str = "") -> tuple[list[RuleRow], Any]:
    """Every rule's approved and pending version, decided for `patient` on `on`.

    Returns the rows and the facts they were decided on.
    """
    rules = PreventiveRule.objects.select_related("current_approved", "latest").order_by("key")
    if only_key:
        rules = rules.filter(key=only_key)
    pairs: list[tuple[PreventiveRule, PreventiveRuleVersion | None, PreventiveRuleVersion | None]]
    pairs = []
    for rule in rules:
        approved = rule.current_approved
        if approved is not None and approved.state != ReviewState.APPROVED:
            approved = None
        pending = rule.latest
        if pending is None or pending.state not in PENDING_STATES or pending == approved:
            pending = None
        if approved or pending:
            pairs.append((rule, approved, pending))

    parsed: dict[int, tuple[Rule | None, str]] = {}
    for _, *versions in pairs:
        for version in versions:
            if version is not None:
                parsed[version.pk] = _rule_from(version)
    engine_rules = [rule for rule, _ in parsed.values() if rule is not None]
    facts = patient_facts(patient, on=on, only_codes=rule_codes(engine_rules))

    def decide(version: PreventiveRuleVersion | None) -> Decision | None:
        if version is None:
            return None
        engine_rule, error = parsed[version.pk]
        if engine_rule is None:
            return Decision(version=version, result=None, error=error)
        results = evaluate(facts=facts, rules=[engine_rule], on=on)
        return Decision(version=version, result=results[0] if results else None)

    rows = [
        RuleRow(
            rule=rule,
            approved=decide(approved),
            pending=decide(pending),
            admin_url=_admin_url(rule),
        )
        for rule, approved, pending in pairs
    ]
    return rows, facts


def _facts_summary(facts: Any, *, on: date) -> dict[str, Any]:
    smoking = max(
        (e for e in facts.entries if e.code == SMOKING_STATUS_LOINC and e.date <= on),
        key=lambda e: (e.date, e.value or ""),
        default=None,
    )
    return {
        "conditions": sorted({strip_semantic_tag(c.display) for c in facts.condition_facts()}),
        "smoking": smoking,
        "entries": sum(1 for e in facts.entries if e.date <= on),
    }


@admin_required
def try_patient(request: HttpRequest) -> HttpResponse:
    """GET ?patient=<id>&on=<YYYY-MM-DD>[&rule=<key>]: each rule's decision for that patient."""
    form = TryForm(request.GET or None)
    context: dict[str, Any] = {"form": form, "patient": None}
    if form.is_bound and form.is_valid():
        patient: Patient = form.cleaned_data["patient"]
        on = form.cleaned_data["on"] or timezone.localdate()
        only_key = form.cleaned_data["rule"] or ""
        context.update(patient=patient, on=on, only_key=only_key, age=patient.age_on(on))
        if patient.birth_date is None or on < patient.birth_date:
            context["not_evaluated"] = "The record has no birth date before this day."
        elif not results_apply(patient):
            context["not_evaluated"] = (
                "This patient has died or their record is closed: the portal recommends nothing "
                "to them, so no rule is evaluated."
            )
        else:
            rows, facts = rule_rows(patient=patient, on=on, only_key=only_key)
            context.update(rows=rows, facts=_facts_summary(facts, on=on))
            context["changed"] = sum(1 for row in rows if row.pending_changes_decision)
            context["any_pending"] = any(row.pending is not None for row in rows)
        # Reading a patient's record is an access that matters: it goes into the audit log.
        audit_event_record(
            actor=request.user,
            action="preventive.try",
            request=request,
            patient=patient,
            object_type="patient",
            object_id=patient.pk,
            detail={"on": on.isoformat(), "rule": only_key},
        )
    return render(request, TRY_TEMPLATE, context)

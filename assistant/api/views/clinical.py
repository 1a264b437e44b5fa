"""Triage, grounded answers and knowledge search: the gate, the answer pipeline and the retriever
the chat uses.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from assistant.api.views.base import HISTORY_STATES, ApiView, _iso

# The module, not its names: tests and the process wiring swap its factories.
from knowledge import wiring
from knowledge.models import Section
from knowledge.selectors import approved_version_set
from portal.fhir import BundleError, bundle_parse

from ... import escalation
from ... import serializers as chat_serializers
from ... import services as chat_services
from ...answer.pipeline import answer_question
from ...answer.types import PatientContext
from ...context import patient_context_from_bundle
from ...escalation.model import classifier
from ...services import clean_text
from .. import serializers as s
from ..errors import BadRequest


def _categories(decision) -> list[str]:
    found = [decision.category] if decision.category else []
    for rule_id in decision.also_matched:
        rule = escalation.rule_get(rule_id)
        if rule is not None and rule.category and rule.category not in found:
            found.append(rule.category)
    return found


def _gate_identity(decision) -> dict[str, Any]:

    model = classifier()
    return {
        "classifier_version": getattr(model, "version", None),
        "classifier_layer": decision.classifier_layer or None,
        "rules": len(escalation.RULES),
    }


def triage_json(decision) -> dict[str, Any]:
    explanation = decision.explanation()
    return {
        "level": decision.level,
        "escalate": decision.escalates,
        "categories": _categories(decision),
        "rule_id": decision.rule_id,
        "rule_title": decision.rule_title,
        "rule_ids": [decision.rule_id, *decision.also_matched],
        "decided_by": decision.decided_by,
        "matched": list(decision.matched),
        "rationale": decision.rationale,
        "instructions": decision.instructions,
        "context": decision.context,
        "probabilities": explanation["probabilities"],
        "exemplars": explanation["exemplars"],
        "gate": _gate_identity(decision),
    }


class TriageView(ApiView):
    required_scope = "triage"
    audit_action = "api.triage"

    @extend_schema(request=s.TriageIn, responses={200: s.TriageOut}, operation_id="triage")
    def post(self, request):
        """Classify one message: emergency, urgent or routine, with the rule(s) or nearest
        labelled messages that decided and the instructions a patient must see. Stateless:
        nothing is stored but the audit entry."""
        text = clean_text(self.validated(s.TriageIn, request.data)["text"])
        if not text:
            raise BadRequest("The text is empty.", code="empty")
        decision = escalation.classify(text)
        self.note(level=decision.level, rule_id=decision.rule_id, decided_by=decision.decided_by)
        if settings.API_AUDIT_TRIAGE_TEXT:
            self.note(text=text)
        return Response(triage_json(decision))


def _retriever_identity(retriever) -> dict[str, Any]:
    out: dict[str, Any] = {"class": type(retriever).__name__}
    for name in ("mode", "candidates", "expand_articles"):
        if hasattr(retriever, name):
            out[name] = getattr(retriever, name)
    weights = getattr(retriever, "weights", None)
    if weights is not None and dataclasses.is_dataclass(weights):
        out["weights"] = dataclasses.asdict(weights)
    return out


def _composer_identity(composer, answer) -> str:
    if composer is None:
        return (answer.meta or {}).get("composer") or "extractive"
    return getattr(composer, "identity", "") or getattr(composer, "name", type(composer).__name__)


def answer_json(answer, *, retriever, composer) -> dict[str, Any]:
    citations = [
        {
            "n": c.n,
            "kind": c.kind,
            "section_id": c.section_id,
            "version": c.version,
            "title": chat_serializers.clean_title(c.title),
            "source": c.source,
            "url": chat_serializers.safe_url(c.url),
            "text": c.text,
        }
        for c in answer.citations
    ]
    decision = answer.decision
    meta = chat_services._jsonable(answer.meta or {})
    provenance = {
        "content_versions": [
            {"section_id": c.section_id, "version": c.version}
            for c in answer.citations
            if c.kind == "section"
        ],
        "preventive_rules": [
            {"rule": c.section_id, "recommendation_year": c.version}
            for c in answer.citations
            if c.kind == "rule"
        ],
        "gate": {
            "level": decision.level,
            "rule_ids": [decision.rule_id, *decision.also_matched],
            "decided_by": decision.decided_by,
            **_gate_identity(decision),
        },
        "retriever": _retriever_identity(retriever),
        "composer": _composer_identity(composer, answer),
        "pipeline": {
            k: meta[k]
            for k in ("intent", "abstain_reason", "best_score", "topics", "safety_removed")
            if k in meta
        },
    }
    return {
        "kind": answer.kind,
        "level": answer.level,
        "escalate": bool(answer.escalate),
        "text": answer.text,
        "citations": citations,
        "offer_nurse": bool(meta.get("offer_nurse")),
        "provenance": provenance,
    }


def _context_from_request(data: dict[str, Any]):

    if "fhir_bundle" in data:
        try:
            bundle = bundle_parse(json.dumps(data["fhir_bundle"]))
        except BundleError as exc:
            raise BadRequest(str(exc), code="invalid_bundle", resource=exc.resource) from exc
        return patient_context_from_bundle(bundle)
    patient = data.get("patient") or {}
    return PatientContext(
        age=patient.get("age"),
        sex=patient.get("sex", ""),
        conditions=[clean_text(c) for c in patient.get("conditions", []) if clean_text(c)],
        medications=[clean_text(m) for m in patient.get("medications", []) if clean_text(m)],
    )


class AnswersView(ApiView):
    required_scope = "answers"
    audit_action = "api.answer"

    @extend_schema(request=s.AnswersIn, responses={200: s.AnswerOut}, operation_id="answer")
    def post(self, request):
        """A grounded answer from approved content, by the chat's pipeline: the gate first (an
        emergency gets its instructions and nothing else), then the answer with its citations
        and a provenance record. Nothing is stored but the audit entry."""

        data = self.validated(s.AnswersIn, request.data)
        question = clean_text(data["question"])
        if not question:
            raise BadRequest("The question is empty.", code="empty")
        context = _context_from_request(data)
        retriever = wiring.get_retriever()
        composer = chat_services.composer_from_settings()
        answer = answer_question(
            text=question,
            patient=context,
            retriever=retriever,
            composer=composer,
            second_opinion=chat_services.triage_from_settings(),
            reply_target_minutes=settings.ESCALATION_TARGET_MINUTES,
        )
        body = answer_json(answer, retriever=retriever, composer=composer)
        self.note(
            kind=answer.kind,
            level=answer.level,
            cited=[f"{c['section_id']}@{c['version']}" for c in body["citations"]],
            with_bundle="fhir_bundle" in data,
        )
        return Response(body)


class KnowledgeSearchView(ApiView):
    required_scope = "knowledge.read"
    audit_action = "api.knowledge.search"

    @extend_schema(
        parameters=[s.SearchIn], responses={200: s.SearchOut}, operation_id="knowledge_search"
    )
    def get(self, request):
        """Search approved content (the chat's retriever); only versions approved right now."""

        data = self.validated(s.SearchIn, request.query_params)
        query = clean_text(data["q"])
        if not query:
            raise BadRequest("The query is empty.", code="empty")
        passages = wiring.get_retriever().search(query, k=data["k"])
        approved = approved_version_set()  # an index lagging behind a retirement shows nothing
        results = [
            {
                "section_id": p.section_id,
                "version": p.version,
                "question": chat_serializers.clean_title(p.question),
                "focus": p.focus,
                "qtype": p.qtype,
                "source": p.source,
                "url": chat_serializers.safe_url(p.url),
                "score": round(float(p.score), 4),
                "excerpt": chat_serializers.excerpt(p.text),
            }
            for p in passages
            if (p.section_id, p.version) in approved
        ]
        self.note(results=len(results))
        return Response({"query": query, "results": results})


class KnowledgeSectionView(ApiView):
    required_scope = "knowledge.read"
    audit_action = "api.knowledge.section"

    @extend_schema(responses={200: s.SectionOut}, operation_id="knowledge_section")
    def get(self, request, section_id: str):
        """An approved section: its current approved version and the versions that were
        approved before it (drafts and reviews in progress are not shown)."""
        section = (
            Section.objects.select_related("article", "current_approved")
            .filter(external_id=section_id, current_approved__isnull=False)
            .first()
        )
        if section is None:
            raise NotFound("No approved section with this id.")
        self.note(object_type="section", object_id=section.external_id)
        current = section.current_approved
        history = section.versions.filter(state__in=HISTORY_STATES).order_by("-number")
        article = section.article
        return Response(
            {
                "section_id": section.external_id,
                "article": {
                    "id": article.external_id,
                    "focus": article.focus,
                    "source": article.source,
                    "url": chat_serializers.safe_url(article.url),
                },
                "current": {
                    "version": current.number,
                    "question": chat_serializers.clean_title(current.question),
                    "qtype": current.qtype,
                    "text": current.text,
                    "approved_at": _iso(current.reviewed_at),
                    "review_by": _iso(current.review_by),
                },
                "history": [
                    {
                        "version": v.number,
                        "state": v.state,
                        "question": chat_serializers.clean_title(v.question),
                        "note": v.note,
                        "approved_at": _iso(v.reviewed_at),
                        "ended_at": _iso(v.ended_at),
                        "end_reason": v.end_reason,
                    }
                    for v in history
                ],
            }
        )

"""The /api/v1/ endpoints. Each validates its input, calls the service or pure function the
pages and the socket call, and shapes JSON. Access: `HasScope` (a token with the view's scope)
or `IsPatient` (the patient's own session, or a token bound to them).

Every call, allowed or refused, writes one audit entry (`ApiView.finalize_response`) with the
caller's identity (client id and name, or the user), the status and what it touched; never the
patient's words unless settings.API_AUDIT_TRIAGE_TEXT says so.
"""

from __future__ import annotations

import dataclasses
import logging
import secrets
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import parsers, serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import NotAuthenticated, NotFound
from rest_framework.exceptions import PermissionDenied as Forbidden
from rest_framework.response import Response
from rest_framework.views import APIView

from knowledge.models import ReviewState, Section
from portal.audit import audit_record
from portal.fhir import BundleError, bundle_parse
from portal.models import Patient

from .. import escalation, ratelimit
from .. import selectors as chat_selectors
from .. import serializers as chat_serializers
from .. import services as chat_services
from ..consumers import clean_text
from ..context import patient_context_from_bundle
from ..inbox import selectors as inbox_selectors
from ..inbox import services as inbox_services
from ..models import ApiClient, Escalation, Message, WebhookDelivery, WebhookEndpoint
from . import fhir
from . import serializers as s
from .auth import ApiTokenAuthentication, caller_of, patient_of, token_of
from .errors import BadRequest, Conflict
from .permissions import HasScope, IsPatient

log = logging.getLogger(__name__)


class ApiView(APIView):
    """Base of every endpoint: scope check, and one audit entry per call."""

    # Capabilities for other systems take a token only; the patient's views add the session.
    authentication_classes = [ApiTokenAuthentication]
    permission_classes = [HasScope]
    required_scope = ""
    audit_action = "api.call"

    def required_scope_for(self, request) -> str:
        return self.required_scope

    def note(
        self,
        *,
        object_type: str = "",
        object_id: Any = "",
        patient: Patient | None = None,
        **detail: Any,
    ) -> None:
        """What this call touched, for its audit entry."""
        audit = self.__dict__.setdefault("_audit", {"detail": {}})
        if object_type:
            audit["object_type"], audit["object_id"] = object_type, object_id
        if patient is not None:
            audit["patient"] = patient
        audit["detail"].update(detail)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        audit = self.__dict__.get("_audit", {"detail": {}})
        http_request = getattr(request, "_request", request)
        audit_record(
            request_or_actor=http_request,
            action=self.audit_action,
            object_type=audit.get("object_type", ""),
            object_id=audit.get("object_id", ""),
            patient=audit.get("patient"),
            detail={
                **caller_of(request).audit(),
                "method": request.method,
                "path": http_request.path,
                "status": response.status_code,
                **audit["detail"],
            },
        )
        return response

    def validated(self, serializer_class, data) -> dict[str, Any]:
        serializer = serializer_class(data=data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


# --- triage ----------------------------------------------------------------------------------


def _categories(decision) -> list[str]:
    found = [decision.category] if decision.category else []
    for rule_id in decision.also_matched:
        rule = escalation.rule_get(rule_id)
        if rule is not None and rule.category and rule.category not in found:
            found.append(rule.category)
    return found


def _gate_identity(decision) -> dict[str, Any]:
    from ..escalation.model import classifier

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


# --- answers ---------------------------------------------------------------------------------


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
    from ..answer.types import PatientContext

    if "fhir_bundle" in data:
        import json

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
        from knowledge.services import get_retriever

        from ..answer.pipeline import answer_question

        data = self.validated(s.AnswersIn, request.data)
        question = clean_text(data["question"])
        if not question:
            raise BadRequest("The question is empty.", code="empty")
        context = _context_from_request(data)
        retriever = get_retriever()
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


# --- knowledge -------------------------------------------------------------------------------


class KnowledgeSearchView(ApiView):
    required_scope = "knowledge.read"
    audit_action = "api.knowledge.search"

    @extend_schema(
        parameters=[s.SearchIn], responses={200: s.SearchOut}, operation_id="knowledge_search"
    )
    def get(self, request):
        """Search approved content (the chat's retriever); only versions approved right now."""
        from knowledge.selectors import approved_version_set
        from knowledge.services import get_retriever

        data = self.validated(s.SearchIn, request.query_params)
        query = clean_text(data["q"])
        if not query:
            raise BadRequest("The query is empty.", code="empty")
        passages = get_retriever().search(query, k=data["k"])
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


HISTORY_STATES = (ReviewState.APPROVED, ReviewState.SUPERSEDED, ReviewState.RETIRED)


class KnowledgeSectionView(ApiView):
    required_scope = "knowledge.read"
    audit_action = "api.knowledge.section"

    @extend_schema(responses={200: OpenApiTypes.OBJECT}, operation_id="knowledge_section")
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


def _iso(value) -> str | None:
    return value.isoformat() if value else None


# --- conversations (the signed-in patient's own) ---------------------------------------------


class PatientView(ApiView):
    authentication_classes = [ApiTokenAuthentication, SessionAuthentication]
    permission_classes = [IsPatient]
    audit_action = "api.conversation"

    def patient(self, request) -> Patient:
        patient = patient_of(request)
        self.note(patient=patient)
        return patient

    def conversation(self, request, conversation_id: int):
        self.patient(request)
        conversation = chat_selectors.conversation_get_for_user(
            user=request.user, conversation_id=conversation_id
        )
        if conversation is None:  # another patient's, or none: the same answer
            raise NotFound("No such conversation.")
        self.note(object_type="conversation", object_id=conversation.pk)
        return conversation


def conversation_json(conversation) -> dict[str, Any]:
    return {
        "id": conversation.pk,
        "title": conversation.title,
        "created_at": _iso(conversation.created_at),
        "updated_at": _iso(conversation.updated_at),
    }


class ConversationsView(PatientView):
    @extend_schema(responses={200: OpenApiTypes.OBJECT}, operation_id="conversations_list")
    def get(self, request):
        """The patient's conversations, most recent first."""
        patient = self.patient(request)
        rows = chat_selectors.conversation_list_for_patient(patient=patient, limit=50)
        return Response({"conversations": [conversation_json(c) for c in rows]})

    @extend_schema(
        request=None, responses={201: OpenApiTypes.OBJECT}, operation_id="conversations_start"
    )
    def post(self, request):
        """Start a new conversation."""
        conversation = chat_services.conversation_start(patient=self.patient(request))
        self.note(object_type="conversation", object_id=conversation.pk)
        return Response(conversation_json(conversation), status=status.HTTP_201_CREATED)


class ConversationView(PatientView):
    @extend_schema(responses={200: OpenApiTypes.OBJECT}, operation_id="conversation_read")
    def get(self, request, conversation_id: int):
        """One conversation with its messages (the newest 200, oldest first) and the status
        of its hand-off to the care team."""
        conversation = self.conversation(request, conversation_id)
        messages = chat_selectors.conversation_messages(conversation=conversation)
        esc = chat_selectors.escalation_current(conversation=conversation)
        return Response(
            {
                **conversation_json(conversation),
                "messages": chat_serializers.messages_to_dicts(messages, user=request.user),
                "escalation": chat_serializers.escalation_to_dict(esc) if esc else None,
            }
        )


class ConversationMessagesView(PatientView):
    @extend_schema(
        request=s.MessageIn,
        responses={200: OpenApiTypes.OBJECT, 201: OpenApiTypes.OBJECT},
        operation_id="conversation_post_message",
    )
    def post(self, request, conversation_id: int):
        """Send a message, as the chat page does: idempotent on `client_id` (a resend returns
        the stored message, 200), the chat's rate limit, the gate at once (an emergency's
        instructions come back in `reply`), an answer later (read the conversation)."""
        conversation = self.conversation(request, conversation_id)
        data = self.validated(s.MessageIn, request.data)
        text = clean_text(data["text"])
        if not text:
            raise BadRequest("The text is empty.", code="empty")
        client_id = data["client_id"]
        existing = chat_selectors.message_by_client_id(
            conversation=conversation, client_id=client_id
        )
        created = False
        if existing is None:
            allowed = ratelimit.message_rate_check(user=request.user)
            if not allowed.allowed:
                self.note(rate_limited=True)
                return Response(
                    {
                        "error": "rate_limited",
                        "detail": "You are sending messages too quickly. Please wait "
                        f"{allowed.retry_after} seconds and send it again.",
                        "retry_after": allowed.retry_after,
                    },
                    status=status.HTTP_429_TOO_MANY_REQUESTS,
                    headers={"Retry-After": str(allowed.retry_after)},
                )
            existing, created = chat_services.message_receive(
                conversation=conversation, user=request.user, text=text, client_id=client_id
            )
        reply = chat_selectors.message_answer_for(message=existing)
        self.note(message_id=existing.pk, created=created)
        return Response(
            {
                "message": chat_serializers.message_to_dict(existing),
                "reply": chat_serializers.message_to_dict(reply) if reply else None,
            },
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


# --- escalations (clinician systems) ---------------------------------------------------------


class EscalationView(ApiView):
    audit_action = "api.escalation"

    def required_scope_for(self, request) -> str:
        return "escalations.read" if request.method == "GET" else "escalations.write"

    def escalation(self, request, escalation_id: int) -> Escalation:
        """The escalation, read as the inbox reads it (the client's account must be a nurse),
        audited as a thread read."""
        try:
            esc = inbox_selectors.escalation_get_for_staff(
                user=request.user, escalation_id=escalation_id
            )
        except PermissionDenied:
            raise _no_nurse() from None
        except Escalation.DoesNotExist:
            raise NotFound("No such escalation.") from None
        self.note(object_type="escalation", object_id=esc.pk, patient=esc.conversation.patient)
        return esc

    def audit_thread_read(self, request, esc: Escalation) -> None:
        audit_record(
            request_or_actor=request._request,
            action="thread.view",
            object_type="escalation",
            object_id=esc.pk,
            patient=esc.conversation.patient,
            detail={"via": "api", **caller_of(request).audit()},
        )


def _no_nurse() -> Forbidden:
    return Forbidden(
        "This caller acts as no nurse: create the client with --user set to a nurse's account."
    )


def escalation_json(esc: Escalation) -> dict[str, Any]:
    row = inbox_selectors.escalation_to_inbox_dict(esc)
    row.pop("url", None)
    row["api_url"] = f"/api/v1/escalations/{esc.pk}"
    row["fhir_task_url"] = f"/api/v1/fhir/Task/{esc.pk}"
    return row


def thread_json(messages: list[Message]) -> list[dict[str, Any]]:
    return [
        {
            **chat_serializers.message_to_dict(m),
            "author_label": "Patient"
            if m.role == Message.Role.PATIENT
            else chat_serializers.author_label(m),
        }
        for m in messages
    ]


class EscalationsListView(EscalationView):
    @extend_schema(
        parameters=[s.EscalationListIn],
        responses={200: OpenApiTypes.OBJECT},
        operation_id="escalations_list",
    )
    def get(self, request):
        """Unresolved escalations, most urgent first (the inbox queue), or recently resolved."""
        data = self.validated(s.EscalationListIn, request.query_params)
        try:
            if data["status"] == "open":
                rows = inbox_selectors.escalations_open_for_queue(user=request.user)
            else:
                rows = inbox_selectors.escalations_recently_resolved(user=request.user, limit=50)
        except PermissionDenied:
            raise _no_nurse() from None
        # As the queue page: each row carries an excerpt of a patient's words.
        audit_record(
            request_or_actor=request._request,
            action="queue.view",
            detail={
                "via": "api",
                "escalation_ids": [e.pk for e in rows],
                **caller_of(request).audit(),
            },
        )
        return Response({"escalations": [escalation_json(e) for e in rows]})


class EscalationDetailView(EscalationView):
    @extend_schema(responses={200: OpenApiTypes.OBJECT}, operation_id="escalation_read")
    def get(self, request, escalation_id: int):
        """One escalation with its whole thread (audited as a thread read)."""
        esc = self.escalation(request, escalation_id)
        self.audit_thread_read(request, esc)
        messages = inbox_selectors.thread_messages(conversation=esc.conversation)
        return Response(
            {
                **escalation_json(esc),
                "triage": esc.triage,
                "messages": thread_json(messages),
            }
        )


class EscalationClaimView(EscalationView):
    @extend_schema(
        request=None, responses={200: OpenApiTypes.OBJECT}, operation_id="escalation_claim"
    )
    def post(self, request, escalation_id: int):
        """Claim it: the patient sees that a nurse is looking at it."""
        esc = self.escalation(request, escalation_id)
        try:
            esc = inbox_services.escalation_claim(
                escalation=esc, nurse=request.user, request=request._request
            )
        except inbox_services.InboxConflict as exc:
            raise Conflict(str(exc)) from exc
        return Response(
            escalation_json(
                inbox_selectors.escalation_get_for_staff(user=request.user, escalation_id=esc.pk)
            )
        )


class EscalationReplyView(EscalationView):
    @extend_schema(
        request=s.ReplyIn, responses={201: OpenApiTypes.OBJECT}, operation_id="escalation_reply"
    )
    def post(self, request, escalation_id: int):
        """Send a reply to the patient in the nurse's name (claims an unclaimed escalation)."""
        esc = self.escalation(request, escalation_id)
        text = self.validated(s.ReplyIn, request.data)["text"]
        try:
            message = inbox_services.nurse_reply_send(
                escalation=esc, nurse=request.user, text=text, request=request._request
            )
        except inbox_services.InboxConflict as exc:
            raise Conflict(str(exc)) from exc
        except ValueError as exc:
            raise BadRequest(str(exc), code="empty") from exc
        return Response(thread_json([message])[0], status=status.HTTP_201_CREATED)


class EscalationResolveView(EscalationView):
    @extend_schema(
        request=s.ResolveIn, responses={200: OpenApiTypes.OBJECT}, operation_id="escalation_resolve"
    )
    def post(self, request, escalation_id: int):
        """Close it with how it was handled."""
        esc = self.escalation(request, escalation_id)
        data = self.validated(s.ResolveIn, request.data)
        try:
            esc = inbox_services.escalation_resolve(
                escalation=esc,
                nurse=request.user,
                disposition=data["disposition"],
                note=data["note"],
                request=request._request,
            )
        except inbox_services.InboxConflict as exc:
            raise Conflict(str(exc)) from exc
        return Response(
            escalation_json(
                inbox_selectors.escalation_get_for_staff(user=request.user, escalation_id=esc.pk)
            )
        )


class FhirTaskView(EscalationView):
    @extend_schema(responses={200: OpenApiTypes.OBJECT}, operation_id="fhir_task_read")
    def get(self, request, escalation_id: int):
        """The escalation as a FHIR R4 Task."""
        esc = self.escalation(request, escalation_id)
        self.audit_thread_read(request, esc)
        return Response(fhir.task(esc), content_type="application/fhir+json")


class FhirCommunicationView(EscalationView):
    @extend_schema(
        parameters=[
            OpenApiParameter("based-on", str, required=True, description="Task/{escalation id}")
        ],
        responses={200: OpenApiTypes.OBJECT},
        operation_id="fhir_communication_search",
    )
    def get(self, request):
        """The messages of an escalation's thread as FHIR R4 Communications (a searchset)."""
        ref = request.query_params.get("based-on", "")
        prefix, _, raw_id = ref.partition("/")
        if prefix != "Task" or not raw_id.isdigit():
            raise BadRequest("Give based-on=Task/{escalation id}.", code="invalid")
        esc = self.escalation(request, int(raw_id))
        self.audit_thread_read(request, esc)
        messages = inbox_selectors.thread_messages(conversation=esc.conversation)
        return Response(
            fhir.searchset([fhir.communication(m, esc) for m in messages]),
            content_type="application/fhir+json",
        )


# --- records ---------------------------------------------------------------------------------


class RawJsonParser(parsers.BaseParser):
    """The body as bytes: the FHIR importer validates it itself (and names the bad resource)."""

    media_type = "application/*"

    def parse(self, stream, media_type=None, parser_context=None):
        return stream.read() if stream is not None else b""


class FhirBundleView(ApiView):
    required_scope = "records.write"
    audit_action = "api.fhir.import"
    parser_classes = [RawJsonParser]

    @extend_schema(
        request={"application/fhir+json": OpenApiTypes.OBJECT},
        responses={201: OpenApiTypes.OBJECT, 200: OpenApiTypes.OBJECT},
        operation_id="fhir_bundle_import",
    )
    def post(self, request):
        """Import one patient's FHIR R4 bundle with the portal's importer: all of it or nothing;
        a bad resource is named in `resource` and `detail`."""
        from portal.services import patient_import_raw

        raw = request.data  # an empty body parses to {}
        if not isinstance(raw, bytes | str) or not raw.strip():
            raise BadRequest(
                "The body is empty: send one patient's FHIR R4 Bundle as JSON.",
                code="invalid_bundle",
            )
        client = caller_of(request)
        try:
            result = patient_import_raw(raw=raw, source_name=f"api:{client.client_id}"[:200])
        except BundleError as exc:
            self.note(error=str(exc)[:300])
            raise BadRequest(str(exc), code="invalid_bundle", resource=exc.resource) from exc
        patient = Patient.objects.get(pk=result.patient_id)
        self.note(object_type="patient", object_id=patient.pk, patient=patient)
        return Response(
            {
                "patient_id": result.patient_id,
                "patient_fhir_id": result.patient_fhir_id,
                "created": result.patient_created,
                "counts": result.counts,
                "changes": {
                    "created": result.created,
                    "updated": result.updated,
                    "removed": result.removed,
                },
                "preventive_url": f"/api/v1/patients/{result.patient_id}/preventive",
            },
            status=status.HTTP_201_CREATED if result.patient_created else status.HTTP_200_OK,
        )


class PatientPreventiveView(ApiView):
    audit_action = "api.preventive"
    authentication_classes = [ApiTokenAuthentication, SessionAuthentication]
    permission_classes = []  # decided in get(): a records.read token, or the patient themself
    schema_scopes = ("records.read", "patient")

    @extend_schema(responses={200: OpenApiTypes.OBJECT}, operation_id="patient_preventive")
    def get(self, request, patient_id: int):
        """The patient's due and overdue preventive care with each rule, its reason and its
        citation (and the items that need information the record lacks)."""
        from ..preventive.services import preventive_panel_context

        token = token_of(request)
        own = patient_of(request)
        if token is not None and token.is_valid(["records.read"]):
            patient = Patient.objects.filter(pk=patient_id).first()
        elif own is not None:
            patient = own if own.pk == patient_id else None
        elif not request.user.is_authenticated and token is None:
            raise NotAuthenticated()
        else:
            raise Forbidden("This call needs the 'records.read' scope or the patient.")
        if patient is None:
            raise NotFound("No such patient.")
        self.note(object_type="patient", object_id=patient.pk, patient=patient)
        context = preventive_panel_context(patient, audience="staff")
        if context is None:
            return Response(
                {"patient_id": patient.pk, "applies": False, "items": [], "to_check": []}
            )
        return Response(
            {
                "patient_id": patient.pk,
                "applies": True,
                "on": context["on"].isoformat(),
                "items": [_preventive_item(i) for i in context["todo"]],
                "to_check": [_preventive_item(i) for i in context["to_check"]],
                "up_to_date": [i["key"] for i in context["done"]],
            }
        )


def _preventive_item(item: dict[str, Any]) -> dict[str, Any]:
    education = item.get("education")
    return {
        "rule": item["key"],
        "title": item["title"],
        "status": item["status"],
        "reason": item["reason"],
        "needs": item["needs"],
        "last_done": _iso(item["last_done"]),
        "due_since": _iso(item["due_since"]),
        "citation": {
            "source": item["source_name"],
            "year": item["source_year"],
            "url": item["source_url"],
        },
        "education": None
        if education is None
        else {
            "section_id": education.section_id,
            "version": education.version,
            "question": chat_serializers.clean_title(education.question),
            "url": chat_serializers.safe_url(education.url),
        },
    }


# --- webhooks --------------------------------------------------------------------------------


def webhook_json(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {
        "id": endpoint.pk,
        "url": endpoint.url,
        "events": endpoint.events,
        "active": endpoint.active,
        "created_at": _iso(endpoint.created_at),
    }


class WebhookBase(ApiView):
    required_scope = "escalations.read"  # the events are about escalations
    audit_action = "api.webhooks"

    def client(self, request) -> ApiClient:
        token = token_of(request)
        client = ApiClient.objects.filter(application_id=token.application_id).first()
        if client is None:
            raise Forbidden("Only a registered API client may have webhooks.")
        return client


class WebhooksView(WebhookBase):
    @extend_schema(responses={200: OpenApiTypes.OBJECT}, operation_id="webhooks_list")
    def get(self, request):
        """This client's webhooks."""
        client = self.client(request)
        return Response({"webhooks": [webhook_json(w) for w in client.webhooks.order_by("pk")]})

    @extend_schema(
        request=s.WebhookIn,
        responses={
            201: inline_serializer(
                "WebhookCreated",
                {
                    "id": serializers.IntegerField(),
                    "url": serializers.URLField(),
                    "events": serializers.ListField(child=serializers.CharField()),
                    "secret": serializers.CharField(),
                },
            )
        },
        operation_id="webhooks_register",
    )
    def post(self, request):
        """Register a URL for signed POSTs when an emergency or urgent escalation opens or goes
        overdue. The `secret` (the HMAC key) is shown only in this response."""
        client = self.client(request)
        data = self.validated(s.WebhookIn, request.data)
        endpoint = WebhookEndpoint.objects.create(
            client=client,
            url=data["url"],
            events=data.get("events") or ["escalation.opened", "escalation.overdue"],
            secret=secrets.token_urlsafe(32),
        )
        self.note(object_type="webhook", object_id=endpoint.pk, url=endpoint.url)
        return Response(
            {**webhook_json(endpoint), "secret": endpoint.secret}, status=status.HTTP_201_CREATED
        )


class WebhookOfClient(WebhookBase):
    def endpoint(self, request, webhook_id: int) -> WebhookEndpoint:
        endpoint = WebhookEndpoint.objects.filter(
            pk=webhook_id, client=self.client(request)
        ).first()
        if endpoint is None:
            raise NotFound("No such webhook.")
        self.note(object_type="webhook", object_id=endpoint.pk)
        return endpoint


class WebhookDetailView(WebhookOfClient):
    @extend_schema(responses={204: None}, operation_id="webhook_delete")
    def delete(self, request, webhook_id: int):
        """Remove a webhook (its delivery log goes with it)."""
        self.endpoint(request, webhook_id).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookDeliveriesView(WebhookOfClient):
    @extend_schema(responses={200: OpenApiTypes.OBJECT}, operation_id="webhook_deliveries")
    def get(self, request, webhook_id: int):
        """The delivery log: the newest 100 events and how each attempt went."""
        endpoint = self.endpoint(request, webhook_id)
        rows = WebhookDelivery.objects.filter(endpoint=endpoint).order_by("-pk")[:100]
        return Response(
            {
                "deliveries": [
                    {
                        "id": d.pk,
                        "event": d.event,
                        "escalation_id": d.escalation_id,
                        "state": d.state,
                        "attempts": d.attempts,
                        "last_status": d.last_status,
                        "last_error": d.last_error,
                        "created_at": _iso(d.created_at),
                        "last_attempt_at": _iso(d.last_attempt_at),
                        "delivered_at": _iso(d.delivered_at),
                    }
                    for d in rows
                ]
            }
        )

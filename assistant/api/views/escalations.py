"""Escalations for clinician systems: list by urgency, read with the thread, claim, reply, resolve
through the inbox's services; FHIR Task and Communication views.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import PermissionDenied as Forbidden
from rest_framework.response import Response

from assistant.api.views.base import ApiView
from portal.audit import audit_record

from ... import serializers as chat_serializers
from ...inbox import selectors as inbox_selectors
from ...inbox import services as inbox_services
from ...models import Escalation, Message
from .. import fhir
from .. import serializers as s
from ..auth import caller_of
from ..errors import BadRequest, Conflict


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

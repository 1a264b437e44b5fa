"""Records and integrations: FHIR bundle import, a patient's preventive care, and webhook
registrations with their delivery log.
"""

from __future__ import annotations

import secrets
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import parsers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import NotAuthenticated, NotFound
from rest_framework.exceptions import PermissionDenied as Forbidden
from rest_framework.response import Response

from assistant.api.views.base import ApiView, _iso
from portal.fhir import BundleError
from portal.models import Patient
from portal.services import patient_import_raw

from ... import serializers as chat_serializers
from ...models import ApiClient, WebhookDelivery, WebhookEndpoint
from ...preventive.services import preventive_panel_context
from .. import serializers as s
from ..auth import ApiTokenAuthentication, caller_of, patient_of, token_of
from ..errors import BadRequest


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
        responses={201: s.BundleImportedOut, 200: s.BundleImportedOut},
        operation_id="fhir_bundle_import",
    )
    def post(self, request):
        """Import one patient's FHIR R4 bundle with the portal's importer: all of it or nothing;
        a bad resource is named in `resource` and `detail`."""

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

    @extend_schema(responses={200: s.PreventiveOut}, operation_id="patient_preventive")
    def get(self, request, patient_id: int):
        """The patient's due and overdue preventive care with each rule, its reason and its
        citation (and the items that need information the record lacks)."""

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
    @extend_schema(responses={200: s.WebhookListOut}, operation_id="webhooks_list")
    def get(self, request):
        """This client's webhooks."""
        client = self.client(request)
        return Response({"webhooks": [webhook_json(w) for w in client.webhooks.order_by("pk")]})

    @extend_schema(
        request=s.WebhookIn,
        responses={201: s.WebhookCreatedOut},
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
    @extend_schema(responses={200: s.DeliveryListOut}, operation_id="webhook_deliveries")
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

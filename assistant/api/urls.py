"""/api/v1/: the endpoints, the OpenAPI 3 document and its docs page."""

from __future__ import annotations

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import errors, schema, views

app_name = "api"
_registered = schema.ApiTokenScheme  # the OpenAPI description of the tokens


class SchemaView(SpectacularAPIView):
    permission_classes = []  # the document is public: an integrator reads it before a token
    authentication_classes = []


class DocsView(SpectacularSwaggerSplitView):
    # Split: the page loads its script as a file, as the site's Content-Security-Policy wants.
    permission_classes = []
    authentication_classes = []
    url_name = "api:schema"


urlpatterns = [
    path("schema/", SchemaView.as_view(), name="schema"),
    path("docs/", DocsView.as_view(), name="docs"),
    path("triage", views.TriageView.as_view(), name="triage"),
    path("answers", views.AnswersView.as_view(), name="answers"),
    path("knowledge/search", views.KnowledgeSearchView.as_view(), name="knowledge_search"),
    path(
        "knowledge/sections/<str:section_id>",
        views.KnowledgeSectionView.as_view(),
        name="knowledge_section",
    ),
    path("conversations", views.ConversationsView.as_view(), name="conversations"),
    path(
        "conversations/<int:conversation_id>",
        views.ConversationView.as_view(),
        name="conversation",
    ),
    path(
        "conversations/<int:conversation_id>/messages",
        views.ConversationMessagesView.as_view(),
        name="conversation_messages",
    ),
    path("escalations", views.EscalationsListView.as_view(), name="escalations"),
    path(
        "escalations/<int:escalation_id>", views.EscalationDetailView.as_view(), name="escalation"
    ),
    path(
        "escalations/<int:escalation_id>/claim",
        views.EscalationClaimView.as_view(),
        name="escalation_claim",
    ),
    path(
        "escalations/<int:escalation_id>/reply",
        views.EscalationReplyView.as_view(),
        name="escalation_reply",
    ),
    path(
        "escalations/<int:escalation_id>/resolve",
        views.EscalationResolveView.as_view(),
        name="escalation_resolve",
    ),
    path("fhir/Task/<int:escalation_id>", views.FhirTaskView.as_view(), name="fhir_task"),
    path("fhir/Communication", views.FhirCommunicationView.as_view(), name="fhir_communication"),
    path("fhir/Bundle", views.FhirBundleView.as_view(), name="fhir_bundle"),
    path(
        "patients/<int:patient_id>/preventive",
        views.PatientPreventiveView.as_view(),
        name="patient_preventive",
    ),
    path("webhooks", views.WebhooksView.as_view(), name="webhooks"),
    path("webhooks/<int:webhook_id>", views.WebhookDetailView.as_view(), name="webhook"),
    path(
        "webhooks/<int:webhook_id>/deliveries",
        views.WebhookDeliveriesView.as_view(),
        name="webhook_deliveries",
    ),
    # Last: any other path under /api/v1/ (an id that is not a number, a typo) gets the API's
    # JSON error, not the site's HTML page.
    re_path(r"^", errors.no_such_endpoint, name="no_such_endpoint"),
]

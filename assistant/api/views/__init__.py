"""The /api/v1/ endpoints. Each validates its input, calls the service or pure function the
pages and the socket call, and shapes JSON. Access: `HasScope` (a token with the view's scope)
or `IsPatient` (the patient's own session, or a token bound to them).

Every call, allowed or refused, writes one audit entry (`ApiView.finalize_response`) with the
caller's identity (client id and name, or the user), the status and what it touched; never the
patient's words unless settings.API_AUDIT_TRIAGE_TEXT says so.
"""

from .clinical import AnswersView, KnowledgeSearchView, KnowledgeSectionView, TriageView
from .conversations import ConversationMessagesView, ConversationsView, ConversationView
from .escalations import (
    EscalationClaimView,
    EscalationDetailView,
    EscalationReplyView,
    EscalationResolveView,
    EscalationsListView,
    FhirCommunicationView,
    FhirTaskView,
)
from .records import (
    FhirBundleView,
    PatientPreventiveView,
    WebhookDeliveriesView,
    WebhookDetailView,
    WebhooksView,
)

__all__ = [
    "AnswersView",
    "ConversationMessagesView",
    "ConversationView",
    "ConversationsView",
    "EscalationClaimView",
    "EscalationDetailView",
    "EscalationReplyView",
    "EscalationResolveView",
    "EscalationsListView",
    "FhirBundleView",
    "FhirCommunicationView",
    "FhirTaskView",
    "KnowledgeSearchView",
    "KnowledgeSectionView",
    "PatientPreventiveView",
    "TriageView",
    "WebhookDeliveriesView",
    "WebhookDetailView",
    "WebhooksView",
]

"""The assistant app's models (app label `assistant`): the chat and its escalations (`chat`), the
nurse inbox's alerts, drafts and canned replies (`inbox`), and the API's clients and webhooks
(`api`). Import them from here."""

from .api import ApiClient, WebhookDelivery, WebhookEndpoint
from .chat import Conversation, Escalation, Feedback, JobHeartbeat, KnowledgeGap, Message
from .inbox import Alert, CannedReply, Disposition, DraftReply

__all__ = [
    "Alert",
    "ApiClient",
    "CannedReply",
    "Conversation",
    "Disposition",
    "DraftReply",
    "Escalation",
    "Feedback",
    "JobHeartbeat",
    "KnowledgeGap",
    "Message",
    "WebhookDelivery",
    "WebhookEndpoint",
]

"""The assistant app's models (app label `assistant`): the chat and its escalations (`chat`), and
the nurse inbox's alerts, drafts and canned replies (`inbox`). Import them from here."""

from .chat import Conversation, Escalation, Feedback, JobHeartbeat, KnowledgeGap, Message
from .inbox import Alert, CannedReply, Disposition, DraftReply

__all__ = [
    "Alert",
    "CannedReply",
    "Conversation",
    "Disposition",
    "DraftReply",
    "Escalation",
    "Feedback",
    "JobHeartbeat",
    "KnowledgeGap",
    "Message",
]

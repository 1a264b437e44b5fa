"""Conversations between a patient and the assistant, and the escalations nurses work.

The database is the source of truth: a message is saved before anything else happens to it, and
websocket events are only a notification that something new is in the database.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from portal.models import Patient


class Conversation(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="conversations")
    title = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return self.title or f"Conversation {self.pk}"

    @property
    def group_name(self) -> str:
        """The channel-layer group every open chat page of this conversation listens to."""
        return f"conversation.{self.pk}"


class Message(models.Model):
    class Role(models.TextChoices):
        PATIENT = "patient", "Patient"
        ASSISTANT = "assistant", "Assistant"
        NURSE = "nurse", "Nurse"
        SYSTEM = "system", "System"

    class Kind(models.TextChoices):
        QUESTION = "question", "Patient message"
        ANSWER = "answer", "Answer from approved content"
        RECORD = "record", "Answer from the patient's record"
        ABSTAIN = "abstain", "No approved answer"
        SAFETY = "safety", "Emergency safety instructions"
        HANDOFF = "handoff", "Sent to the care team"
        NURSE_REPLY = "nurse_reply", "Reply from a nurse"
        COURTESY = "courtesy", "Reply to a thank-you or greeting"
        ERROR = "error", "Could not answer"

    class AnswerState(models.TextChoices):
        """Where a patient message is in its way to an answer (only for patient messages)."""

        NONE = "", "-"
        PENDING = "pending", "Waiting for an answer"
        ANSWERED = "answered", "Answered"
        FAILED = "failed", "Failed"

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField()
    # The browser's id for a patient message: a resend with the same id is the same message.
    client_id = models.CharField(max_length=64, null=True, blank=True)
    reply_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies"
    )
    answer_state = models.CharField(
        max_length=20, choices=AnswerState.choices, default=AnswerState.NONE, blank=True
    )
    # When the answer of a pending message was last (re-)enqueued, and how many times it was
    # enqueued again: the sweeper re-enqueues a lost task, with backoff (services.py).
    answer_enqueued_at = models.DateTimeField(null=True, blank=True)
    answer_requeues = models.PositiveSmallIntegerField(default=0)
    # [{"n": 1, "section_id": ..., "version": ..., "title": ..., "source": ..., "url": ...,
    #   "text": ...}] - what the answer cites, frozen at answer time.
    citations = models.JSONField(default=list, blank=True)
    # Pipeline details kept for staff: escalation decision, scores, composer used.
    meta = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            # The sweeper's scan: patient messages still waiting for their answer.
            models.Index(
                fields=["created_at"],
                condition=Q(answer_state="pending"),
                name="message_pending_idx",
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "client_id"],
                condition=Q(client_id__isnull=False),
                name="uniq_message_client_id",
            )
        ]

    def __str__(self) -> str:
        return f"{self.role}: {self.text[:60]}"


class Escalation(models.Model):
    """A conversation handed to clinicians. It only ends when a nurse resolves it."""

    class Level(models.TextChoices):
        EMERGENCY = "emergency", "Emergency"
        URGENT = "urgent", "Urgent"
        ROUTINE = "routine", "Routine (question for a nurse)"

    class Status(models.TextChoices):
        OPEN = "open", "Sent to the care team"
        CLAIMED = "claimed", "A nurse is looking at this"
        RESOLVED = "resolved", "Resolved"

    PRIORITY = {"emergency": 0, "urgent": 1, "routine": 2}

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="escalations"
    )
    trigger_message = models.ForeignKey(
        Message, null=True, on_delete=models.SET_NULL, related_name="escalations"
    )
    level = models.CharField(max_length=20, choices=Level.choices)
    priority = models.PositiveSmallIntegerField(db_index=True)  # 0 = most urgent
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    rule_id = models.CharField(max_length=80, blank=True)
    rule_title = models.CharField(max_length=200, blank=True)
    matched = models.JSONField(default=list, blank=True)  # the words that fired the rule
    reason = models.TextField(blank=True)
    # Why the gate put the trigger message at this level (Decision.explanation(): which layers
    # decided, the rule, the classifier's probability and its nearest labelled messages), so the
    # nurse sees it and it outlives any later change of the rules or the model.
    triage = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    due_at = models.DateTimeField(db_index=True)  # target for a first nurse response
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    disposition = models.CharField(max_length=40, blank=True)
    resolution_note = models.TextField(blank=True)
    reopened_count = models.PositiveIntegerField(default=0)
    last_alert_at = models.DateTimeField(null=True, blank=True)
    alert_count = models.PositiveIntegerField(default=0)
    escalated_to_charge_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["priority", "created_at"]
        constraints = [
            # At most one unresolved escalation per conversation: new worries join it.
            models.UniqueConstraint(
                fields=["conversation"],
                condition=~Q(status="resolved"),
                name="uniq_open_escalation_per_conversation",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()} escalation #{self.pk}"


class Feedback(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="feedback")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    helpful = models.BooleanField()
    comment = models.TextField(blank=True, max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "user"], name="uniq_feedback_per_user")
        ]


class KnowledgeGap(models.Model):
    """A question the assistant could not answer from approved content: work for the curators."""

    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="gap")
    question = models.TextField()
    best_score = models.FloatField(null=True, blank=True)
    topics = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    closed = models.BooleanField(default=False)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]


class JobHeartbeat(models.Model):
    """When a background job last ran, for the health endpoint (a silent beat is an outage)."""

    name = models.CharField(max_length=80, unique=True)
    last_run_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.last_run_at:%Y-%m-%d %H:%M:%S}"

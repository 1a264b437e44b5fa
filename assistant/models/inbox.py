"""Models of the nurse inbox: canned replies, overdue alerts and the use of drafted replies.

Part of the `assistant.models` package; other models are referenced by "app.Model" strings so
that this module needs none of them loaded first.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

__all__ = ["Alert", "CannedReply", "Disposition", "DraftReply"]


class Disposition(models.TextChoices):
    """How a nurse closed an escalation (stored in Escalation.disposition)."""

    ANSWERED = "answered", "Answered the question"
    CALLED = "called", "Called the patient"
    EMERGENCY_ADVISED = "emergency_advised", "Advised emergency care"
    VISIT_BOOKED = "visit_booked", "Booked a visit"
    REFERRED = "referred", "Referred to another service"
    NO_ACTION = "no_action", "No action needed"


class CannedReply(models.Model):
    """A reply text nurses reuse; inserted into the reply box, always edited before sending."""

    title = models.CharField(max_length=120, unique=True)
    body = models.TextField(max_length=4000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]
        verbose_name_plural = "canned replies"

    def __str__(self) -> str:
        return self.title


class Alert(models.Model):
    """An in-app notice to one staff member that an escalation is overdue.

    Rows are written by the SLA job from database state alone, so a lost websocket event or a
    worker that was down only delays an alert: the next run writes (and emails) it.
    """

    class Kind(models.TextChoices):
        OVERDUE = "overdue", "Overdue escalation"
        CHARGE = "charge", "Escalated to the charge nurse"

    class EmailStatus(models.TextChoices):
        PENDING = "pending", "To send"
        SENT = "sent", "Sent"
        NO_ADDRESS = "no_address", "No e-mail address"
        FAILED = "failed", "Failed (retried by the next run)"

    escalation = models.ForeignKey(
        "assistant.Escalation", on_delete=models.CASCADE, related_name="alerts"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="inbox_alerts"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    text = models.CharField(max_length=300)
    # Which re-alert of the escalation this belongs to (Escalation.alert_count at the time):
    # with the unique constraint below, a job run twice can never write the same alert twice.
    round = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    email_status = models.CharField(
        max_length=20, choices=EmailStatus.choices, default=EmailStatus.PENDING, db_index=True
    )
    email_attempts = models.PositiveSmallIntegerField(default=0)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["escalation", "recipient", "round"], name="uniq_alert_per_round"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.recipient} (escalation {self.escalation_id})"


class DraftReply(models.Model):
    """A reply drafted from approved content for a nurse to edit; never sent by itself.

    When the nurse sends a reply built from it, `sent_message` and `similarity` (difflib ratio
    between the draft and the sent text, 1.0 = sent unchanged) show how useful drafts are.
    """

    escalation = models.ForeignKey(
        "assistant.Escalation", on_delete=models.CASCADE, related_name="drafts"
    )
    created_for = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    question = models.TextField()  # what the draft answers (the patient's words)
    text = models.TextField()
    citations = models.JSONField(default=list, blank=True)
    meta = models.JSONField(default=dict, blank=True)  # composer, retrieval scores, answer kind
    created_at = models.DateTimeField(auto_now_add=True)
    used = models.BooleanField(null=True)  # None = not decided yet, False = a reply went without it
    sent_message = models.OneToOneField(
        "assistant.Message",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="draft",
    )
    similarity = models.FloatField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Draft for escalation {self.escalation_id}"

    @property
    def edit_percent(self) -> int | None:
        """How much of the draft the nurse changed, for display (0 = sent as drafted)."""
        if self.similarity is None:
            return None
        return round((1 - self.similarity) * 100)

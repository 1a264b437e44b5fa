"""What the API accepts and returns. Input serializers validate (a bad field is a 400 naming
it); output serializers document the responses in the OpenAPI schema. All text is plain text:
a client must show it as text, never as HTML."""

from __future__ import annotations

from django.conf import settings
from rest_framework import serializers

from ..models import Disposition

CLIENT_ID_PATTERN = r"^[A-Za-z0-9_.:-]{1,64}$"  # as the chat socket accepts (consumers.py)


class StrictText(serializers.CharField):
    """A JSON string, never a number or a boolean turned into one."""

    default_error_messages = {"invalid": "Must be a string."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class MessageText(StrictText):
    """A patient's words: 1 to CHAT_MAX_MESSAGE_CHARS characters once trimmed."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("max_length", settings.CHAT_MAX_MESSAGE_CHARS)
        kwargs.setdefault("trim_whitespace", True)
        super().__init__(**kwargs)


# --- triage --------------------------------------------------------------------------------


class TriageIn(serializers.Serializer):
    text = MessageText(help_text="The message to classify, as the patient wrote it.")


class Exemplar(serializers.Serializer):
    text = serializers.CharField()
    level = serializers.CharField()
    similarity = serializers.FloatField(required=False)


class TriageOut(serializers.Serializer):
    level = serializers.ChoiceField(choices=["emergency", "urgent", "routine"])
    escalate = serializers.BooleanField()
    categories = serializers.ListField(child=serializers.CharField())
    rule_id = serializers.CharField()
    rule_title = serializers.CharField(allow_blank=True)
    rule_ids = serializers.ListField(
        child=serializers.CharField(), help_text="Every rule that fired, deciding one first."
    )
    decided_by = serializers.CharField(help_text='"rule", "classifier", "both" or "none".')
    matched = serializers.ListField(child=serializers.CharField())
    rationale = serializers.CharField(allow_blank=True)
    instructions = serializers.CharField(
        allow_blank=True, help_text="What the patient must be shown now (empty for routine)."
    )
    context = serializers.CharField(allow_blank=True)
    probabilities = serializers.DictField(child=serializers.FloatField())
    exemplars = serializers.ListField(child=serializers.DictField())
    gate = serializers.DictField(help_text="Which gate decided: classifier version and layer.")


# --- answers -------------------------------------------------------------------------------


class PatientIn(serializers.Serializer):
    age = serializers.IntegerField(required=False, min_value=0, max_value=130)
    sex = serializers.ChoiceField(choices=["female", "male", "other", "unknown"], required=False)
    conditions = serializers.ListField(
        child=StrictText(max_length=200), required=False, max_length=50
    )
    medications = serializers.ListField(
        child=StrictText(max_length=200), required=False, max_length=50
    )


class AnswersIn(serializers.Serializer):
    question = MessageText()
    patient = PatientIn(required=False)
    fhir_bundle = serializers.JSONField(
        required=False,
        help_text="A FHIR R4 Bundle (Patient, Condition, MedicationRequest ...) read for this "
        "answer only: nothing of it is saved.",
    )

    def validate(self, attrs):
        if "patient" in attrs and "fhir_bundle" in attrs:
            raise serializers.ValidationError(
                {"fhir_bundle": "Give either `patient` or `fhir_bundle`, not both."}
            )
        bundle = attrs.get("fhir_bundle")
        if bundle is not None and not isinstance(bundle, dict):
            raise serializers.ValidationError({"fhir_bundle": "Must be a FHIR Bundle object."})
        return attrs


class CitationOut(serializers.Serializer):
    n = serializers.IntegerField()
    kind = serializers.CharField(help_text='"section" (approved content) or "rule".')
    section_id = serializers.CharField()
    version = serializers.IntegerField(allow_null=True)
    title = serializers.CharField()
    source = serializers.CharField()
    url = serializers.CharField(allow_blank=True)
    text = serializers.CharField(allow_blank=True)


class AnswerOut(serializers.Serializer):
    kind = serializers.CharField(
        help_text='"answer", "record", "abstain", "safety", "handoff" or "courtesy".'
    )
    level = serializers.ChoiceField(choices=["emergency", "urgent", "routine"])
    escalate = serializers.BooleanField()
    text = serializers.CharField(allow_blank=True)
    citations = CitationOut(many=True)
    offer_nurse = serializers.BooleanField()
    provenance = serializers.DictField()


# --- knowledge -----------------------------------------------------------------------------


class SearchIn(serializers.Serializer):
    q = StrictText(max_length=500, trim_whitespace=True)
    k = serializers.IntegerField(required=False, min_value=1, max_value=20, default=5)


class SearchHit(serializers.Serializer):
    section_id = serializers.CharField()
    version = serializers.IntegerField()
    question = serializers.CharField()
    focus = serializers.CharField()
    qtype = serializers.CharField()
    source = serializers.CharField()
    url = serializers.CharField(allow_blank=True)
    score = serializers.FloatField()
    excerpt = serializers.CharField()


class SearchOut(serializers.Serializer):
    query = serializers.CharField()
    results = SearchHit(many=True)


# --- conversations -------------------------------------------------------------------------


class MessageIn(serializers.Serializer):
    client_id = serializers.RegexField(
        CLIENT_ID_PATTERN,
        help_text="Your id for this message (letters, digits, - _ . :): sending it again "
        "returns the stored message instead of a second one.",
    )
    text = MessageText()


# --- escalations ---------------------------------------------------------------------------


class ReplyIn(serializers.Serializer):
    text = StrictText(max_length=4000, trim_whitespace=True)


class ResolveIn(serializers.Serializer):
    disposition = serializers.ChoiceField(choices=Disposition.choices)
    note = StrictText(max_length=2000, required=False, allow_blank=True, default="")


class EscalationListIn(serializers.Serializer):
    status = serializers.ChoiceField(choices=["open", "resolved"], required=False, default="open")


# --- webhooks ------------------------------------------------------------------------------


class WebhookIn(serializers.Serializer):
    url = serializers.URLField(max_length=500)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=["escalation.opened", "escalation.overdue"]),
        min_length=1,
        required=False,
    )

    def validate_url(self, value: str) -> str:
        if value.startswith("http://") and not settings.API_WEBHOOK_ALLOW_HTTP:
            raise serializers.ValidationError("Webhook URLs must use https.")
        return value


# --- responses documented in the schema ------------------------------------------------------
# The views build their JSON from the same selectors the pages use; these serializers describe
# that JSON in the OpenAPI document (tests/api/test_api_contract.py holds every response to it).

LEVELS = ["emergency", "urgent", "routine"]


class ErrorOut(serializers.Serializer):
    """Every error: a code, a plain-text detail, and for a bad field the fields (errors.py)."""

    error = serializers.CharField(help_text='A code, e.g. "invalid", "not_found", "throttled".')
    detail = serializers.CharField(help_text="What went wrong, as plain text.")
    fields = serializers.DictField(
        required=False,
        help_text="For `invalid`: each bad field and what is wrong with it (a text, or for an "
        "object or a list the same per member).",
    )
    retry_after = serializers.IntegerField(required=False, help_text="Seconds (rate limits).")
    resource = serializers.CharField(
        required=False, allow_null=True, help_text="For `invalid_bundle`: the failing resource."
    )


class MessageCitationOut(serializers.Serializer):
    n = serializers.IntegerField(allow_null=True)
    kind = serializers.CharField(help_text='"section" (approved content) or "rule".')
    section_id = serializers.CharField(allow_blank=True)
    version = serializers.IntegerField(allow_null=True)
    title = serializers.CharField(allow_blank=True)
    focus = serializers.CharField(allow_blank=True)
    source = serializers.CharField(allow_blank=True)
    source_name = serializers.CharField(allow_blank=True)
    url = serializers.CharField(allow_blank=True)
    text = serializers.CharField(allow_blank=True)
    excerpt = serializers.CharField(allow_blank=True)


class FeedbackOut(serializers.Serializer):
    helpful = serializers.BooleanField()
    comment = serializers.CharField(allow_blank=True)


class MessageOut(serializers.Serializer):
    """One message of a conversation, as the patient's chat shows it (plain text)."""

    id = serializers.IntegerField()
    role = serializers.ChoiceField(choices=["patient", "assistant", "nurse", "system"])
    kind = serializers.CharField(
        help_text='"question", "answer", "record", "abstain", "safety", "handoff", '
        '"nurse_reply", "courtesy" or "error".'
    )
    text = serializers.CharField(allow_blank=True)
    author_name = serializers.CharField(allow_blank=True)
    author_label = serializers.CharField()
    created_at = serializers.DateTimeField(allow_null=True)
    citations = MessageCitationOut(many=True)
    client_id = serializers.CharField(allow_blank=True, allow_null=True)
    answer_state = serializers.ChoiceField(
        choices=["", "pending", "answered", "failed"],
        help_text="A patient message's way to its answer (empty for the others).",
    )
    reply_to = serializers.IntegerField(allow_null=True)
    rateable = serializers.BooleanField()
    offer_handoff = serializers.BooleanField()
    level = serializers.CharField(allow_blank=True)
    feedback = FeedbackOut(
        required=False, allow_null=True, help_text="Only on answers a patient may rate."
    )


class EscalationOut(serializers.Serializer):
    """One escalation as the nurses' queue shows it."""

    id = serializers.IntegerField()
    level = serializers.ChoiceField(choices=LEVELS)
    level_label = serializers.CharField()
    priority = serializers.IntegerField(help_text="0 emergency, 1 urgent, 2 routine.")
    status = serializers.ChoiceField(choices=["open", "claimed", "resolved"])
    status_label = serializers.CharField()
    patient_name = serializers.CharField(allow_blank=True)
    patient_id = serializers.IntegerField()
    rule_title = serializers.CharField(allow_blank=True)
    rule_id = serializers.CharField(allow_blank=True)
    matched = serializers.ListField(child=serializers.CharField())
    reason = serializers.CharField(allow_blank=True)
    excerpt = serializers.CharField(
        allow_blank=True, help_text="The start of the patient's message."
    )
    created_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField(help_text="When a first reply is due.")
    sla_text = serializers.CharField(allow_blank=True)
    overdue = serializers.BooleanField()
    awaiting_response = serializers.BooleanField()
    claimed_by_id = serializers.IntegerField(allow_null=True)
    claimed_by_name = serializers.CharField(allow_blank=True)
    first_response_at = serializers.DateTimeField(allow_null=True)
    alert_count = serializers.IntegerField()
    reopened_count = serializers.IntegerField()
    patient_wrote = serializers.BooleanField(
        help_text="The patient wrote again after the last nurse reply."
    )
    api_url = serializers.CharField()
    fhir_task_url = serializers.CharField()


class EscalationListOut(serializers.Serializer):
    escalations = EscalationOut(many=True)


class ThreadMessageOut(MessageOut):
    author_label = serializers.CharField(help_text='"Patient", or who wrote it.')


class EscalationDetailOut(EscalationOut):
    triage = serializers.DictField(
        allow_null=True, help_text="The gate's decision when the escalation opened."
    )
    messages = ThreadMessageOut(many=True)


class ConversationOut(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField(allow_null=True)
    updated_at = serializers.DateTimeField(allow_null=True)


class ConversationListOut(serializers.Serializer):
    conversations = ConversationOut(many=True)


class HandoffOut(serializers.Serializer):
    """The conversation's hand-off to the care team, as the patient reads it."""

    id = serializers.IntegerField()
    level = serializers.ChoiceField(choices=LEVELS)
    status = serializers.ChoiceField(choices=["open", "claimed", "resolved"])
    status_text = serializers.CharField()
    claimed_by_name = serializers.CharField(allow_blank=True)


class ConversationDetailOut(ConversationOut):
    messages = MessageOut(many=True)
    escalation = HandoffOut(allow_null=True)


class MessagePostedOut(serializers.Serializer):
    message = MessageOut()
    reply = MessageOut(
        allow_null=True, help_text="An emergency's instructions at once; else null (read later)."
    )


class PreventiveCitationOut(serializers.Serializer):
    source = serializers.CharField()
    year = serializers.IntegerField(allow_null=True)
    url = serializers.CharField(allow_blank=True)


class EducationOut(serializers.Serializer):
    section_id = serializers.CharField()
    version = serializers.IntegerField()
    question = serializers.CharField()
    url = serializers.CharField(allow_blank=True)


class PreventiveItemOut(serializers.Serializer):
    rule = serializers.CharField()
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=["overdue", "due", "up_to_date", "not_applicable"])
    reason = serializers.CharField(allow_blank=True)
    needs = serializers.ListField(
        child=serializers.CharField(), help_text="What the record lacks to decide."
    )
    last_done = serializers.DateField(allow_null=True)
    due_since = serializers.DateField(allow_null=True)
    citation = PreventiveCitationOut()
    education = EducationOut(allow_null=True)


class PreventiveOut(serializers.Serializer):
    patient_id = serializers.IntegerField()
    applies = serializers.BooleanField(help_text="False for a deceased patient (no items).")
    on = serializers.DateField(required=False)
    items = PreventiveItemOut(many=True, help_text="Overdue, then due.")
    to_check = PreventiveItemOut(many=True)
    up_to_date = serializers.ListField(child=serializers.CharField(), required=False)


class BundleImportedOut(serializers.Serializer):
    patient_id = serializers.IntegerField()
    patient_fhir_id = serializers.CharField()
    created = serializers.BooleanField(help_text="A new patient (201); else updated in place.")
    counts = serializers.DictField(
        child=serializers.IntegerField(), help_text="Entries of each kind the patient now has."
    )
    changes = serializers.DictField(
        child=serializers.IntegerField(), help_text="Entries created, updated and removed."
    )
    preventive_url = serializers.CharField()


class SectionArticleOut(serializers.Serializer):
    id = serializers.CharField()
    focus = serializers.CharField(allow_blank=True)
    source = serializers.CharField(allow_blank=True)
    url = serializers.CharField(allow_blank=True)


class SectionCurrentOut(serializers.Serializer):
    version = serializers.IntegerField()
    question = serializers.CharField(allow_blank=True)
    qtype = serializers.CharField(allow_blank=True)
    text = serializers.CharField(allow_blank=True)
    approved_at = serializers.DateTimeField(allow_null=True)
    review_by = serializers.DateField(allow_null=True)


class SectionHistoryOut(serializers.Serializer):
    version = serializers.IntegerField()
    state = serializers.CharField(help_text='"approved", "superseded" or "retired".')
    question = serializers.CharField(allow_blank=True)
    note = serializers.CharField(allow_blank=True)
    approved_at = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)
    end_reason = serializers.CharField(allow_blank=True)


class SectionOut(serializers.Serializer):
    section_id = serializers.CharField()
    article = SectionArticleOut()
    current = SectionCurrentOut()
    history = SectionHistoryOut(many=True, help_text="Newest first.")


class WebhookOut(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.CharField()
    events = serializers.ListField(child=serializers.CharField())
    active = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class WebhookListOut(serializers.Serializer):
    webhooks = WebhookOut(many=True)


class WebhookCreatedOut(WebhookOut):
    secret = serializers.CharField(help_text="The HMAC key; shown only in this response.")


class DeliveryOut(serializers.Serializer):
    id = serializers.IntegerField()
    event = serializers.CharField()
    escalation_id = serializers.IntegerField(allow_null=True)
    state = serializers.ChoiceField(choices=["pending", "delivered", "failed"])
    attempts = serializers.IntegerField()
    last_status = serializers.IntegerField(allow_null=True)
    last_error = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    last_attempt_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)


class DeliveryListOut(serializers.Serializer):
    deliveries = DeliveryOut(many=True)

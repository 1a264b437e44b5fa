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

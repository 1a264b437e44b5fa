"""Forms of the nurse inbox: they turn bad input into messages; services assume valid input."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model

from ..models import CannedReply, Disposition
from .services import REPLY_MAX_CHARS


class ReplyForm(forms.Form):
    text = forms.CharField(
        label="Reply to the patient",
        max_length=REPLY_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 8}),
        strip=True,
    )
    draft_id = forms.IntegerField(required=False, widget=forms.HiddenInput)


class ResolveForm(forms.Form):
    disposition = forms.ChoiceField(
        label="Outcome", choices=[("", "Choose…"), *Disposition.choices]
    )
    note = forms.CharField(
        label="Note (for the care team)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class CannedReplyForm(forms.ModelForm):
    class Meta:
        model = CannedReply
        fields = ["title", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 8})}


class AuditFilterForm(forms.Form):
    actor = forms.ModelChoiceField(
        queryset=get_user_model().objects.none(), required=False, empty_label="Anyone"
    )
    action = forms.ChoiceField(required=False)
    patient = forms.IntegerField(required=False, min_value=1, widget=forms.Select)
    date_from = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, actors=(), actions=(), patients=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["actor"].queryset = (
            get_user_model().objects.filter(pk__in=[a.pk for a in actors]).order_by("username")
        )
        self.fields["actor"].label_from_instance = lambda u: f"{u} ({u.username})"
        self.fields["action"].choices = [("", "Any action"), *[(a, a) for a in actions]]
        self.fields["patient"].widget.choices = [
            ("", "Any patient"),
            *[(p.pk, p.full_name) for p in patients],
        ]

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError("The start date is after the end date.")
        return data

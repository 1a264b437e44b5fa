"""Forms of the curation screens and of the "try a question" panel."""

from __future__ import annotations

import json

from django import forms
from django.utils.html import format_html, format_html_join

from .diff import definition_text
from .models import PreventiveRule, Section, SectionVersion
from .services import CurationError, canonical_rule_definition


class DatalistInput(forms.TextInput):
    """A text box that suggests the known values but accepts a new one."""

    def __init__(self, *args, options=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.options = list(options)

    def render(self, name, value, attrs=None, renderer=None):
        list_id = f"{(attrs or {}).get('id') or name}-options"
        self.attrs["list"] = list_id
        box = super().render(name, value, attrs, renderer)
        options = format_html_join("", '<option value="{}">', ((o,) for o in self.options))
        return format_html('{}<datalist id="{}">{}</datalist>', box, list_id, options)


def known_qtypes() -> list[str]:
    return sorted(set(SectionVersion.objects.values_list("qtype", flat=True).distinct()))


class SectionContentForm(forms.ModelForm):
    """The admin form of a section: its model fields (on add) plus the content of a new version.

    Saving never changes an existing version: the admin turns changed content into a new draft
    (knowledge.services.section_edit)."""

    question = forms.CharField(
        label="Question or heading", widget=forms.Textarea(attrs={"rows": 2, "cols": 90})
    )
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 16, "cols": 90}))
    qtype = forms.CharField(label="Type", max_length=60)
    note = forms.CharField(
        label="Change note",
        required=False,
        max_length=300,
        help_text="Why this version (shown in the history and to the reviewer).",
    )

    class Meta:
        model = Section
        fields = ("article", "external_id")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["qtype"].widget = DatalistInput(options=known_qtypes())
        latest = self.instance.latest if self.instance.pk else None
        if latest is not None:
            self.initial.update(question=latest.question, text=latest.text, qtype=latest.qtype)

    def _clean_text(self, name: str) -> str:
        # Browsers send text areas with CRLF line ends: store the text as it was typed.
        return self.cleaned_data[name].replace("\r\n", "\n").replace("\r", "\n").strip()

    def clean_question(self) -> str:
        return self._clean_text("question")

    def clean_text(self) -> str:
        return self._clean_text("text")

    def clean_qtype(self) -> str:
        return self.cleaned_data["qtype"].strip().lower()

    def content_changed(self) -> bool:
        return any(
            self.cleaned_data.get(name) != self.initial.get(name)
            for name in ("question", "text", "qtype")
        )


class RuleDefinitionForm(forms.ModelForm):
    """A preventive rule's definition as JSON, checked by the rule engine before saving."""

    definition = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 28, "cols": 100, "class": "vLargeTextField mono"}),
        help_text="The rule as the preventive-care engine reads it. It is checked before saving.",
    )
    note = forms.CharField(label="Change note", required=False, max_length=300)

    class Meta:
        model = PreventiveRule
        fields = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        latest = self.instance.latest if self.instance.pk else None
        if latest is not None:
            self.initial["definition"] = definition_text(latest.definition)

    def clean_definition(self) -> dict:
        raw = self.cleaned_data["definition"]
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(
                f"Not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."
            ) from exc
        try:
            definition = canonical_rule_definition(data)
        except CurationError as exc:
            raise forms.ValidationError(str(exc)) from exc
        if self.instance.pk and definition["key"] != self.instance.key:
            raise forms.ValidationError(f"The key must stay {self.instance.key!r}.")
        if not self.instance.pk and PreventiveRule.objects.filter(key=definition["key"]).exists():
            raise forms.ValidationError(f"A rule with key {definition['key']!r} already exists.")
        return definition

    def definition_changed(self) -> bool:
        latest = self.instance.latest if self.instance.pk else None
        return latest is None or latest.definition != self.cleaned_data["definition"]


class VersionActionForm(forms.Form):
    """The optional reason of a retirement or a send-back."""

    reason = forms.CharField(required=False, max_length=300)


class TryQuestionForm(forms.Form):
    question = forms.CharField(
        max_length=500,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "e.g. is polycystic kidney disease inherited?"}
        ),
    )
    topics = forms.CharField(
        required=False,
        max_length=300,
        help_text="Optional: a patient's conditions, comma-separated, to see the personal ranking.",
    )
    k = forms.IntegerField(label="Results", min_value=1, max_value=30, initial=10, required=False)

    def topic_list(self) -> tuple[str, ...]:
        raw = self.cleaned_data.get("topics") or ""
        return tuple(t.strip() for t in raw.split(",") if t.strip())

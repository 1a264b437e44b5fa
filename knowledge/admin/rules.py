"""The admin of preventive-care rules: definitions edited as new versions, reviewed and approved
like content.
"""

from __future__ import annotations

from django.contrib import admin, messages

from knowledge.admin.display import (
    LiveFilter,
    NewestStateFilter,
    ReviewDueFilter,
    review_by_cell,
    status_cell,
)
from knowledge.admin.versioned import VersionedAdmin

from .. import services
from ..forms import RuleDefinitionForm
from ..models import (
    PreventiveRule,
)


@admin.register(PreventiveRule)
class PreventiveRuleAdmin(VersionedAdmin):
    form = RuleDefinitionForm
    live_phrase = "In force for patients"
    not_live_phrase = "patients get no result from this rule until a version is approved."
    list_display = ("key", "title", "kind_col", "status_col", "review_col")
    list_display_links = ("key", "title")
    list_filter = (NewestStateFilter, LiveFilter, ReviewDueFilter)
    search_fields = ("key", "title")
    list_select_related = ("latest", "current_approved")
    fieldsets = [(None, {"fields": ("definition", "note")})]

    def get_fieldsets(self, request, obj=None):
        title = "New version" if obj is not None else "Definition (version 1)"
        return [(title, {"fields": ("definition", "note")})]

    @admin.display(description="Kind")
    def kind_col(self, obj: PreventiveRule) -> str:
        version = obj.current_approved or obj.latest
        return version.definition.get("kind", "") if version else ""

    @admin.display(description="Status", ordering="latest__state")
    def status_col(self, obj: PreventiveRule) -> str:
        return status_cell(obj)

    @admin.display(description="Review by", ordering="current_approved__review_by")
    def review_col(self, obj: PreventiveRule) -> str:
        return review_by_cell(obj.current_approved)

    def save_model(self, request, obj: PreventiveRule, form: RuleDefinitionForm, change: bool):
        definition = form.cleaned_data["definition"]
        note = form.cleaned_data.get("note", "")
        try:
            if not change:
                version = services.rule_create(
                    definition=definition, author=request.user, note=note
                )
                obj.pk = version.rule.pk
                obj.refresh_from_db()
            elif form.definition_changed():
                version = services.rule_edit(
                    rule=obj, definition=definition, author=request.user, note=note
                )
            else:
                messages.info(request, "The definition is unchanged: no new version was made.")
                return
        except services.CurationError as exc:
            messages.error(request, str(exc))
            return
        messages.info(
            request,
            f"Saved as draft {version}. Patients' results keep using the approved version until "
            "this one is approved.",
        )

    def save_related(self, request, form, formsets, change):
        pass

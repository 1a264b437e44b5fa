"""The curation screens (Django admin): find content, edit it as new versions, review, approve,
retire, compare versions.

Every write goes through knowledge.services, so the admin obeys the same workflow rules as any
other caller and keeps the retrieval index in step. Only curators (selectors.can_curate) see it.
Nothing is ever deleted here: answers cite versions, so history stays.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.views.decorators.http import require_POST

from . import bulk, services
from .diff import version_diff
from .forms import RuleDefinitionForm, SectionContentForm, VersionActionForm
from .models import (
    Article,
    PreventiveRule,
    ReviewedVersion,
    ReviewState,
    Section,
    SectionVersion,
)
from .selectors import can_curate

admin.site.site_header = "Riverside Health · administration"
admin.site.site_title = "Riverside Health admin"

# What a curator may do to a version in each state (the buttons of the history table).
ACTIONS_BY_STATE: dict[str, tuple[str, ...]] = {
    ReviewState.DRAFT: ("submit", "retire"),
    ReviewState.IN_REVIEW: ("approve", "return", "retire"),
    ReviewState.APPROVED: ("reconfirm", "retire"),
}
DONE_MESSAGES = {
    "submit": "submitted for review",
    "approve": "approved: it is now the version retrieval uses",
    "return": "sent back to draft",
    "reconfirm": "re-reviewed: still the approved version, review-by day moved on",
    "retire": "retired",
}
ACTION_LABELS = {
    "submit": "Submit for review",
    "approve": "Approve",
    "return": "Send back to draft",
    "reconfirm": "Re-reviewed: still accurate",
    "retire": "Retire",
}


def state_badge(version: ReviewedVersion | None) -> str:
    if version is None:
        return mark_safe('<span class="kb-badge kb-none">none</span>')
    return format_html(
        '<span class="kb-badge kb-{}">v{} · {}</span>',
        version.state,
        version.number,
        version.get_state_display(),
    )


def live_badge(version: ReviewedVersion | None) -> str:
    if version is None:
        return mark_safe('<span class="kb-badge kb-none">not live</span>')
    return format_html('<span class="kb-badge kb-approved">v{}</span>', version.number)


def status_cell(owner) -> str:
    """What is live, and what newer version waits, in one cell."""
    live = owner.current_approved
    newest = owner.latest
    parts = [
        format_html('<span class="kb-badge kb-approved">v{} live</span>', live.number)
        if live is not None
        else mark_safe('<span class="kb-badge kb-none">not live</span>')
    ]
    if live is not None and live.needs_review():
        parts.append(
            format_html(
                '<span class="kb-badge kb-overdue" title="Review-by day {} has passed">'
                "re-review due</span>",
                live.review_by.isoformat(),
            )
        )
    if newest is not None and newest != live:
        parts.append(state_badge(newest))
    return mark_safe("<br>".join(parts))


def review_by_cell(version: ReviewedVersion | None) -> str:
    if version is None or version.review_by is None:
        return "—"
    if version.needs_review():
        return format_html(
            '<span class="kb-badge kb-overdue" title="Review-by day {} has passed">'
            "{} · re-review</span>",
            version.review_by.isoformat(),
        )
    return version.review_by.isoformat()


class CuratorOnly:
    """Curators see and change everything of the knowledge base; nobody deletes anything."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return can_curate(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_curate(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_curate(request.user)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return can_curate(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_curate_permission(self, request: HttpRequest) -> bool:
        return can_curate(request.user)


# --------------------------------------------------------------------------------------------
# Filters
# --------------------------------------------------------------------------------------------
class _DistinctValueFilter(admin.SimpleListFilter):
    """Filter on one field by the distinct values found for it (sources, section types)."""

    path = ""  # the lookup the changelist is filtered on

    def values(self):
        raise NotImplementedError

    def lookups(self, request, model_admin):
        return [(v, v) for v in self.values()]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(**{self.path: self.value()})
        return queryset


class SourceFilter(_DistinctValueFilter):
    title = "source"
    parameter_name = "source"
    path = "article__source"

    def values(self):
        return Article.objects.order_by("source").values_list("source", flat=True).distinct()


class VersionSourceFilter(SourceFilter):
    path = "section__article__source"


class QtypeFilter(_DistinctValueFilter):
    title = "type"
    parameter_name = "qtype"
    path = "latest__qtype"

    def values(self):
        return SectionVersion.objects.order_by("qtype").values_list("qtype", flat=True).distinct()


class VersionQtypeFilter(QtypeFilter):
    path = "qtype"


class NewestStateFilter(admin.SimpleListFilter):
    title = "state of the newest version"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [
            (ReviewState.DRAFT, "Draft"),
            (ReviewState.IN_REVIEW, "In review"),
            (ReviewState.APPROVED, "Approved"),
            (ReviewState.RETIRED, "Retired"),
        ]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(latest__state=self.value())
        return queryset


class LiveFilter(admin.SimpleListFilter):
    title = "live in retrieval"
    parameter_name = "live"

    def lookups(self, request, model_admin):
        return [("yes", "Yes (has an approved version)"), ("no", "No")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(current_approved=None)
        if self.value() == "no":
            return queryset.filter(current_approved=None)
        return queryset


class ReviewDueFilter(admin.SimpleListFilter):
    title = "needs re-review"
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [("due", "Yes: past its review-by day"), ("soon", "Within 30 days"), ("ok", "No")]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "due":
            return queryset.filter(current_approved__review_by__lt=today)
        if self.value() == "soon":
            return queryset.filter(
                current_approved__review_by__gte=today,
                current_approved__review_by__lt=today + timedelta(days=30),
            )
        if self.value() == "ok":
            return queryset.filter(
                Q(current_approved=None) | Q(current_approved__review_by__gte=today)
            )
        return queryset


# --------------------------------------------------------------------------------------------
# What sections and rules share: history, version actions, diff, bulk actions
# --------------------------------------------------------------------------------------------
class VersionedAdmin(CuratorOnly, admin.ModelAdmin):
    change_form_template = "admin/knowledge/versioned_change_form.html"
    live_phrase = "Live in retrieval"
    not_live_phrase = "nothing of this is retrieved until a version is approved."
    diff_template = "admin/knowledge/diff.html"
    actions = ["approve_selected", "submit_selected", "reconfirm_selected", "retire_selected"]
    list_per_page = 50
    save_on_top = False

    # ---- URLs
    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        extra = [
            path(
                "<path:object_id>/diff/",
                self.admin_site.admin_view(self.diff_view),
                name="{}_{}_diff".format(*info),
            ),
            path(
                "<path:object_id>/versions/<int:number>/<slug:action>/",
                self.admin_site.admin_view(require_POST(self.version_action_view)),
                name="{}_{}_version_action".format(*info),
            ),
        ]
        return extra + super().get_urls()

    def _url(self, name: str, *args: Any) -> str:
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_{name}", args=args)

    # ---- Views
    def _owner_or_404(self, request: HttpRequest, object_id: str):
        if not can_curate(request.user):
            raise PermissionDenied
        return get_object_or_404(self.model, pk=object_id)

    def version_action_view(self, request: HttpRequest, object_id: str, number: int, action: str):
        owner = self._owner_or_404(request, object_id)
        version = get_object_or_404(owner.versions, number=number)
        form = VersionActionForm(request.POST)
        reason = form.cleaned_data["reason"] if form.is_valid() else ""
        user = request.user
        steps = {
            "submit": lambda: services.version_submit(version=version, user=user),
            "approve": lambda: services.version_approve(version=version, reviewer=user),
            "return": lambda: services.version_return(version=version, reviewer=user, note=reason),
            "reconfirm": lambda: services.version_reconfirm(version=version, reviewer=user),
            "retire": lambda: services.version_retire(version=version, user=user, reason=reason),
        }
        if action not in steps:
            messages.error(request, f"Unknown action {action!r}.")
        else:
            try:
                done = steps[action]()
            except services.CurationError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, f"{done} {DONE_MESSAGES[action]}.")
        return HttpResponseRedirect(self._url("change", owner.pk))

    def diff_view(self, request: HttpRequest, object_id: str):
        owner = self._owner_or_404(request, object_id)
        versions = list(owner.versions.order_by("number"))
        if len(versions) < 2:
            messages.info(request, f"{owner} has a single version: nothing to compare.")
            return HttpResponseRedirect(self._url("change", owner.pk))
        by_number = {v.number: v for v in versions}
        new = by_number.get(_int(request.GET.get("to"))) or versions[-1]
        default_old = owner.current_approved if owner.current_approved_id != new.pk else None
        old = by_number.get(_int(request.GET.get("from"))) or default_old
        if old is None or old == new:
            old = next((v for v in reversed(versions) if v.number < new.number), versions[0])
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Compare versions of {owner}",
            "owner": owner,
            "old": old,
            "new": new,
            "versions": versions,
            "fields": version_diff(old, new),
            "change_url": self._url("change", owner.pk),
            "diff_url": self._url("diff", owner.pk),
        }
        return TemplateResponse(request, self.diff_template, context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        owner = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if owner is not None:
            extra.update(self.history_context(owner))
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def history_context(self, owner) -> dict[str, Any]:
        versions = list(
            owner.versions.select_related(
                "created_by", "submitted_by", "reviewed_by", "ended_by"
            ).order_by("-number")
        )
        rows = []
        for version in versions:
            previous = next((v for v in versions if v.number < version.number), None)
            rows.append(
                {
                    "version": version,
                    "badge": state_badge(version),
                    "review_by": review_by_cell(version),
                    "actions": [
                        (
                            a,
                            ACTION_LABELS[a],
                            self._url("version_action", owner.pk, version.number, a),
                        )
                        for a in ACTIONS_BY_STATE.get(version.state, ())
                    ],
                    "diff_previous": (
                        f"{self._url('diff', owner.pk)}?from={previous.number}&to={version.number}"
                        if previous
                        else ""
                    ),
                }
            )
        return {
            "history": rows,
            "live_phrase": self.live_phrase,
            "not_live_phrase": self.not_live_phrase,
            "live": owner.current_approved,
            "newest": owner.latest,
            "next_number": (owner.latest.number + 1) if owner.latest_id else 1,
            "diff_url": self._url("diff", owner.pk) if len(versions) > 1 else "",
        }

    # ---- Bulk actions
    def _report(self, request: HttpRequest, outcome: bulk.BulkOutcome, verb: str) -> None:
        report_outcome(self, request, outcome, verb)

    def _selected(self, queryset):
        return list(queryset.select_related("latest", "current_approved"))

    @admin.action(description="Approve the version in review", permissions=["curate"])
    def approve_selected(self, request, queryset):
        outcome = bulk.owners_approve(owners=self._selected(queryset), reviewer=request.user)
        self._report(request, outcome, "Approved")

    @admin.action(description="Submit drafts for review", permissions=["curate"])
    def submit_selected(self, request, queryset):
        outcome = bulk.owners_submit(owners=self._selected(queryset), user=request.user)
        self._report(request, outcome, "Submitted")

    @admin.action(
        description="Re-reviewed: approved version still accurate", permissions=["curate"]
    )
    def reconfirm_selected(self, request, queryset):
        outcome = bulk.owners_reconfirm(owners=self._selected(queryset), reviewer=request.user)
        self._report(request, outcome, "Re-reviewed")

    @admin.action(description="Retire (take out of retrieval)", permissions=["curate"])
    def retire_selected(self, request, queryset):
        outcome = bulk.owners_retire(owners=self._selected(queryset), user=request.user)
        self._report(request, outcome, "Retired")

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


def report_outcome(
    modeladmin: admin.ModelAdmin, request: HttpRequest, outcome: bulk.BulkOutcome, verb: str
) -> None:
    """One message for what was done, one for what was skipped and why."""
    if outcome.done:
        names = ", ".join(str(v) for v in outcome.done[:12])
        more = f" and {len(outcome.done) - 12} more" if len(outcome.done) > 12 else ""
        modeladmin.message_user(
            request, f"{verb} {len(outcome.done)}: {names}{more}.", messages.SUCCESS
        )
    if outcome.skipped:
        reasons = "; ".join(reason for _, reason in outcome.skipped[:8])
        more = f"; and {len(outcome.skipped) - 8} more" if len(outcome.skipped) > 8 else ""
        modeladmin.message_user(
            request, f"Skipped {len(outcome.skipped)}: {reasons}{more}", messages.WARNING
        )


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


# --------------------------------------------------------------------------------------------
# Sections
# --------------------------------------------------------------------------------------------
@admin.register(Section)
class SectionAdmin(VersionedAdmin):
    form = SectionContentForm
    list_display = (
        "external_id",
        "section_col",
        "source_col",
        "qtype_col",
        "status_col",
    )
    list_display_links = ("external_id", "section_col")
    list_filter = (SourceFilter, QtypeFilter, NewestStateFilter, LiveFilter, ReviewDueFilter)
    search_fields = ("external_id", "article__focus", "latest__question", "latest__text")
    search_help_text = "Section id, topic, question or words of the text."
    list_select_related = ("article", "latest", "current_approved")
    autocomplete_fields = ("article",)
    show_full_result_count = True

    def get_readonly_fields(self, request, obj=None):
        return ("article", "external_id") if obj is not None else ()

    def get_fieldsets(self, request, obj=None):
        content = (
            "New version" if obj is not None else "Content (version 1)",
            {"fields": ("question", "qtype", "text", "note")},
        )
        return [(None, {"fields": ("article", "external_id")}), content]

    @admin.display(description="Topic and question", ordering="article__focus")
    def section_col(self, obj: Section) -> str:
        return format_html(
            '<strong>{}</strong><br><span class="kb-muted">{}</span>',
            Truncator(obj.article.focus).chars(60),
            Truncator(obj.latest.question if obj.latest else "").chars(100),
        )

    @admin.display(description="Source", ordering="article__source")
    def source_col(self, obj: Section) -> str:
        return obj.article.source

    @admin.display(description="Type", ordering="latest__qtype")
    def qtype_col(self, obj: Section) -> str:
        return obj.latest.qtype if obj.latest else ""

    @admin.display(description="Status", ordering="latest__state")
    def status_col(self, obj: Section) -> str:
        return status_cell(obj)

    @admin.display(description="Review by", ordering="current_approved__review_by")
    def review_col(self, obj: Section) -> str:
        return review_by_cell(obj.current_approved)

    def save_model(self, request, obj: Section, form: SectionContentForm, change: bool) -> None:
        data = form.cleaned_data
        try:
            if not change:
                version = services.section_create(
                    article=data["article"],
                    external_id=data["external_id"],
                    question=data["question"],
                    text=data["text"],
                    qtype=data["qtype"],
                    author=request.user,
                    note=data.get("note", ""),
                )
                obj.pk = version.section.pk
                obj.refresh_from_db()
            elif form.content_changed():
                version = services.section_edit(
                    section=obj,
                    question=data["question"],
                    text=data["text"],
                    qtype=data["qtype"],
                    author=request.user,
                    note=data.get("note", ""),
                )
            else:
                messages.info(request, "The content is unchanged: no new version was made.")
                return
        except services.CurationError as exc:
            messages.error(request, str(exc))
            return
        messages.info(
            request,
            f"Saved as draft {version}. Submit it for review; the live version stays in use "
            "until the new one is approved.",
        )

    def save_related(self, request, form, formsets, change):
        pass  # no related objects are edited here


# --------------------------------------------------------------------------------------------
# Versions: the review queue
# --------------------------------------------------------------------------------------------
@admin.register(SectionVersion)
class SectionVersionAdmin(CuratorOnly, admin.ModelAdmin):
    list_display = (
        "version_col",
        "question_col",
        "focus_col",
        "state_col",
        "origin",
        "created_at",
        "created_by",
        "reviewed_by",
        "review_col",
    )
    list_filter = ("state", "origin", VersionSourceFilter, VersionQtypeFilter)
    search_fields = ("section__external_id", "question", "section__article__focus")
    list_select_related = ("section__article", "created_by", "reviewed_by")
    actions = ["approve_selected", "retire_selected"]
    list_per_page = 50
    readonly_fields = (
        "section_link",
        "number",
        "state",
        "origin",
        "question",
        "qtype",
        "text",
        "note",
        "created_by",
        "created_at",
        "submitted_by",
        "submitted_at",
        "reviewed_by",
        "reviewed_at",
        "review_by",
        "ended_by",
        "ended_at",
        "end_reason",
    )
    fields = readonly_fields

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # versions are history: changed only through the workflow

    @admin.display(description="Version", ordering="section__external_id")
    def version_col(self, obj: SectionVersion) -> str:
        return str(obj)

    @admin.display(description="Question")
    def question_col(self, obj: SectionVersion) -> str:
        return Truncator(obj.question).chars(80)

    @admin.display(description="Topic", ordering="section__article__focus")
    def focus_col(self, obj: SectionVersion) -> str:
        return Truncator(obj.section.article.focus).chars(40)

    @admin.display(description="State", ordering="state")
    def state_col(self, obj: SectionVersion) -> str:
        return state_badge(obj)

    @admin.display(description="Review by", ordering="review_by")
    def review_col(self, obj: SectionVersion) -> str:
        return review_by_cell(obj)

    @admin.display(description="Section")
    def section_link(self, obj: SectionVersion) -> str:
        url = reverse("admin:knowledge_section_change", args=[obj.section_id])
        return format_html('<a href="{}">{} (history, actions, diff)</a>', url, obj.section)

    @admin.action(description="Approve", permissions=["curate"])
    def approve_selected(self, request, queryset):
        outcome = bulk.versions_approve(versions=list(queryset), reviewer=request.user)
        report_outcome(self, request, outcome, "Approved")

    @admin.action(description="Retire", permissions=["curate"])
    def retire_selected(self, request, queryset):
        outcome = bulk.versions_retire(versions=list(queryset), user=request.user)
        report_outcome(self, request, outcome, "Retired")


# --------------------------------------------------------------------------------------------
# Articles
# --------------------------------------------------------------------------------------------
class SectionInline(admin.TabularInline):
    model = Section
    fields = ("section_link", "question_col", "live_col", "newest_col")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("latest", "current_approved")

    @admin.display(description="Section")
    def section_link(self, obj: Section) -> str:
        url = reverse("admin:knowledge_section_change", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.external_id)

    @admin.display(description="Question")
    def question_col(self, obj: Section) -> str:
        return obj.latest.question if obj.latest else ""

    @admin.display(description="Live")
    def live_col(self, obj: Section) -> str:
        return live_badge(obj.current_approved)

    @admin.display(description="Newest version")
    def newest_col(self, obj: Section) -> str:
        return state_badge(obj.latest)


@admin.register(Article)
class ArticleAdmin(CuratorOnly, admin.ModelAdmin):
    list_display = ("external_id", "focus", "source", "section_count", "url")
    list_filter = (("source", admin.AllValuesFieldListFilter),)
    search_fields = ("external_id", "focus")
    inlines = [SectionInline]
    fields = (
        "external_id",
        "source",
        "document_id",
        "focus",
        "url",
        "cuis",
        "semantic_types",
        "synonyms",
        "origin_file",
    )

    def get_readonly_fields(self, request, obj=None):
        return ("external_id", "document_id", "origin_file") if obj is not None else ()

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "url":
            kwargs["assume_scheme"] = "https"  # a typed "example.org/page" means https
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_sections=Count("sections"))

    @admin.display(description="Sections", ordering="n_sections")
    def section_count(self, obj: Article) -> int:
        return obj.n_sections

    def save_model(self, request, obj: Article, form, change: bool) -> None:
        if not change:
            obj.save()
            return
        fields = {name: form.cleaned_data[name] for name in form.changed_data}
        services.article_update(article=obj, user=request.user, **fields)


# --------------------------------------------------------------------------------------------
# Preventive-care rules
# --------------------------------------------------------------------------------------------
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

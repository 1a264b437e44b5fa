"""The admin of approved content: sections, their versions, and articles."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import Truncator

from knowledge.admin.display import (
    CuratorOnly,
    LiveFilter,
    NewestStateFilter,
    QtypeFilter,
    ReviewDueFilter,
    SourceFilter,
    VersionQtypeFilter,
    VersionSourceFilter,
    live_badge,
    review_by_cell,
    state_badge,
    status_cell,
)
from knowledge.admin.versioned import VersionedAdmin, report_outcome

from .. import bulk, services
from ..forms import SectionContentForm
from ..models import (
    Article,
    Section,
    SectionVersion,
)


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

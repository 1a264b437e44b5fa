"""What the curation screens show: state badges and cells, the curator-only mixin, and the list
filters.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import admin
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from ..models import (
    Article,
    ReviewedVersion,
    ReviewState,
    SectionVersion,
)
from ..selectors import can_curate

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

"""The admin of versioned content (sections, preventive rules): history, version actions, bulk
actions, all through knowledge.services.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from knowledge.admin.display import (
    ACTION_LABELS,
    ACTIONS_BY_STATE,
    DONE_MESSAGES,
    CuratorOnly,
    review_by_cell,
    state_badge,
)

from .. import bulk, services
from ..diff import version_diff
from ..forms import VersionActionForm
from ..selectors import can_curate


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

"""Pages of the nurse inbox: the live queue, a thread, the dashboard, the audit log and the
canned replies. Views validate and render; services act (and audit); selectors decide access."""

from __future__ import annotations

import csv
import logging
from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from assistant.preventive.services import preventive_panel_context
from portal.audit import audit_record
from portal.decorators import ADMIN_ONLY, NURSE_ONLY, STAFF_ONLY, role_required
from portal.selectors import patient_record_summary

from .. import dashboard as dash
from ..models import CannedReply, Conversation, Disposition, Escalation
from ..serializers import message_to_dict
from . import alerts
from . import selectors as sel
from . import services as svc
from .forms import AuditFilterForm, CannedReplyForm, ReplyForm, ResolveForm

log = logging.getLogger(__name__)

AUDIT_PAGE_SIZE = 50
DASHBOARD_DAYS = (7, 14, 30, 90)
REASONS = {
    sel.can_work_queue: NURSE_ONLY,
    sel.can_read_threads: STAFF_ONLY,
    sel.can_view_dashboard: "The dashboard is for the nurse lead and administrators.",
    sel.can_read_audit: ADMIN_ONLY,
    sel.can_manage_canned_replies: NURSE_ONLY,
}


def staff_only(check: Callable[[object], bool]):
    """Signed-out visitors go to the sign-in page; the wrong role gets a 403 saying why."""
    return role_required(check, reason=REASONS.get(check, NURSE_ONLY))


# --- queue -----------------------------------------------------------------------------------


@require_GET
@staff_only(sel.can_work_queue)
def queue(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    open_escalations = sel.escalations_open_for_queue(user=request.user)
    rows = [sel.escalation_to_inbox_dict(e, now=now) for e in open_escalations]
    # Each row shows an excerpt of a patient's message: one entry for the list.
    audit_record(
        request_or_actor=request,
        action="queue.view",
        detail={"via": "page", "escalation_ids": [e.pk for e in open_escalations]},
    )
    resolved = sel.escalations_recently_resolved(user=request.user, limit=10)
    labels = dict(Disposition.choices)
    for esc in resolved:
        esc.disposition_label = labels.get(esc.disposition, esc.disposition)
    return render(
        request,
        "assistant/inbox/queue.html",
        {
            "rows": rows,
            "resolved": resolved,
            "targets": [
                (Escalation.Level(level).label.split(" (")[0], dash.minutes_label(minutes))
                for level, minutes in settings.ESCALATION_TARGET_MINUTES.items()
            ],
            "alerts": sel.alerts_unread_for_user(user=request.user),
            "overdue_count": sum(1 for r in rows if r["overdue"]),
        },
    )


@require_POST
@staff_only(sel.can_work_queue)
def alerts_read(request: HttpRequest) -> HttpResponse:
    ids = [int(v) for v in request.POST.getlist("alert") if v.isdigit()]
    alerts.alerts_mark_read(user=request.user, alert_ids=ids or None)
    return redirect(_safe_next(request, reverse("inbox:queue")))


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next", "")
    # Only paths inside this site: never an open redirect.
    return target if target.startswith("/") and not target.startswith("//") else default


# --- thread ----------------------------------------------------------------------------------


def _record_summary(patient):
    """The patient's record summary (conditions, medications, care plan, allergies)."""

    return patient_record_summary(patient=patient)


def _get_escalation(request: HttpRequest, escalation_id: int) -> Escalation:
    try:
        return sel.escalation_get_for_staff(user=request.user, escalation_id=escalation_id)
    except Escalation.DoesNotExist:
        raise Http404("No such escalation") from None


def _thread_messages(conversation: Conversation) -> list[dict]:

    rows = []
    for message in sel.thread_messages(conversation=conversation):
        data = message_to_dict(message)
        data["meta_level"] = (message.meta or {}).get("level", "")
        data["role_label"] = message.get_role_display()
        data["kind_label"] = message.get_kind_display()
        data["created"] = message.created_at
        rows.append(data)
    return rows


@require_GET
@staff_only(sel.can_read_threads)
def thread(request: HttpRequest, escalation_id: int) -> HttpResponse:
    esc = _get_escalation(request, escalation_id)
    conversation = esc.conversation
    patient = conversation.patient
    can_act = sel.can_work_queue(request.user)
    audit_record(
        request_or_actor=request,
        action="thread.view",
        object_type="escalation",
        object_id=esc.pk,
        patient=patient,
        detail={"conversation_id": conversation.pk, "record_summary": True},
    )
    draft = sel.draft_latest(escalation=esc)
    draft_error = ""
    if draft is None and can_act and esc.status != Escalation.Status.RESOLVED:
        try:
            draft = svc.draft_reply_build(escalation=esc, nurse=request.user)
        except Exception:  # a missing index must not hide the thread from the nurse
            log.exception("could not draft a reply for escalation %s", esc.pk)
            draft_error = "No draft could be prepared (the knowledge index is unavailable)."
    canned = sel.canned_replies_for_user(user=request.user) if can_act else []
    return render(
        request,
        "assistant/inbox/thread.html",
        {
            "esc": esc,
            "row": sel.escalation_to_inbox_dict(esc),
            "conversation": conversation,
            "patient": patient,
            "messages_list": _thread_messages(conversation),
            "record": _record_summary(patient),
            "preventive": preventive_panel_context(patient, audience="staff"),
            "can_act": can_act,
            "is_mine": esc.claimed_by_id == request.user.pk,
            "draft": draft,
            "draft_error": draft_error,
            "resolve_form": ResolveForm(),
            "canned": canned,
            "canned_json": [{"id": c.pk, "title": c.title, "body": c.body} for c in canned],
            "other_escalations": [
                e for e in sel.escalations_of_conversation(conversation=conversation) if e != esc
            ],
            "disposition_label": dict(Disposition.choices).get(esc.disposition, esc.disposition),
        },
    )


def _act(request: HttpRequest, escalation_id: int, action: Callable[[Escalation], str]):
    esc = _get_escalation(request, escalation_id)
    if not sel.can_work_queue(request.user):
        raise PermissionDenied
    try:
        done = action(esc)
    except svc.InboxConflict as exc:
        messages.error(request, str(exc))
    else:
        if done:
            messages.success(request, done)
    return redirect("inbox:thread", escalation_id=esc.pk)


@require_POST
@staff_only(sel.can_work_queue)
def thread_claim(request: HttpRequest, escalation_id: int) -> HttpResponse:
    def claim(esc: Escalation) -> str:
        svc.escalation_claim(escalation=esc, nurse=request.user, request=request)
        return "You have claimed this escalation. The patient sees that a nurse is on it."

    return _act(request, escalation_id, claim)


@require_POST
@staff_only(sel.can_work_queue)
def thread_unclaim(request: HttpRequest, escalation_id: int) -> HttpResponse:
    def unclaim(esc: Escalation) -> str:
        svc.escalation_unclaim(escalation=esc, nurse=request.user, request=request)
        return "Released: the escalation is back in the queue."

    return _act(request, escalation_id, unclaim)


@require_POST
@staff_only(sel.can_work_queue)
def thread_reply(request: HttpRequest, escalation_id: int) -> HttpResponse:
    form = ReplyForm(request.POST)

    def reply(esc: Escalation) -> str:
        if not form.is_valid():
            messages.error(request, "The reply is empty or too long; nothing was sent.")
            return ""
        draft = None
        if form.cleaned_data.get("draft_id"):
            draft = sel.draft_get(escalation=esc, draft_id=form.cleaned_data["draft_id"])
        svc.nurse_reply_send(
            escalation=esc,
            nurse=request.user,
            text=form.cleaned_data["text"],
            draft=draft,
            request=request,
        )
        return "Reply sent. The patient sees it in their chat."

    return _act(request, escalation_id, reply)


@require_POST
@staff_only(sel.can_work_queue)
def thread_resolve(request: HttpRequest, escalation_id: int) -> HttpResponse:
    form = ResolveForm(request.POST)

    def resolve(esc: Escalation) -> str:
        if not form.is_valid():
            messages.error(request, "Choose an outcome to resolve the escalation.")
            return ""
        svc.escalation_resolve(
            escalation=esc,
            nurse=request.user,
            disposition=form.cleaned_data["disposition"],
            note=form.cleaned_data["note"],
            request=request,
        )
        return "Resolved. A new message from the patient will reopen it."

    return _act(request, escalation_id, resolve)


@require_POST
@staff_only(sel.can_work_queue)
def thread_draft(request: HttpRequest, escalation_id: int) -> HttpResponse:
    def redraft(esc: Escalation) -> str:
        try:
            svc.draft_reply_build(escalation=esc, nurse=request.user)
        except Exception:
            log.exception("could not draft a reply for escalation %s", esc.pk)
            messages.error(request, "No draft could be prepared (the knowledge index is down).")
            return ""
        return "A new draft is ready below."

    return _act(request, escalation_id, redraft)


@require_GET
@staff_only(sel.can_read_threads)
def conversation(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """A conversation that may never have escalated (dashboard links: feedback, gaps)."""
    try:
        conv = sel.conversation_get_for_staff(user=request.user, conversation_id=conversation_id)
    except Conversation.DoesNotExist:
        raise Http404("No such conversation") from None
    audit_record(
        request_or_actor=request,
        action="conversation.view",
        object_type="conversation",
        object_id=conv.pk,
        patient=conv.patient,
        detail={"record_summary": True},
    )
    return render(
        request,
        "assistant/inbox/conversation.html",
        {
            "conversation": conv,
            "patient": conv.patient,
            "messages_list": _thread_messages(conv),
            "record": _record_summary(conv.patient),
            "preventive": preventive_panel_context(conv.patient, audience="staff"),
            "escalations": sel.escalations_of_conversation(conversation=conv),
            "highlight": _int_or_none(request.GET.get("message")),
        },
    )


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# --- dashboard -------------------------------------------------------------------------------


@require_GET
@staff_only(sel.can_view_dashboard)
def dashboard(request: HttpRequest) -> HttpResponse:
    days = _int_or_none(request.GET.get("days")) or 14
    if days not in DASHBOARD_DAYS:
        days = 14
    tz = timezone.get_current_timezone()
    today = timezone.localdate()
    day_list = dash.day_range(end=today, days=days)
    since = datetime.combine(day_list[0], datetime.min.time(), tzinfo=tz)
    rows = sel.dashboard_source_rows(user=request.user, since=since)
    escalations = rows["escalations"]
    escalation_bars = dash.per_day(
        ((e.created_at, e.level) for e in escalations), days=day_list, tz=tz, series=dash.LEVELS
    )
    conversation_bars = dash.per_day(
        ((t, "all") for t in rows["conversation_times"]), days=day_list, tz=tz
    )
    response_rows = [
        _response_row("All levels", None, escalations),
        *[
            _response_row(Escalation.Level(level).label.split(" (")[0], level, escalations)
            for level in dash.LEVELS
        ],
    ]
    feedback = rows["feedback"]
    feedback_stats = dash.feedback_stats(f.helpful for f in feedback)
    draft_stats = dash.draft_stats(rows["drafts"])
    return render(
        request,
        "assistant/inbox/dashboard.html",
        {
            "days": days,
            "day_choices": DASHBOARD_DAYS,
            "escalation_bars": escalation_bars,
            "conversation_bars": conversation_bars,
            "conversation_total": len(rows["conversation_times"]),
            "escalation_total": len(escalations),
            "level_totals": {
                level: sum(1 for e in escalations if e.level == level) for level in dash.LEVELS
            },
            "response_rows": response_rows,
            "overall": response_rows[0],
            "overdue": rows["overdue"],
            "feedback_stats": feedback_stats,
            "helpful_pct": _pct(feedback_stats.helpful_pct),
            "feedback_list": [f for f in feedback if f.comment or not f.helpful][:40],
            "gaps": rows["gaps"],
            "draft_stats": draft_stats,
            "draft_used_pct": _pct(draft_stats.used_pct),
            "draft_edit_pct": (
                _pct(100 * (1 - draft_stats.mean_similarity))
                if draft_stats.mean_similarity is not None
                else "—"
            ),
            "recent_escalations": escalations[:30],
        },
    )


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}%"


def _response_row(label: str, level: str | None, escalations: list[Escalation]) -> dict:
    chosen = [e for e in escalations if level is None or e.level == level]
    stats = dash.response_stats((e.created_at, e.first_response_at, e.due_at) for e in chosen)
    target = settings.ESCALATION_TARGET_MINUTES.get(level) if level else None
    return {
        "label": label,
        "level": level or "",
        "count": len(chosen),
        "answered": stats.answered,
        "waiting": stats.waiting,
        "p50": dash.minutes_label(stats.p50_minutes),
        "p90": dash.minutes_label(stats.p90_minutes),
        "within_target": stats.within_target,
        "target": dash.minutes_label(target) if target is not None else "",
    }


# --- audit log -------------------------------------------------------------------------------

AUDIT_CSV_COLUMNS = [
    "at",
    "actor",
    "actor_username",
    "action",
    "object_type",
    "object_id",
    "patient_id",
    "patient",
    "ip_address",
    "user_agent",
    "detail",
]


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_safe(value: str) -> str:
    """Cells starting with = + - @ are formulas to a spreadsheet: quote them (CSV injection)."""
    return "'" + value if value[:1] in {"=", "+", "-", "@", "\t", "\r"} else value


def _audit_csv_rows(events):
    yield AUDIT_CSV_COLUMNS
    for ev in events.iterator(chunk_size=500):
        yield [
            _csv_safe(str(v))
            for v in (
                ev.at.isoformat(),
                ev.actor_name,
                ev.actor.username if ev.actor else "",
                ev.action,
                ev.object_type,
                ev.object_id,
                ev.patient_id or "",
                ev.patient.full_name if ev.patient else "",
                ev.ip_address or "",
                ev.user_agent,
                ev.detail,
            )
        ]


@require_GET
@staff_only(sel.can_read_audit)
def audit(request: HttpRequest) -> HttpResponse:
    choices = sel.audit_filter_choices(user=request.user)
    form = AuditFilterForm(request.GET or None, **choices)
    filters = sel.AuditFilter()
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = sel.AuditFilter(
            actor_id=data["actor"].pk if data.get("actor") else None,
            action=data.get("action") or "",
            patient_id=data.get("patient"),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )
    events = sel.audit_events_filtered(user=request.user, filters=filters)
    if request.GET.get("export") == "csv":
        audit_record(
            request_or_actor=request,
            action="audit.export",
            object_type="audit_log",
            detail={k: str(v) for k, v in vars(filters).items() if v},
        )
        writer = csv.writer(_Echo())
        response = StreamingHttpResponse(
            (writer.writerow(row) for row in _audit_csv_rows(events)),
            content_type="text/csv; charset=utf-8",
        )
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
        return response
    page = Paginator(events, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("export", None)
    return render(
        request,
        "assistant/inbox/audit.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


# --- canned replies --------------------------------------------------------------------------


@require_GET
@staff_only(sel.can_manage_canned_replies)
def canned_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "assistant/inbox/canned_list.html",
        {"canned": sel.canned_replies_for_user(user=request.user)},
    )


@staff_only(sel.can_manage_canned_replies)
def canned_create(request: HttpRequest) -> HttpResponse:
    form = CannedReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        svc.canned_reply_create(
            actor=request.user,
            title=form.cleaned_data["title"],
            body=form.cleaned_data["body"],
            request=request,
        )
        messages.success(request, "Canned reply saved.")
        return redirect("inbox:canned_list")
    return render(request, "assistant/inbox/canned_form.html", {"form": form, "canned": None})


def _get_canned(request: HttpRequest, canned_id: int) -> CannedReply:
    try:
        return sel.canned_reply_get_for_user(user=request.user, canned_id=canned_id)
    except CannedReply.DoesNotExist:
        raise Http404("No such canned reply") from None


@staff_only(sel.can_manage_canned_replies)
def canned_edit(request: HttpRequest, canned_id: int) -> HttpResponse:
    canned = _get_canned(request, canned_id)
    form = CannedReplyForm(request.POST or None, instance=canned)
    if request.method == "POST" and form.is_valid():
        fresh = _get_canned(request, canned_id)  # the form mutated `canned` while validating
        svc.canned_reply_update(
            canned=fresh,
            actor=request.user,
            title=form.cleaned_data["title"],
            body=form.cleaned_data["body"],
            request=request,
        )
        messages.success(request, "Canned reply updated.")
        return redirect("inbox:canned_list")
    return render(request, "assistant/inbox/canned_form.html", {"form": form, "canned": canned})


@staff_only(sel.can_manage_canned_replies)
def canned_delete(request: HttpRequest, canned_id: int) -> HttpResponse:
    canned = _get_canned(request, canned_id)
    if request.method == "POST":
        svc.canned_reply_delete(canned=canned, actor=request.user, request=request)
        messages.success(request, "Canned reply deleted.")
        return redirect("inbox:canned_list")
    return render(request, "assistant/inbox/canned_delete.html", {"canned": canned})

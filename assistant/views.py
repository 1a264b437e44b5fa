"""The patient's chat pages.

The page renders the whole history on the server (it works before, and without, the socket); the
socket then keeps it live. The POST views are the no-JavaScript fallbacks of the socket frames.
"""

from __future__ import annotations

import uuid
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_GET, require_POST

from . import selectors, serializers, services
from .consumers import CLIENT_ID_RE, clean_text
from .models import Message


def patient_required(view):
    """Signed-in patients with a record only: anonymous -> sign-in page, anyone else -> 403."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        patient = selectors.patient_for_user(request.user)
        if patient is None:
            raise PermissionDenied("The chat is for patients.")
        request.patient = patient
        return view(request, *args, **kwargs)

    return wrapper


def _conversation_or_404(request: HttpRequest, conversation_id: int):
    conversation = selectors.conversation_get_for_user(
        user=request.user, conversation_id=conversation_id
    )
    if conversation is None:  # someone else's and nonexistent look the same
        raise Http404("No such conversation.")
    return conversation


def _page_url(conversation_id: int, anchor: str = "") -> str:
    url = reverse("assistant:conversation", args=[conversation_id])
    return f"{url}#{anchor}" if anchor else url


@require_GET
@patient_required
def chat(request: HttpRequest) -> HttpResponse:
    conversation = services.conversation_resume_or_start(patient=request.patient)
    return redirect(_page_url(conversation.pk))


@require_GET
@patient_required
def conversation(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = _conversation_or_404(request, conversation_id)
    items: list[dict[str, Any]] = serializers.messages_to_dicts(
        selectors.conversation_messages(conversation=conversation), user=request.user
    )
    for item in items:  # the template formats times itself
        item["created"] = parse_datetime(item["created_at"]) if item["created_at"] else None
    esc = selectors.escalation_current(conversation=conversation)
    context = {
        "conversation": conversation,
        "chat_messages": items,
        "handoff": serializers.escalation_to_dict(esc) if esc else None,
        "pending": any(
            m["role"] == Message.Role.PATIENT and m["answer_state"] == Message.AnswerState.PENDING
            for m in items
        ),
        "conversations": selectors.conversation_list_for_patient(patient=request.patient),
        "max_chars": settings.CHAT_MAX_MESSAGE_CHARS,
        # A fresh id per page load: a double-submitted no-JS form still stores one message.
        "form_client_id": f"form-{uuid.uuid4().hex}",
    }
    return render(request, "assistant/chat.html", context)


@require_POST
@patient_required
def conversation_new(request: HttpRequest) -> HttpResponse:
    conversation = services.conversation_start(patient=request.patient)
    return redirect(_page_url(conversation.pk))


@require_POST
@patient_required
def message_send(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = _conversation_or_404(request, conversation_id)
    client_id = request.POST.get("client_id", "")
    if not CLIENT_ID_RE.fullmatch(client_id):
        client_id = f"form-{uuid.uuid4().hex}"
    sent = services.message_submit(
        conversation=conversation,
        user=request.user,
        text=request.POST.get("text", ""),
        client_id=client_id,
    )
    if sent.refused == "empty":
        flash.error(request, "Your message was empty.")
    elif sent.refused == "too_long":
        flash.error(request, f"Messages can be at most {sent.limit} characters.")
    elif sent.refused == "rate_limited":
        flash.error(
            request,
            f"You are sending messages too quickly. Please wait {sent.retry_after} "
            "seconds and send it again.",
        )
    return redirect(_page_url(conversation.pk, "composer"))


@require_POST
@patient_required
def feedback(request: HttpRequest, message_id: int) -> HttpResponse:
    message = selectors.message_get_for_user(user=request.user, message_id=message_id)
    if message is None:
        raise Http404("No such message.")
    helpful = {"yes": True, "no": False}.get(request.POST.get("helpful", ""))
    comment = clean_text(request.POST.get("comment", ""))[:2000]
    if not serializers.message_to_dict(message)["rateable"] or helpful is None:
        flash.error(request, "Choose whether the answer was helpful.")
    else:
        services.feedback_record(
            user=request.user, message=message, helpful=helpful, comment=comment
        )
        flash.success(request, "Thank you for your feedback.")
    return redirect(_page_url(message.conversation_id, f"message-{message.pk}"))


@require_POST
@patient_required
def handoff(request: HttpRequest, message_id: int) -> HttpResponse:
    message = selectors.message_get_for_user(user=request.user, message_id=message_id)
    if message is None:
        raise Http404("No such message.")
    if (
        message.role == Message.Role.PATIENT
        or serializers.message_to_dict(message)["offer_handoff"]
    ):
        services.handoff_request(conversation=message.conversation, message=message)
        flash.success(request, "Your question was sent to your care team.")
    return redirect(_page_url(message.conversation_id, f"message-{message.pk}"))

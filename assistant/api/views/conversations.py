"""The signed-in patient's own conversations: list, read, post a message (idempotent on client_id,
the chat's rate limit).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from assistant.api.views.base import ApiView, _iso
from portal.models import Patient

from ... import ratelimit
from ... import selectors as chat_selectors
from ... import serializers as chat_serializers
from ... import services as chat_services
from ...consumers import clean_text
from .. import serializers as s
from ..auth import ApiTokenAuthentication, patient_of
from ..errors import BadRequest
from ..permissions import IsPatient


class PatientView(ApiView):
    authentication_classes = [ApiTokenAuthentication, SessionAuthentication]
    permission_classes = [IsPatient]
    audit_action = "api.conversation"

    def patient(self, request) -> Patient:
        patient = patient_of(request)
        self.note(patient=patient)
        return patient

    def conversation(self, request, conversation_id: int):
        self.patient(request)
        conversation = chat_selectors.conversation_get_for_user(
            user=request.user, conversation_id=conversation_id
        )
        if conversation is None:  # another patient's, or none: the same answer
            raise NotFound("No such conversation.")
        self.note(object_type="conversation", object_id=conversation.pk)
        return conversation


def conversation_json(conversation) -> dict[str, Any]:
    return {
        "id": conversation.pk,
        "title": conversation.title,
        "created_at": _iso(conversation.created_at),
        "updated_at": _iso(conversation.updated_at),
    }


class ConversationsView(PatientView):
    @extend_schema(responses={200: OpenApiTypes.OBJECT}, operation_id="conversations_list")
    def get(self, request):
        """The patient's conversations, most recent first."""
        patient = self.patient(request)
        rows = chat_selectors.conversation_list_for_patient(patient=patient, limit=50)
        return Response({"conversations": [conversation_json(c) for c in rows]})

    @extend_schema(
        request=None, responses={201: OpenApiTypes.OBJECT}, operation_id="conversations_start"
    )
    def post(self, request):
        """Start a new conversation."""
        conversation = chat_services.conversation_start(patient=self.patient(request))
        self.note(object_type="conversation", object_id=conversation.pk)
        return Response(conversation_json(conversation), status=status.HTTP_201_CREATED)


class ConversationView(PatientView):
    @extend_schema(responses={200: OpenApiTypes.OBJECT}, operation_id="conversation_read")
    def get(self, request, conversation_id: int):
        """One conversation with its messages (the newest 200, oldest first) and the status
        of its hand-off to the care team."""
        conversation = self.conversation(request, conversation_id)
        messages = chat_selectors.conversation_messages(conversation=conversation)
        esc = chat_selectors.escalation_current(conversation=conversation)
        return Response(
            {
                **conversation_json(conversation),
                "messages": chat_serializers.messages_to_dicts(messages, user=request.user),
                "escalation": chat_serializers.escalation_to_dict(esc) if esc else None,
            }
        )


class ConversationMessagesView(PatientView):
    @extend_schema(
        request=s.MessageIn,
        responses={200: OpenApiTypes.OBJECT, 201: OpenApiTypes.OBJECT},
        operation_id="conversation_post_message",
    )
    def post(self, request, conversation_id: int):
        """Send a message, as the chat page does: idempotent on `client_id` (a resend returns
        the stored message, 200), the chat's rate limit, the gate at once (an emergency's
        instructions come back in `reply`), an answer later (read the conversation)."""
        conversation = self.conversation(request, conversation_id)
        data = self.validated(s.MessageIn, request.data)
        text = clean_text(data["text"])
        if not text:
            raise BadRequest("The text is empty.", code="empty")
        client_id = data["client_id"]
        existing = chat_selectors.message_by_client_id(
            conversation=conversation, client_id=client_id
        )
        created = False
        if existing is None:
            allowed = ratelimit.message_rate_check(user=request.user)
            if not allowed.allowed:
                self.note(rate_limited=True)
                return Response(
                    {
                        "error": "rate_limited",
                        "detail": "You are sending messages too quickly. Please wait "
                        f"{allowed.retry_after} seconds and send it again.",
                        "retry_after": allowed.retry_after,
                    },
                    status=status.HTTP_429_TOO_MANY_REQUESTS,
                    headers={"Retry-After": str(allowed.retry_after)},
                )
            existing, created = chat_services.message_receive(
                conversation=conversation, user=request.user, text=text, client_id=client_id
            )
        reply = chat_selectors.message_answer_for(message=existing)
        self.note(message_id=existing.pk, created=created)
        return Response(
            {
                "message": chat_serializers.message_to_dict(existing),
                "reply": chat_serializers.message_to_dict(reply) if reply else None,
            },
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

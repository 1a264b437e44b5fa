"""Plain-dict views of chat objects, as sent over the websocket and embedded in the chat page.

Only what the patient may see goes out: pipeline scores and rule details stay in Message.meta for
staff. Every text field is raw text; the browser renders it with textContent, never as HTML.
"""

from __future__ import annotations

import re
from typing import Any

from knowledge.corpus import safe_link
from knowledge.sources import publisher_name

from . import selectors
from .models import Escalation, Feedback, Message

EXCERPT_CHARS = 700

# Answer kinds a patient can rate (thumbs up/down).
RATEABLE_KINDS = frozenset(
    {
        Message.Kind.ANSWER,
        Message.Kind.RECORD,
        Message.Kind.ABSTAIN,
        Message.Kind.SAFETY,
        Message.Kind.HANDOFF,
    }
)


def source_name(source: str) -> str:
    return publisher_name(source)


def citation_to_dict(raw: dict[str, Any]) -> dict[str, Any]:
    source = str(raw.get("source", ""))
    return {
        "n": raw.get("n"),
        "section_id": raw.get("section_id", ""),
        "version": raw.get("version"),
        "title": clean_title(
            str(raw.get("title") or raw.get("question") or raw.get("focus") or "")
        ),
        "focus": raw.get("focus", ""),
        "source": source,
        "source_name": source_name(source),
        "url": safe_url(str(raw.get("url", ""))),
        "text": raw.get("text", ""),
        "kind": raw.get("kind", "section"),
        "excerpt": excerpt(str(raw.get("text", ""))),
    }


def clean_title(title: str) -> str:
    """MedQuAD's generated questions read "What is (are) High Blood Pressure ?": tidy them."""
    title = re.sub(r"\s*\((?:are|is)\)", "", title)
    return re.sub(r"\s+([?.!])", r"\1", title).strip()


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """The start of a cited section, cut at a word boundary."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:.") + " …"


def safe_url(url: str) -> str:
    """Only http(s) links reach the page: a `javascript:` URL in content must never be a link
    (content indexed or cited before import-time cleaning can still carry one). The import's
    own rule, so that what import keeps and what a page may show are the same."""
    return safe_link(url)


def author_name(message: Message) -> str:
    if message.role == Message.Role.NURSE and message.author is not None:
        return str(message.author)
    return ""


def author_label(message: Message) -> str:
    """Who wrote it, as the patient reads it."""
    if message.role == Message.Role.PATIENT:
        return "You"
    if message.role == Message.Role.NURSE:
        name = author_name(message)
        return f"Nurse {name}" if name else "Your care team"
    return "Assistant"


def message_to_dict(message: Message, *, feedback: Feedback | None = None) -> dict[str, Any]:
    """The patient-visible fields of a message."""
    rateable = message.role == Message.Role.ASSISTANT and message.kind in RATEABLE_KINDS
    data: dict[str, Any] = {
        "id": message.pk,
        "role": message.role,
        "kind": message.kind,
        "text": message.text,
        "author_name": author_name(message),
        "author_label": author_label(message),
        "created_at": message.created_at.isoformat() if message.created_at else None,
        "citations": [citation_to_dict(c) for c in (message.citations or [])],
        "client_id": message.client_id,
        "answer_state": message.answer_state,
        "reply_to": message.reply_to_id,
        "rateable": rateable,
        "offer_handoff": message.kind in selectors.HANDOFF_OFFER_KINDS,
        "level": (message.meta or {}).get("level", ""),
    }
    if rateable:
        data["feedback"] = (
            {"helpful": feedback.helpful, "comment": feedback.comment} if feedback else None
        )
    return data


def messages_to_dicts(messages: list[Message], *, user) -> list[dict[str, Any]]:
    feedback = selectors.feedback_by_message(user=user, message_ids=[m.pk for m in messages])
    return [message_to_dict(m, feedback=feedback.get(m.pk)) for m in messages]


def escalation_status_text(esc: Escalation) -> tuple[str, str]:
    """What the patient reads about their hand-off, and the nurse's name when one answered."""
    reply = selectors.escalation_last_nurse_reply(escalation=esc)
    if reply is not None and reply.author is not None:
        name = str(reply.author)
        return f"Answered by Nurse {name}", name
    if esc.status == Escalation.Status.CLAIMED:
        name = str(esc.claimed_by) if esc.claimed_by else ""
        return "A nurse is looking at this", name
    if esc.status == Escalation.Status.RESOLVED:
        return "Closed by your care team", str(esc.resolved_by) if esc.resolved_by else ""
    return "Sent to your care team", ""


def escalation_to_dict(esc: Escalation) -> dict[str, Any]:
    status_text, nurse_name = escalation_status_text(esc)
    return {
        "id": esc.pk,
        "level": esc.level,
        "status": esc.status,
        "status_text": status_text,
        "claimed_by_name": nurse_name,
    }

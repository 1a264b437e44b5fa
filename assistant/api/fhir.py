"""Escalations as FHIR R4 resources: a `Task` for the escalation (status, priority, owner, due
date) and a `Communication` for each message of its thread.

Plain functions of the models; the resources validate against fhir.resources' R4B models
(tests/api/test_api_escalations.py).
"""

from __future__ import annotations

from typing import Any

from ..models import Escalation, Message

# Escalation level -> FHIR request priority.
PRIORITY = {"emergency": "stat", "urgent": "urgent", "routine": "routine"}


def _status(esc: Escalation) -> str:
    if esc.status == Escalation.Status.RESOLVED:
        return "completed"
    if esc.status == Escalation.Status.CLAIMED:
        return "in-progress" if esc.first_response_at else "accepted"
    return "requested"


def _instant(value) -> str | None:
    return value.isoformat() if value else None


def _patient_ref(esc: Escalation) -> dict[str, str]:
    patient = esc.conversation.patient
    return {"reference": f"Patient/{patient.fhir_id}", "display": patient.full_name}


def task(esc: Escalation) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Task",
        "id": str(esc.pk),
        "status": _status(esc),
        "businessStatus": {"text": esc.get_status_display()},
        "intent": "order",
        "priority": PRIORITY.get(esc.level, "routine"),
        "code": {"text": f"Respond to a patient's {esc.level} message"},
        "description": esc.rule_title or esc.reason or "Patient escalation",
        "for": _patient_ref(esc),
        "authoredOn": _instant(esc.created_at),
        "lastModified": _instant(esc.resolved_at or esc.first_response_at or esc.created_at),
        "restriction": {"period": {"end": _instant(esc.due_at)}},
    }
    if esc.claimed_by is not None:
        resource["owner"] = {"display": str(esc.claimed_by)}
    if esc.trigger_message_id:
        resource["focus"] = {"reference": f"Communication/{esc.trigger_message_id}"}
    if esc.status == Escalation.Status.RESOLVED:
        resource["statusReason"] = {"text": esc.disposition}
    return resource


def communication(message: Message, esc: Escalation) -> dict[str, Any]:
    patient = _patient_ref(esc)
    if message.role == Message.Role.PATIENT:
        sender = patient
    elif message.role == Message.Role.NURSE and message.author is not None:
        sender = {"display": f"Nurse {message.author}"}
    else:
        sender = {"display": "Automated assistant"}
    resource: dict[str, Any] = {
        "resourceType": "Communication",
        "id": str(message.pk),
        "basedOn": [{"reference": f"Task/{esc.pk}"}],
        "status": "completed",
        "subject": patient,
        "sent": _instant(message.created_at),
        "sender": sender,
        "payload": [{"contentString": message.text or "(no text)"}],
        "category": [{"text": f"{message.role} {message.kind}"}],
    }
    if message.reply_to_id:
        resource["inResponseTo"] = [{"reference": f"Communication/{message.reply_to_id}"}]
    return resource


def searchset(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(resources),
        "entry": [{"fullUrl": f"{r['resourceType']}/{r['id']}", "resource": r} for r in resources],
    }

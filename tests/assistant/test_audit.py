"""The audit trail: every staff read of a thread or record and every staff action is written with
who, when, what and from where; admins filter it and export it; patients' own reads are not."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from portal.audit import audit_record
from portal.models import AuditEvent

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0 Safari/537.36"


def test_audit_record_from_a_request_keeps_ip_and_user_agent(plain_nurse, emergency):
    request = RequestFactory().get("/", REMOTE_ADDR="10.1.2.3", HTTP_USER_AGENT=BROWSER)
    request.user = plain_nurse
    event = audit_record(
        request_or_actor=request,
        action="thread.view",
        object_type="escalation",
        object_id=emergency.pk,
        patient=emergency.conversation.patient,
    )
    assert event.actor == plain_nurse and event.actor_name == "Nora Quinn"
    assert event.ip_address == "10.1.2.3" and event.user_agent == BROWSER
    assert event.object_id == str(emergency.pk)


def test_forwarded_for_is_only_trusted_when_configured(settings, plain_nurse):
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6")
    request.user = plain_nurse
    assert audit_record(request_or_actor=request, action="x").ip_address == "10.0.0.1"
    settings.TRUSTED_PROXY_COUNT = 1
    assert audit_record(request_or_actor=request, action="x").ip_address == "6.6.6.6"


def test_a_forged_forwarded_for_entry_cannot_hide_the_reader(settings, plain_nurse):
    """Our proxy appends the address it saw; what the client wrote before it is a claim."""
    settings.TRUSTED_PROXY_COUNT = 1
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 6.6.6.6"
    )
    request.user = plain_nurse
    assert audit_record(request_or_actor=request, action="x").ip_address == "6.6.6.6"
    scope = {
        "user": plain_nurse,
        "client": ("10.0.0.1", 51000),
        "headers": [(b"x-forwarded-for", b"1.2.3.4, 6.6.6.6")],
    }
    assert audit_record(request_or_actor=scope, action="x").ip_address == "6.6.6.6"


def test_the_site_has_one_audit_writer():
    """The admin's record pages and the inbox wrote through two writers that read the client
    address differently; every audit entry is now created in portal/audit.py alone."""
    from django.conf import settings

    writers = sorted(
        str(path.relative_to(settings.BASE_DIR))
        for app in ("portal", "assistant", "knowledge")
        for path in (settings.BASE_DIR / app).rglob("*.py")
        if re.search(
            r"AuditEvent\.objects\.(bulk_)?create|(?<!class )AuditEvent\(", path.read_text()
        )
    )
    assert writers == ["portal/audit.py"]


def test_audit_record_from_a_websocket_scope_and_from_a_bare_user(plain_nurse):
    scope = {
        "user": plain_nurse,
        "client": ("192.168.0.9", 51000),
        "headers": [(b"user-agent", b"Firefox/140")],
    }
    event = audit_record(request_or_actor=scope, action="thread.watch")
    assert (event.ip_address, event.user_agent) == ("192.168.0.9", "Firefox/140")
    bare = audit_record(request_or_actor=plain_nurse, action="job")
    assert bare.actor == plain_nurse and bare.ip_address is None


def test_every_staff_read_of_a_thread_is_audited(client, plain_nurse, emergency):
    client.force_login(plain_nurse)
    url = reverse("inbox:thread", args=[emergency.pk])
    for _ in range(2):
        assert client.get(url, REMOTE_ADDR="10.9.8.7", HTTP_USER_AGENT=BROWSER).status_code == 200
    reads = AuditEvent.objects.filter(action="thread.view")
    assert reads.count() == 2  # every time, not once per nurse
    event = reads.first()
    assert event.actor == plain_nurse
    assert event.patient == emergency.conversation.patient
    assert event.object_type == "escalation" and event.object_id == str(emergency.pk)
    assert event.ip_address == "10.9.8.7" and event.user_agent == BROWSER


def test_an_admin_reading_a_conversation_is_audited(client, admin_user, emergency):
    client.force_login(admin_user)
    client.get(reverse("inbox:conversation", args=[emergency.conversation_id]))
    event = AuditEvent.objects.get(action="conversation.view")
    assert event.actor == admin_user and event.patient == emergency.conversation.patient


def test_refused_reads_leave_no_read_event(client, patient_user, emergency):
    client.force_login(patient_user)
    client.get(reverse("inbox:thread", args=[emergency.pk]))
    assert not AuditEvent.objects.filter(action="thread.view").exists()


def test_a_patient_reading_their_own_chat_is_not_audited(client, patient_user, emergency):
    client.force_login(patient_user)
    response = client.get(reverse("assistant:conversation", args=[emergency.conversation_id]))
    assert response.status_code == 200
    assert not AuditEvent.objects.exists()


def test_staff_actions_through_the_pages_are_audited_with_their_origin(
    client, plain_nurse, emergency
):
    client.force_login(plain_nurse)
    meta = {"REMOTE_ADDR": "10.0.0.7", "HTTP_USER_AGENT": BROWSER}
    client.post(reverse("inbox:claim", args=[emergency.pk]), **meta)
    client.post(reverse("inbox:reply", args=[emergency.pk]), {"text": "Call 911 now."}, **meta)
    client.post(
        reverse("inbox:resolve", args=[emergency.pk]),
        {"disposition": "emergency_advised", "note": "Ambulance called"},
        **meta,
    )
    client.post(reverse("inbox:canned_create"), {"title": "Hi", "body": "Hello"}, **meta)
    events = AuditEvent.objects.exclude(action="thread.view").order_by("at", "pk")
    assert [e.action for e in events] == [
        "escalation.claim",
        "escalation.reply",
        "escalation.resolve",
        "canned_reply.create",
    ]
    assert {(e.ip_address, e.user_agent, e.actor_id) for e in events} == {
        ("10.0.0.7", BROWSER, plain_nurse.pk)
    }


# --- the audit page -------------------------------------------------------------------------------


@pytest.fixture
def log(plain_nurse, second_nurse, emergency, urgent):
    maria = emergency.conversation.patient
    james = urgent.conversation.patient
    rows = [
        (plain_nurse, "thread.view", maria, 0),
        (plain_nurse, "escalation.reply", maria, 0),
        (second_nurse, "thread.view", james, 3),
        (second_nurse, "canned_reply.update", None, 10),
    ]
    for actor, action, patient, days_ago in rows:
        event = audit_record(request_or_actor=actor, action=action, patient=patient)
        AuditEvent.objects.filter(pk=event.pk).update(at=timezone.now() - timedelta(days=days_ago))
    return {"maria": maria, "james": james}


def _actions(response) -> list[str]:
    return [ev.action for ev in response.context["page"]]


def test_admins_filter_the_log_by_actor_action_patient_and_dates(
    client, admin_user, log, plain_nurse
):
    client.force_login(admin_user)
    url = reverse("inbox:audit")
    assert len(_actions(client.get(url))) == 4
    by_actor = client.get(url, {"actor": plain_nurse.pk})
    assert sorted(_actions(by_actor)) == ["escalation.reply", "thread.view"]
    by_action = client.get(url, {"action": "thread.view"})
    assert _actions(by_action) == ["thread.view", "thread.view"]
    by_patient = client.get(url, {"patient": log["james"].pk})
    assert _actions(by_patient) == ["thread.view"]
    week = timezone.localdate() - timedelta(days=7)
    recent = client.get(url, {"date_from": week.isoformat()})
    assert "canned_reply.update" not in _actions(recent) and len(_actions(recent)) == 3
    old = client.get(url, {"date_to": week.isoformat()})
    assert _actions(old) == ["canned_reply.update"]


def test_the_csv_export_has_the_filtered_rows_and_is_itself_audited(client, admin_user, log):
    client.force_login(admin_user)
    response = client.get(reverse("inbox:audit"), {"action": "thread.view", "export": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    body = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert len(rows) == 2
    assert {r["action"] for r in rows} == {"thread.view"}
    assert {r["patient"] for r in rows} == {"Maria Lopez", "James Kent"}
    assert AuditEvent.objects.filter(action="audit.export", actor=admin_user).exists()


def test_csv_cells_cannot_become_spreadsheet_formulas(client, admin_user, plain_nurse):
    audit_record(request_or_actor=plain_nurse, action="=HYPERLINK(1)", object_type="+cmd")
    client.force_login(admin_user)
    response = client.get(reverse("inbox:audit"), {"export": "csv"})
    body = b"".join(response.streaming_content).decode()
    assert "'=HYPERLINK(1)" in body and "'+cmd" in body


def test_only_admins_export(client, charge_nurse):
    client.force_login(charge_nurse)
    assert client.get(reverse("inbox:audit"), {"export": "csv"}).status_code == 403

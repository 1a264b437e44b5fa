"""The nurse inbox in two browsers: a patient writes something worrying, the nurse sees it appear
live, claims it, edits and sends the drafted reply, the patient sees the reply live, the nurse
resolves it. Screenshots of the queue, a thread, the dashboard and the audit log at 1280 and
390 px go to var/screenshots/."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from playwright.sync_api import expect

from knowledge.passages import Passage

MEDQUAD_DIR = Path(settings.PORTAL_DATA_DIR) / "medquad"
HEART_DOCS = ("8_NHLBI_QA_XML/0000058.xml", "7_SeniorHealth_QA/0000033.xml")
WORRY = "I have crushing chest pain going down my left arm and I feel sweaty"
EDIT = " I am calling you on your phone right now."
ADMIN_PASSWORD = "demo-admin-2026"
SIZES = (("1280", {"width": 1280, "height": 900}), ("390", {"width": 390, "height": 844}))


class HeartRetriever:
    """Keyword search over two real heart-attack articles (the `Retriever` protocol), so the
    draft is grounded in real approved text without building the whole index."""

    def __init__(self) -> None:
        from knowledge.corpus import parse_xml_file

        self.sections = []
        for rel in HEART_DOCS:
            result = parse_xml_file(MEDQUAD_DIR / rel, root=MEDQUAD_DIR)
            assert result.ok, result.error
            self.sections.extend(result.sections)

    def search(self, query: str, *, k: int = 10, topics: Sequence[str] = ()) -> list[Passage]:
        words = set(re.findall(r"[a-z]+", query.lower())) - {"i", "and", "my", "have", "the"}
        scored = []
        for s in self.sections:
            have = set(re.findall(r"[a-z]+", f"{s.focus} {s.question} {s.text[:600]}".lower()))
            if words & have:
                scored.append((len(words & have) / len(words), s))
        scored.sort(key=lambda pair: -pair[0])
        return [
            Passage(
                section_id=s.external_id,
                version=1,
                passage_id=f"{s.external_id}#0",
                text=s.text,
                question=s.question,
                focus=s.focus,
                qtype=s.qtype,
                source=s.source,
                url=s.url,
                score=score,
            )
            for score, s in scored[:k]
        ]


@pytest.fixture
def heart_retriever(monkeypatch):
    if not MEDQUAD_DIR.is_dir():
        pytest.skip("MedQuAD corpus not available")
    retriever = HeartRetriever()
    # The live server runs in this process: the inbox drafts from these articles.
    monkeypatch.setattr("knowledge.wiring.get_retriever", lambda: retriever, raising=False)
    return retriever


@pytest.fixture
def admin_account(transactional_db):
    from portal import roles
    from portal.services import staff_user_ensure

    staff_user_ensure(
        username="admin.e2e",
        password=ADMIN_PASSWORD,
        role_names=(roles.ADMIN,),
        first_name="Ada",
        last_name="Min",
        is_staff=True,
    )
    return "admin.e2e"


def _earlier_activity(patient, nurse) -> None:
    """Two weeks of past escalations, answers, ratings and gaps, so the charts have a shape."""
    from datetime import timedelta

    from django.utils import timezone

    from assistant.models import Conversation, Escalation, Feedback, KnowledgeGap, Message

    now = timezone.now()
    levels = ["routine", "urgent", "routine", "emergency", "routine", "urgent", "routine"]
    for day in range(1, 14):
        created = now - timedelta(days=day, hours=day % 5)
        conversation = Conversation.objects.create(patient=patient, title=f"Earlier {day}")
        question = Message.objects.create(
            conversation=conversation, role="patient", kind="question", text="Question"
        )
        answer = Message.objects.create(
            conversation=conversation, role="assistant", kind="answer", text="Answer"
        )
        Feedback.objects.create(
            message=answer,
            user=patient.user,
            helpful=day % 4 != 0,
            comment="Did not answer my question" if day % 4 == 0 else "",
        )
        if day % 3 == 0:
            KnowledgeGap.objects.create(message=question, question=f"Is supplement {day} safe?")
        if day % 2:
            continue
        level = levels[day % len(levels)]
        waited = {"emergency": 3 + day % 4, "urgent": 60 + 20 * day, "routine": 300 + 90 * day}
        esc = Escalation.objects.create(
            conversation=conversation,
            trigger_message=question,
            level=level,
            priority=Escalation.PRIORITY[level],
            rule_title="Earlier worry",
            due_at=created + timedelta(minutes=5 if level == "emergency" else 240),
            status="resolved",
            resolved_at=created + timedelta(minutes=waited[level] + 5),
            first_response_at=created + timedelta(minutes=waited[level]),
            claimed_by=nurse,
            resolved_by=nurse,
            disposition="answered",
        )
        Escalation.objects.filter(pk=esc.pk).update(created_at=created)
        Conversation.objects.filter(pk=conversation.pk).update(created_at=created)


def _shots(page, screenshot, name: str) -> None:
    for label, size in (
        ("1280", {"width": 1280, "height": 900}),
        ("390", {"width": 390, "height": 844}),
    ):
        page.set_viewport_size(size)
        page.wait_for_timeout(150)
        screenshot(page, f"inbox-{name}-{label}")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_worrying_message_to_nurse_reply_and_back(
    browser,
    asgi_live_server,
    demo_patient,
    nurse_user,
    admin_account,
    heart_retriever,
    login,
    screenshot,
):
    from assistant.models import DraftReply, Escalation, Message

    # The nurse's browser is set to another time zone than the clinic's (TIME_ZONE).
    nurse_ctx = browser.new_context(
        viewport={"width": 1280, "height": 900}, timezone_id="Pacific/Honolulu"
    )
    patient_ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    nurse = nurse_ctx.new_page()
    patient = patient_ctx.new_page()

    # The nurse has the queue open, live.
    login(nurse, asgi_live_server, nurse_user.username, nurse_user.password)
    nurse.goto(f"{asgi_live_server.url}/inbox/")
    expect(nurse.locator("#live-status")).to_have_text("Live", timeout=10_000)
    expect(nurse.locator("#queue-empty")).to_be_visible()
    mute = nurse.locator("#mute-toggle")
    mute.click()
    expect(mute).to_have_attribute("aria-pressed", "true")
    nurse.reload()  # the choice is remembered on this computer
    expect(nurse.locator("#mute-toggle")).to_have_attribute("aria-pressed", "true")
    nurse.locator("#mute-toggle").click()
    expect(nurse.locator("#mute-toggle")).to_have_text("Sound on")
    expect(nurse.locator("#live-status")).to_have_text("Live", timeout=10_000)

    # The patient writes something worrying in the chat.
    login(patient, asgi_live_server, demo_patient.username, demo_patient.password)
    patient.goto(f"{asgi_live_server.url}/chat/")
    patient.locator("#chat-input").fill(WORRY)
    patient.locator("#chat-send").click()
    expect(patient.locator("#chat-log")).to_contain_text("911", timeout=20_000)

    # It appears in the nurse's queue without a reload, flagged as an emergency.
    row = nurse.locator("#queue-body tr", has_text=demo_patient.patient.full_name)
    expect(row).to_be_visible(timeout=15_000)
    expect(row.locator(".badge-emergency")).to_be_visible()
    expect(row).to_contain_text("Unclaimed")
    expect(nurse.locator("#emergency-banner")).to_be_visible()
    nurse.wait_for_timeout(4000)  # let the flash settle: the banner stays
    _shots(nurse, screenshot, "queue")

    # The nurse opens it and claims it; the patient sees that a nurse is looking.
    row.locator("a.q-open").click()
    expect(nurse.locator("h1")).to_contain_text(demo_patient.patient.full_name)
    expect(nurse.locator("#transcript")).to_contain_text("crushing chest pain")
    nurse.locator("#claim-btn").click()
    expect(nurse.locator("#esc-status")).to_contain_text("Nora Quinn")
    expect(patient.locator("#handoff-banner")).to_contain_text(
        "A nurse is looking at this", timeout=10_000
    )

    # The patient adds a line: it appears live in the nurse's transcript, on the clinic's clock
    # like the lines the server rendered.
    patient.locator("#chat-input").fill("Thank you, I will stay by the phone.")
    patient.locator("#chat-send").click()
    line = nurse.locator("#transcript li", has_text="I will stay by the phone")
    expect(line).to_be_visible(timeout=10_000)
    for stamp in (line.locator("time"), nurse.locator("#transcript li time").first):
        at = datetime.fromisoformat(stamp.get_attribute("datetime"))
        at = at.astimezone(ZoneInfo(settings.TIME_ZONE))
        assert stamp.inner_text() == f"{at:%b} {at.day}, {at:%H:%M}"

    # The draft is in the reply box, grounded and cited; the nurse edits it and sends it.
    reply_box = nurse.locator("#reply-text")
    draft_text = reply_box.input_value()
    assert draft_text.startswith(f"Hello {demo_patient.given_name}, this is Nora")
    expect(nurse.locator(".draft-box .citations li").first).to_be_visible()
    _shots(nurse, screenshot, "thread")
    reply_box.fill(draft_text + EDIT)
    nurse.locator("#send-btn").click()
    expect(nurse.locator(".flash-success")).to_contain_text("Reply sent")

    # The patient's page shows the nurse's reply live, from a named nurse.
    reply = patient.locator("#chat-log li.msg-nurse").last
    expect(reply).to_contain_text(EDIT.strip(), timeout=10_000)
    expect(reply.locator(".msg-author")).to_contain_text("Nora")

    # Back in the queue, the row says the nurse has answered; when the patient writes again,
    # it says so live, though the reply target is met.
    nurse.goto(f"{asgi_live_server.url}/inbox/")
    row = nurse.locator("#queue-body tr", has_text=demo_patient.patient.full_name)
    expect(row).to_be_visible()
    expect(row.locator(".badge-new")).to_have_count(0)
    patient.locator("#chat-input").fill("My daughter is here with me now and has called them.")
    patient.locator("#chat-send").click()
    expect(row.locator(".badge-new")).to_contain_text("patient wrote", timeout=10_000)
    _shots(nurse, screenshot, "queue-patient-wrote")
    row.locator("a.q-open").click()
    expect(nurse.locator("#transcript")).to_contain_text("My daughter is here")

    # The nurse resolves it; it leaves the queue.
    nurse.locator("#id_disposition").select_option("emergency_advised")
    nurse.locator("#id_note").fill("Advised 911; ambulance called.")
    nurse.locator("#resolve-btn").click()
    expect(nurse.locator(".flash-success")).to_contain_text("Resolved")
    expect(patient.locator("#handoff-banner")).not_to_contain_text(
        "A nurse is looking at this", timeout=10_000
    )

    esc = Escalation.objects.get(conversation__patient=demo_patient.patient)
    assert esc.status == "resolved" and esc.disposition == "emergency_advised"
    assert esc.first_response_at is not None
    draft = DraftReply.objects.get(escalation=esc, used=True)
    sent = Message.objects.get(conversation=esc.conversation, role="nurse")
    assert draft.sent_message == sent and sent.text.endswith(EDIT.strip())
    assert 0.5 < draft.similarity < 1.0

    nurse.goto(f"{asgi_live_server.url}/inbox/")
    expect(nurse.locator("#queue-empty")).to_be_visible()

    # The nurse lead's and the admin's pages, with this and two earlier weeks of activity.
    _earlier_activity(demo_patient.patient, nurse_user.user)
    admin_ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    admin = admin_ctx.new_page()
    login(admin, asgi_live_server, admin_account, ADMIN_PASSWORD)
    admin.goto(f"{asgi_live_server.url}/inbox/dashboard/")
    expect(admin.locator(".kpis")).to_contain_text("escalations")
    _shots(admin, screenshot, "dashboard")
    admin.goto(f"{asgi_live_server.url}/inbox/audit/")
    expect(admin.locator(".audit-table")).to_contain_text("escalation.reply")
    _shots(admin, screenshot, "audit")
    for ctx in (nurse_ctx, patient_ctx, admin_ctx):
        ctx.close()

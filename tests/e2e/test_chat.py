"""A patient chats with the assistant in a real browser, over a real websocket.

Django's live server speaks only HTTP, so these tests serve the site's ASGI application (HTTP,
static files and websockets) with Daphne in a thread, against the same test database. Answers
come from the real pipeline over a real (small) index built from the corpus sections about high
blood pressure and the demo patient's conditions.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
MEDQUAD_DIR = Path(settings.PORTAL_DATA_DIR) / "medquad"
# Real MedQuAD documents: high blood pressure, the demo patient's conditions (anemia,
# prediabetes, obesity, chronic bronchitis / COPD) and, so that ranking matters, other topics.
INDEX_FILES = [
    "4_MPlus_Health_Topics_QA/0000471.xml",  # High Blood Pressure
    "7_SeniorHealth_QA/0000036.xml",  # High Blood Pressure
    "8_NHLBI_QA_XML/0000071.xml",  # High Blood Pressure
    "4_MPlus_Health_Topics_QA/0000034.xml",  # Anemia
    "8_NHLBI_QA_XML/0000002.xml",  # Anemia
    "4_MPlus_Health_Topics_QA/0000736.xml",  # Prediabetes
    "4_MPlus_Health_Topics_QA/0000656.xml",  # Obesity
    "8_NHLBI_QA_XML/0000095.xml",  # Overweight and Obesity
    "4_MPlus_Health_Topics_QA/0000197.xml",  # Chronic Bronchitis
    "8_NHLBI_QA_XML/0000021.xml",  # Bronchitis
    "4_MPlus_Health_Topics_QA/0000232.xml",  # COPD
    "7_SeniorHealth_QA/0000012.xml",  # COPD
    "4_MPlus_Health_Topics_QA/0000409.xml",  # Gout
    "6_NINDS_QA/0000120.xml",  # Epilepsy
    "4_MPlus_Health_Topics_QA/0000666.xml",  # Osteoarthritis
    "8_NHLBI_QA_XML/0000010.xml",  # Asthma
    "7_SeniorHealth_QA/0000015.xml",  # Diabetes
]


# --- a real ASGI server (HTTP + websockets) --------------------------------------------------


@pytest.fixture(scope="session")
def asgi_server(asgi_live_server):
    return asgi_live_server


@pytest.fixture(scope="session")
def small_index_dir(tmp_path_factory) -> Path:
    """A real index (embeddings + BM25) of the sections of INDEX_FILES, built once."""
    from knowledge.corpus import parse_xml_file
    from knowledge.index import IndexDoc, KnowledgeIndex

    docs = []
    for rel in INDEX_FILES:
        result = parse_xml_file(MEDQUAD_DIR / rel, root=MEDQUAD_DIR)
        assert result.ok, result.error
        docs.extend(IndexDoc.from_record(record, version=2) for record in result.sections)
    directory = tmp_path_factory.mktemp("chat-index")
    index = KnowledgeIndex(directory=directory, cache_dir=Path(settings.EMBEDDING_CACHE_DIR))
    index.rebuild(docs)
    return directory


@pytest.fixture
def chat_site(transactional_db, asgi_server, small_index_dir, settings, page):
    """The server, answering from the small index (the server thread reads these settings)."""
    settings.KNOWLEDGE_INDEX_DIR = small_index_dir
    settings.LLM_PROVIDER = ""
    yield asgi_server
    # Close the socket while the test database is still open to the server thread.
    page.goto("about:blank")
    time.sleep(0.3)


def open_chat(page, chat_site, login, demo_patient, viewport=DESKTOP):
    page.set_viewport_size(viewport)
    login(page, chat_site, demo_patient.username, demo_patient.password)
    page.goto(f"{chat_site.url}/chat/")
    expect(page).to_have_url(re.compile(r"/chat/\d+/$"))
    expect(page.locator("#chat-connection")).to_have_attribute("data-state", "online")


def ask(page, text: str) -> None:
    """Type a question and send it with the Enter key, as a keyboard user does."""
    box = page.get_by_label("Your message")
    box.fill(text)
    box.press("Enter")


def last_reply(page):
    return page.locator("#chat-log li[data-reply-to]").last


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


# --- the tests ------------------------------------------------------------------------------------


def test_a_patient_asks_a_general_question_and_reads_a_cited_answer(
    page, chat_site, demo_patient, login, screenshot
):
    open_chat(page, chat_site, login, demo_patient)
    expect(page.get_by_text("This is an automated assistant.")).to_be_visible()
    expect(page.get_by_role("log", name="Conversation")).to_be_visible()

    ask(page, "What is high blood pressure?")
    mine = page.locator('#chat-log li[data-role="patient"]').last
    expect(mine).to_contain_text("What is high blood pressure?")
    expect(page.get_by_label("Your message")).to_be_focused()  # ready for the next question
    expect(page.get_by_label("Your message")).to_have_value("")

    answer = last_reply(page)
    expect(answer).to_have_attribute("data-kind", "answer", timeout=20_000)
    expect(answer.locator(".msg-text")).to_contain_text(re.compile("blood pressure", re.I))
    expect(answer.locator(".msg-text")).to_contain_text("[1]")
    expect(page.locator("#chat-thinking")).to_be_hidden()

    # The source opens in place: its question, an excerpt, the organisation and a link.
    first_source = answer.locator("details.citation").first
    first_source.locator("summary").click()
    expect(first_source.locator(".cite-title")).to_contain_text(re.compile("blood pressure", re.I))
    expect(first_source.locator(".cite-text")).not_to_be_empty()
    expect(first_source.locator(".cite-org")).not_to_be_empty()
    expect(
        first_source.get_by_role("link", name=re.compile("Read the full section"))
    ).to_have_attribute("href", re.compile(r"^https?://"))

    # Thumbs up, with the keyboard.
    answer.get_by_role("button", name="Yes").focus()
    page.keyboard.press("Enter")
    expect(answer.get_by_role("button", name="Yes")).to_have_attribute("aria-pressed", "true")
    expect(answer.locator(".feedback-status")).to_contain_text("saved")
    screenshot(page, "chat-answer-desktop")

    page.set_viewport_size(PHONE)
    expect(answer).to_be_visible()
    assert fits_the_screen(page)
    screenshot(page, "chat-answer-phone")

    # A reload shows the same conversation from the database, rating included.
    page.reload()
    answer = last_reply(page)
    expect(answer).to_have_attribute("data-kind", "answer")
    expect(answer.get_by_role("button", name="Yes")).to_have_attribute("aria-pressed", "true")


def test_a_patient_asks_about_their_own_condition(page, chat_site, demo_patient, login, screenshot):
    open_chat(page, chat_site, login, demo_patient)
    ask(page, "How is my condition treated?")
    answer = last_reply(page)
    expect(answer).to_have_attribute("data-kind", re.compile("answer|record"), timeout=20_000)
    titles = " ".join(answer.locator(".cite-title").all_text_contents()).lower()
    text = answer.locator(".msg-text").inner_text().lower()
    keywords = {"anemia", "prediabetes", "obesity", "overweight", "bronchitis", "copd"}
    conditions = " ".join(demo_patient.active_conditions).lower()
    assert {k for k in keywords if k in conditions}, demo_patient.active_conditions
    # The answer is about one of the patient's own conditions, cited.
    assert any(k in titles and k in conditions for k in keywords), titles
    assert any(k in text and k in conditions for k in keywords), text
    screenshot(page, "chat-own-condition-desktop")


def test_an_emergency_shows_the_safety_instructions_at_once(
    page, chat_site, demo_patient, login, screenshot
):
    open_chat(page, chat_site, login, demo_patient)
    started = time.monotonic()
    ask(page, "I have crushing chest pain and I can't breathe")
    notice = page.locator("#chat-log .safety-notice").last
    expect(notice).to_be_visible(timeout=5_000)
    elapsed = time.monotonic() - started
    expect(notice).to_have_attribute("role", "alert")
    expect(notice).to_contain_text("911")
    expect(notice.get_by_role("link", name="Call 911")).to_have_attribute("href", "tel:911")
    expect(notice.get_by_role("link", name=re.compile("988"))).to_have_attribute("href", "tel:988")
    expect(page.locator("#handoff-banner")).to_contain_text("Sent to your care team")
    assert elapsed < 5
    screenshot(page, "chat-emergency-desktop")
    page.set_viewport_size(PHONE)
    expect(notice.get_by_role("link", name="Call 911")).to_be_visible()
    assert fits_the_screen(page)
    screenshot(page, "chat-emergency-phone")


def test_times_follow_the_clinics_clock_wherever_the_browser_is(
    browser, chat_site, demo_patient, login
):
    # The portal runs on the clinic's time zone (TIME_ZONE); this browser is in Honolulu. Live
    # bubbles, the same bubbles after a reload and the conversation list all show clinic time.
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from django.conf import settings

    clinic = ZoneInfo(settings.TIME_ZONE)

    def shown(locator, with_day: bool = False) -> list[tuple[str, str]]:
        """(what the page shows, the clinic's clock at that element's datetime)."""
        pairs = []
        for t in locator.all():
            at = datetime.fromisoformat(t.get_attribute("datetime")).astimezone(clinic)
            clock = f"{at:%b} {at.day}, {at:%H:%M}" if with_day else f"{at:%H:%M}"
            pairs.append((t.inner_text(), clock))
        return pairs

    context = browser.new_context(timezone_id="Pacific/Honolulu")
    page = context.new_page()
    open_chat(page, chat_site, login, demo_patient)
    ask(page, "What is anemia?")
    expect(last_reply(page)).to_have_attribute("data-kind", "answer", timeout=20_000)
    live = shown(page.locator("#chat-log time.msg-time"))
    page.reload()
    after = shown(page.locator("#chat-log time.msg-time"))
    listed = shown(page.locator(".conv-list time"), with_day=True)
    context.close()
    assert len(live) == 2 and live == after
    for text, clinic_time in live + listed:
        assert text == clinic_time


def test_a_message_typed_after_the_session_ended_is_sent_after_signing_in_again(
    page, chat_site, demo_patient, login, screenshot
):
    from datetime import timedelta

    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from assistant.models import Message

    open_chat(page, chat_site, login, demo_patient)
    chat_url = page.url
    # The patient left the page open past the idle limit; the session has expired.
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    ask(page, "What is anemia?")
    expect(page.locator("#chat-connection")).to_have_attribute("data-state", "offline")
    expect(page.locator("#chat-alert")).to_contain_text(
        "Your session has ended: your message is not sent yet. If this is an emergency, call 911"
    )
    mine = page.locator('#chat-log li[data-role="patient"]', has_text="What is anemia?")
    expect(mine).to_contain_text("Will be sent after you sign in again")
    screenshot(page, "chat-session-ended")
    assert not Message.objects.filter(text="What is anemia?").exists()

    page.get_by_role("link", name="Sign in again").click()
    page.get_by_label("Username").fill(demo_patient.username)
    page.get_by_label("Password").fill(demo_patient.password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(chat_url)  # back in the same conversation
    expect(mine).to_have_attribute("data-message-id", re.compile(r"\d+"), timeout=10_000)
    expect(last_reply(page)).to_have_attribute("data-kind", "answer", timeout=20_000)
    assert Message.objects.filter(text="What is anemia?").count() == 1


def test_html_typed_by_the_patient_is_shown_as_text(page, chat_site, demo_patient, login):
    open_chat(page, chat_site, login, demo_patient)
    page.evaluate("window.__pwned = false")
    ask(page, '<img src=x onerror="window.__pwned = true"> <b>what is anemia?</b>')
    mine = page.locator('#chat-log li[data-role="patient"]').last
    expect(mine.locator(".msg-text")).to_have_text(
        '<img src=x onerror="window.__pwned = true"> <b>what is anemia?</b>'
    )
    expect(last_reply(page)).to_be_visible(timeout=20_000)
    assert mine.locator("img, b").count() == 0
    assert page.evaluate("window.__pwned") is False
    page.reload()
    assert page.locator("#chat-log img, #chat-log .msg-text b").count() == 0
    assert page.evaluate("window.__pwned === undefined")


def test_a_message_unsent_before_a_reload_is_sent_once_after_it(
    page, chat_site, demo_patient, login
):
    from assistant.models import Message

    open_chat(page, chat_site, login, demo_patient)
    conversation_id = page.url.rstrip("/").rsplit("/", 1)[-1]
    # As if the page was closed while "Sending…": the message waits in sessionStorage.
    pending = "{'lost-1': {text: 'What is anemia?', at: Date.now()}}"
    set_pending = (
        f"sessionStorage.setItem('chat-pending-{conversation_id}', JSON.stringify({pending}))"
    )
    page.evaluate(set_pending)
    page.reload()
    mine = page.locator('#chat-log li[data-client-id="lost-1"]')
    expect(mine).to_have_attribute("data-message-id", re.compile(r"\d+"), timeout=10_000)
    expect(last_reply(page)).to_have_attribute(
        "data-reply-to", mine.get_attribute("data-message-id")
    )
    # Resending an id the server already holds stores nothing new.
    page.evaluate(set_pending)
    page.reload()
    expect(page.locator("#chat-connection")).to_have_attribute("data-state", "online")
    expect(page.locator('#chat-log li[data-client-id="lost-1"]')).to_have_count(1)
    page.wait_for_function(
        f"!sessionStorage.getItem('chat-pending-{conversation_id}').includes('lost-1')"
    )
    assert Message.objects.filter(client_id="lost-1").count() == 1


def test_an_unanswerable_question_can_be_sent_to_the_care_team(
    page, chat_site, demo_patient, login, screenshot
):
    open_chat(page, chat_site, login, demo_patient)
    ask(page, "What is the life expectancy with Fabry disease?")
    reply = last_reply(page)
    expect(reply).to_have_attribute("data-kind", "abstain", timeout=20_000)
    expect(page.locator("#handoff-banner")).to_be_hidden()
    reply.get_by_role("button", name="Send my question to my care team").click()
    expect(page.locator("#handoff-banner")).to_contain_text("Sent to your care team")
    expect(page.locator('#chat-log li[data-kind="handoff"]')).to_contain_text("nurse will reply")
    screenshot(page, "chat-handoff-desktop")


def test_typing_yes_to_the_offer_of_a_nurse_sends_the_question(
    page, chat_site, demo_patient, login
):
    from assistant.models import Escalation

    open_chat(page, chat_site, login, demo_patient)
    ask(page, "What is the life expectancy with Fabry disease?")
    expect(last_reply(page)).to_have_attribute("data-kind", "abstain", timeout=20_000)
    ask(page, "yes please")
    expect(page.locator("#handoff-banner")).to_contain_text("Sent to your care team")
    expect(page.locator('#chat-log li[data-kind="handoff"]')).to_contain_text("nurse will reply")
    expect(page.locator("#chat-thinking")).to_be_hidden()
    # The offer's button goes away: the question is with the care team already.
    expect(page.locator("form.handoff-offer")).to_be_hidden()
    esc = Escalation.objects.get(conversation__patient=demo_patient.patient)
    assert esc.trigger_message.text == "What is the life expectancy with Fabry disease?"

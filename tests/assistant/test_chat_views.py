"""The patient chat pages over HTTP: who gets in, what the page shows, the no-JS fallbacks."""

from __future__ import annotations

import pytest
from django.urls import reverse

from assistant.models import Conversation, Feedback, Message

pytestmark = pytest.mark.django_db


def logged_in(client, user):
    client.force_login(user)
    return client


# --- access matrix ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["chat", "conversation"])
def test_anonymous_is_sent_to_sign_in(client, conversation, name):
    url = reverse(f"assistant:{name}", args=[conversation.pk] if name == "conversation" else [])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("role", ["nurse", "admin_user"])
@pytest.mark.parametrize("name", ["chat", "conversation"])
def test_staff_are_forbidden(client, conversation, request, role, name):
    logged_in(client, request.getfixturevalue(role))
    url = reverse(f"assistant:{name}", args=[conversation.pk] if name == "conversation" else [])
    assert client.get(url).status_code == 403
    assert client.post(reverse("assistant:conversation_new")).status_code == 403


def test_another_patients_conversation_is_not_found(client, conversation, other_patient_user):
    Message.objects.create(conversation=conversation, role="patient", kind="question", text="mine")
    logged_in(client, other_patient_user)
    assert client.get(reverse("assistant:conversation", args=[conversation.pk])).status_code == 404
    send = reverse("assistant:message_send", args=[conversation.pk])
    assert client.post(send, {"text": "hi", "client_id": "x1"}).status_code == 404
    assert not Message.objects.filter(text="hi").exists()


def test_feedback_and_handoff_on_another_patients_message_are_not_found(
    client, conversation, other_patient_user
):
    answer = Message.objects.create(
        conversation=conversation, role="assistant", kind="answer", text="An answer"
    )
    logged_in(client, other_patient_user)
    url = reverse("assistant:feedback", args=[answer.pk])
    assert client.post(url, {"helpful": "yes"}).status_code == 404
    assert client.post(reverse("assistant:handoff", args=[answer.pk])).status_code == 404
    assert not Feedback.objects.exists()


def test_the_chat_only_accepts_posts_where_it_changes_something(client, conversation, patient_user):
    logged_in(client, patient_user)
    assert client.get(reverse("assistant:conversation_new")).status_code == 405
    assert client.post(reverse("assistant:chat")).status_code == 405


# --- opening and resuming -----------------------------------------------------------------------


def test_chat_opens_a_conversation_then_resumes_it(client, patient_user):
    logged_in(client, patient_user)
    first = client.get(reverse("assistant:chat"))
    conv = Conversation.objects.get(patient=patient_user.patient)
    assert first["Location"] == reverse("assistant:conversation", args=[conv.pk])
    again = client.get(reverse("assistant:chat"))
    assert again["Location"] == first["Location"]
    assert Conversation.objects.count() == 1


def test_new_conversation_starts_a_fresh_one_and_lists_the_old(client, conversation, patient_user):
    Conversation.objects.filter(pk=conversation.pk).update(title="About my blood pressure")
    logged_in(client, patient_user)
    response = client.post(reverse("assistant:conversation_new"))
    fresh = Conversation.objects.exclude(pk=conversation.pk).get()
    assert response["Location"] == reverse("assistant:conversation", args=[fresh.pk])
    page = client.get(response["Location"]).content.decode()
    assert "About my blood pressure" in page
    assert reverse("assistant:conversation", args=[conversation.pk]) in page


# --- what the page shows ------------------------------------------------------------------------


def test_page_shows_history_disclaimer_and_live_region(client, conversation, patient_user):
    q = Message.objects.create(
        conversation=conversation, role="patient", kind="question", text="What is anemia?"
    )
    Message.objects.create(
        conversation=conversation,
        role="assistant",
        kind="answer",
        text="Anemia is a condition [1].",
        reply_to=q,
        citations=[
            {
                "n": 1,
                "section_id": "NHLBI_0000002_Sec1",
                "version": 3,
                "title": "What is Anemia?",
                "source": "NHLBI",
                "url": "https://www.nhlbi.nih.gov/health/anemia",
                "text": "Anemia is a condition in which your blood has a lower than normal ...",
            }
        ],
    )
    logged_in(client, patient_user)
    page = client.get(reverse("assistant:conversation", args=[conversation.pk])).content.decode()
    assert "What is anemia?" in page and "Anemia is a condition [1]." in page
    assert 'role="log"' in page and 'aria-live="polite"' in page
    assert "automated assistant" in page
    assert 'href="tel:911"' in page
    # The citation expands to the section: its question, excerpt, organisation and link.
    assert "<details" in page and "What is Anemia?" in page
    assert "National Heart, Lung, and Blood Institute" in page
    assert 'href="https://www.nhlbi.nih.gov/health/anemia"' in page
    assert "Was this helpful?" in page


def test_html_in_messages_is_shown_as_text(client, conversation, patient_user):
    Message.objects.create(
        conversation=conversation,
        role="patient",
        kind="question",
        text='<script>alert("x")</script><img src=x onerror=alert(1)>',
    )
    Message.objects.create(
        conversation=conversation,
        role="assistant",
        kind="answer",
        text="<b>bold</b>",
        citations=[
            {"n": 1, "title": "<i>t</i>", "source": "X", "url": "javascript:alert(1)", "text": "y"}
        ],
    )
    logged_in(client, patient_user)
    page = client.get(reverse("assistant:conversation", args=[conversation.pk])).content.decode()
    assert "<script>alert" not in page and "<img src=x" not in page and "<b>bold" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in page
    assert "javascript:alert" not in page


def test_an_emergency_answer_is_a_red_notice_with_phone_links(client, conversation, patient_user):
    Message.objects.create(
        conversation=conversation,
        role="assistant",
        kind="safety",
        text="Call 911 now. Chest pain can be a heart attack.",
        meta={"level": "emergency"},
    )
    logged_in(client, patient_user)
    page = client.get(reverse("assistant:conversation", args=[conversation.pk])).content.decode()
    assert 'class="safety-notice" role="alert"' in page
    assert 'href="tel:911"' in page and 'href="tel:988"' in page
    assert "Chest pain can be a heart attack." in page


def test_a_nurse_reply_is_marked_with_the_nurses_name(client, conversation, patient_user, nurse):
    Message.objects.create(
        conversation=conversation, role="nurse", kind="nurse_reply", author=nurse, text="Hello"
    )
    logged_in(client, patient_user)
    page = client.get(reverse("assistant:conversation", args=[conversation.pk])).content.decode()
    assert "Nurse Nora Quinn" in page


# --- no-JavaScript fallbacks --------------------------------------------------------------------


def test_feedback_post_records_one_rating_that_can_change(client, conversation, patient_user):
    answer = Message.objects.create(
        conversation=conversation, role="assistant", kind="answer", text="An answer"
    )
    logged_in(client, patient_user)
    url = reverse("assistant:feedback", args=[answer.pk])
    response = client.post(url, {"helpful": "yes"})
    assert response["Location"].endswith(f"#message-{answer.pk}")
    client.post(url, {"helpful": "no", "comment": "Too vague"})
    fb = Feedback.objects.get()
    assert (fb.helpful, fb.comment, fb.user_id) == (False, "Too vague", patient_user.pk)


def test_feedback_on_a_patient_message_is_not_recorded(client, conversation, patient_user):
    mine = Message.objects.create(
        conversation=conversation, role="patient", kind="question", text="q"
    )
    logged_in(client, patient_user)
    client.post(reverse("assistant:feedback", args=[mine.pk]), {"helpful": "yes"})
    assert not Feedback.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("small_retriever")
def test_message_post_fallback_stores_once_per_form(client, conversation, patient_user):
    logged_in(client, patient_user)
    url = reverse("assistant:message_send", args=[conversation.pk])
    form = {"text": "What is high blood pressure?", "client_id": "form-abc"}
    assert client.post(url, form).status_code == 302
    assert client.post(url, form).status_code == 302  # double submit
    assert Message.objects.filter(role="patient").count() == 1
    client.post(url, {"text": "   ", "client_id": "form-def"})
    assert Message.objects.filter(role="patient").count() == 1

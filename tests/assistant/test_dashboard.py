"""Dashboard arithmetic (pure) and the dashboard page over real rows."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from django.urls import reverse
from django.utils import timezone
from inbox_fixtures import escalate, make_patient

from assistant import dashboard as dash
from assistant.inbox import services as svc
from assistant.models import Conversation, Escalation, Feedback, KnowledgeGap, Message

# --- pure helpers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "values", [[3.0], [1, 2], [5, 1, 9, 3], [0.5, 12, 7, 7, 30, 2.5, 100], list(range(37))]
)
@pytest.mark.parametrize("q", [0, 50, 90, 100])
def test_percentile_matches_numpy(values, q):
    assert dash.percentile(values, q) == pytest.approx(float(np.percentile(values, q)))


def test_percentile_of_nothing_is_none():
    assert dash.percentile([], 50) is None


def test_per_day_counts_by_local_day_and_series():
    tz = ZoneInfo("America/New_York")
    days = dash.day_range(end=date(2026, 3, 10), days=3)
    assert days == [date(2026, 3, 8), date(2026, 3, 9), date(2026, 3, 10)]
    items = [
        (datetime(2026, 3, 10, 3, 0, tzinfo=UTC), "urgent"),  # 23:00 on the 9th in New York
        (datetime(2026, 3, 10, 15, 0, tzinfo=UTC), "emergency"),
        (datetime(2026, 3, 10, 16, 0, tzinfo=UTC), "emergency"),
        (datetime(2026, 3, 1, 12, 0, tzinfo=UTC), "routine"),  # outside the range
        (datetime(2026, 3, 9, 12, 0, tzinfo=UTC), "unknown"),  # not a series of the chart
    ]
    bars = dash.per_day(items, days=days, tz=tz, series=dash.LEVELS)
    assert [b.total for b in bars] == [0, 1, 2]
    assert bars[1].counts == {"emergency": 0, "urgent": 1, "routine": 0}
    assert bars[2].height_pct == 100.0 and bars[1].height_pct == 50.0
    assert bars[2].segments == [("emergency", 2, 100.0)]
    assert bars[0].segments == [] and bars[0].height_pct == 0.0


def test_response_stats_measure_time_to_first_response_against_the_target():
    t0 = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
    rows = [
        (t0, t0 + timedelta(minutes=2), t0 + timedelta(minutes=5)),
        (t0, t0 + timedelta(minutes=4), t0 + timedelta(minutes=5)),
        (t0, t0 + timedelta(minutes=30), t0 + timedelta(minutes=5)),  # late
        (t0, None, t0 + timedelta(minutes=5)),  # still waiting
    ]
    stats = dash.response_stats(rows)
    assert stats.answered == 3 and stats.waiting == 1 and stats.within_target == 2
    assert stats.p50_minutes == pytest.approx(4.0)
    assert stats.p90_minutes == pytest.approx(np.percentile([2, 4, 30], 90))


def test_feedback_and_draft_stats():
    fb = dash.feedback_stats([True, True, False, True])
    assert (fb.helpful, fb.not_helpful, fb.helpful_pct) == (3, 1, 75.0)
    assert dash.feedback_stats([]).helpful_pct is None
    drafts = dash.draft_stats([(True, 1.0), (True, 0.5), (False, None)])
    assert drafts.used == 2 and drafts.not_used == 1
    assert drafts.mean_similarity == pytest.approx(0.75)
    assert drafts.used_pct == pytest.approx(200 / 3)


@pytest.mark.parametrize(
    ("minutes", "label"),
    [(None, "—"), (0.5, "30 s"), (4.4, "4 min"), (240, "4 h"), (150, "2.5 h"), (4320, "3 days")],
)
def test_minutes_label(minutes, label):
    assert dash.minutes_label(minutes) == label


# --- the page ------------------------------------------------------------------------------


@pytest.fixture
def activity(db, plain_nurse):
    """Two weeks of activity: escalations of each level, answered fast and slow, feedback, gaps."""
    _user, patient = make_patient("ann.lee", given="Ann", family="Lee")
    conversations = [Conversation.objects.create(patient=patient) for _ in range(4)]
    fast = escalate(conversations[0], level="emergency", age_minutes=60)
    svc.nurse_reply_send(escalation=fast, nurse=plain_nurse, text="Calling you now")
    Escalation.objects.filter(pk=fast.pk).update(
        first_response_at=fast.created_at + timedelta(minutes=3)
    )
    waiting = escalate(conversations[1], "bp", level="urgent", age_minutes=60 * 5)  # overdue
    escalate(conversations[2], "question", level="routine", age_minutes=10)
    answer = Message.objects.create(
        conversation=conversations[3], role="assistant", kind="answer", text="Asthma is..."
    )
    Feedback.objects.create(message=answer, user=patient.user, helpful=False, comment="Too vague")
    question = Message.objects.create(
        conversation=conversations[3], role="patient", kind="question", text="Is kratom safe?"
    )
    KnowledgeGap.objects.create(message=question, question=question.text)
    return {"waiting": waiting, "answer": answer, "question": question, "fast": fast}


def test_the_dashboard_shows_volumes_response_times_overdue_feedback_and_gaps(
    client, charge_nurse, activity
):
    client.force_login(charge_nurse)
    response = client.get(reverse("inbox:dashboard"), {"days": 7})
    assert response.status_code == 200
    ctx = response.context
    assert ctx["escalation_total"] == 3
    assert ctx["level_totals"] == {"emergency": 1, "urgent": 1, "routine": 1}
    assert ctx["conversation_total"] == 4
    assert sum(b.total for b in ctx["escalation_bars"]) == 3
    assert len(ctx["escalation_bars"]) == 7
    emergency_row = next(r for r in ctx["response_rows"] if r["level"] == "emergency")
    assert emergency_row["p50"] == "3 min" and emergency_row["within_target"] == 1
    assert [e.pk for e in ctx["overdue"]] == [activity["waiting"].pk]
    assert ctx["feedback_stats"].not_helpful == 1
    html = response.content.decode()
    # Each figure links to the underlying threads.
    assert reverse("inbox:thread", args=[activity["waiting"].pk]) in html
    conv = reverse("inbox:conversation", args=[activity["question"].conversation_id])
    assert f"{conv}?message={activity['question'].pk}" in html
    assert f"{conv}?message={activity['answer'].pk}" in html
    assert "Too vague" in html and "Is kratom safe?" in html
    # No chart library, nothing fetched from elsewhere.
    assert "<script" not in html.split("</footer>")[0].split("<main")[1]
    # (Checked on the addresses, not the text: a CSRF token once spelled "cdn".)
    off_site = re.search(r"""(?:src|href|action)=["']?(?:https?:)?//""", html)
    assert off_site is None, off_site


def test_the_period_is_limited_to_known_choices(client, admin_user, activity):
    client.force_login(admin_user)
    response = client.get(reverse("inbox:dashboard"), {"days": "100000"})
    assert response.context["days"] == 14
    old = Conversation.objects.create(patient=activity["fast"].conversation.patient)
    Conversation.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=20))
    assert client.get(reverse("inbox:dashboard"), {"days": 30}).context["conversation_total"] == 5
    assert client.get(reverse("inbox:dashboard"), {"days": 7}).context["conversation_total"] == 4

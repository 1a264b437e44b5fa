"""The curation screens as a content admin uses them (and as others are kept out of them)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from curation_fixtures import needs_corpus
from django.urls import reverse
from django.utils import timezone

from knowledge import services
from knowledge.importers import import_medquad
from knowledge.models import PreventiveRule, ReviewState, Section
from portal import roles
from tests.support import make_user

pytestmark = [needs_corpus, pytest.mark.django_db]

CHANGELIST = "admin:knowledge_section_changelist"


def change_url(section: Section) -> str:
    return reverse("admin:knowledge_section_change", args=[section.pk])


def action_url(section: Section, number: int, action: str) -> str:
    return reverse("admin:knowledge_section_version_action", args=[section.pk, number, action])


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def admin_client_(client, curator):
    client.force_login(curator)
    return client


@pytest.fixture
def corpus_in_db(small_corpus, curator):
    import_medquad(small_corpus, approve_as=curator)
    return small_corpus


def test_changelist_shows_each_sections_topic_source_type_and_state(admin_client_, corpus_in_db):
    response = admin_client_.get(reverse(CHANGELIST))

    assert response.status_code == 200
    page = response.content.decode()
    assert f"{Section.objects.count()} sections" in page
    assert "GHR_0000804_Sec2" in page and "polycystic kidney disease" in page
    assert "kb-approved" in page  # the live-version badge
    assert "Try a question" in page and reverse("knowledge:try") in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"source": "GHR"}, lambda s: s.article.source == "GHR"),
        ({"q": "polycystic kidney"}, lambda s: "polycystic kidney" in s.article.focus.lower()),
        ({"qtype": "inheritance"}, lambda s: s.latest.qtype == "inheritance"),
    ],
)
def test_search_and_filters_narrow_the_list(admin_client_, corpus_in_db, query, expected):
    response = admin_client_.get(reverse(CHANGELIST), query)

    shown = list(response.context["cl"].result_list)
    assert shown and all(expected(s) for s in shown)
    assert len(shown) < Section.objects.count()


def test_state_live_and_review_filters(admin_client_, corpus_in_db, curator):
    draft_section = Section.objects.get(external_id="GHR_0000804_Sec2")
    services.section_edit(
        section=draft_section, question="Q?", text="T.", qtype="frequency", author=curator
    )
    retired = Section.objects.get(external_id="GHR_0000804_Sec3")
    services.section_retire(section=retired, user=curator)
    overdue = Section.objects.get(external_id="GHR_0000804_Sec4").current_approved
    overdue.review_by = timezone.localdate() - timedelta(days=3)
    overdue.save()

    def shown(**query):
        response = admin_client_.get(reverse(CHANGELIST), query)
        return {s.external_id for s in response.context["cl"].result_list}

    assert shown(state="draft") == {"GHR_0000804_Sec2"}
    assert shown(live="no") == {"GHR_0000804_Sec3"}
    assert shown(review="due") == {"GHR_0000804_Sec4"}
    page = admin_client_.get(reverse(CHANGELIST), {"review": "due"}).content.decode()
    assert "re-review" in page


@pytest.mark.parametrize("role", ["nurse", "patient"])
def test_people_who_are_not_content_admins_are_kept_out(client, section, role):
    user = make_user(f"{role}.x", getattr(roles, role.upper()), is_staff=(role == "nurse"))
    client.force_login(user)

    assert client.get(reverse(CHANGELIST)).status_code in (302, 403)
    assert client.get(change_url(section)).status_code in (302, 403)
    response = client.post(action_url(section, 1, "retire"))
    assert response.status_code in (302, 403)
    section.refresh_from_db()
    assert section.current_approved.state == ReviewState.APPROVED
    assert client.get(reverse("knowledge:try")).status_code == 403


def test_the_try_panel_sends_anonymous_visitors_to_sign_in(client):
    response = client.get(reverse("knowledge:try"), {"question": "x"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_saving_the_form_makes_a_draft_and_leaves_v1_live(admin_client_, section):
    page = admin_client_.get(change_url(section)).content.decode()
    assert "Live in retrieval" in page and "v1" in page

    v1 = section.current_approved
    response = admin_client_.post(
        change_url(section),
        {
            "question": v1.question,
            "qtype": v1.qtype,
            "text": v1.text.replace("\n", "\r\n") + "\r\n\r\nOne more sentence.",
            "note": "add a sentence",
        },
        follow=True,
    )

    assert response.status_code == 200
    section.refresh_from_db()
    assert section.current_approved == v1
    assert (section.latest.number, section.latest.state) == (2, ReviewState.DRAFT)
    assert section.latest.text == v1.text + "\n\nOne more sentence."  # no CRLF stored
    assert any("Saved as draft GHR_0000804_Sec2 v2" in m for m in messages_of(response))


def test_saving_unchanged_content_makes_no_version(admin_client_, section):
    v1 = section.current_approved
    admin_client_.post(
        change_url(section),
        {"question": v1.question, "qtype": v1.qtype, "text": v1.text.replace("\n", "\r\n")},
    )
    assert section.versions.count() == 1


def test_version_buttons_walk_the_workflow_and_refuse_illegal_steps(
    admin_client_, section, curator
):
    v1 = section.current_approved
    v2 = services.section_edit(
        section=section, question=v1.question, text="New text.", qtype=v1.qtype, author=curator
    )

    response = admin_client_.post(action_url(section, 2, "approve"), follow=True)
    assert "Cannot approve GHR_0000804_Sec2 v2: it is draft (submit it for review first)." in (
        messages_of(response)
    )
    v2.refresh_from_db()
    assert v2.state == ReviewState.DRAFT

    admin_client_.post(action_url(section, 2, "submit"))
    response = admin_client_.post(action_url(section, 2, "approve"), follow=True)
    assert any("now the version retrieval uses" in m for m in messages_of(response))
    section.refresh_from_db()
    assert section.current_approved.number == 2
    assert section.versions.get(number=1).state == ReviewState.SUPERSEDED

    admin_client_.post(action_url(section, 2, "retire"), {"reason": "wrong figures"})
    section.refresh_from_db()
    assert section.current_approved is None
    assert section.versions.get(number=2).end_reason == "wrong figures"
    # GET never changes anything.
    assert admin_client_.get(action_url(section, 1, "approve")).status_code == 405


def test_bulk_approve_from_the_changelist(admin_client_, ghr_article, curator):
    sections = list(ghr_article.sections.order_by("external_id"))
    for s in sections[:2]:
        v = services.section_edit(
            section=s,
            question=s.latest.question,
            text="Reviewed text.",
            qtype=s.latest.qtype,
            author=curator,
        )
        services.version_submit(version=v, user=curator)

    response = admin_client_.post(
        reverse(CHANGELIST),
        {"action": "approve_selected", "_selected_action": [s.pk for s in sections[:3]]},
        follow=True,
    )

    texts = messages_of(response)
    assert any(t.startswith("Approved 2:") for t in texts)
    assert any(t.startswith("Skipped 1:") and "no version in review" in t for t in texts)
    assert [Section.objects.get(pk=s.pk).current_approved.number for s in sections[:3]] == [2, 2, 1]


def test_bulk_retire_from_the_changelist(admin_client_, ghr_article):
    pks = list(ghr_article.sections.values_list("pk", flat=True))
    admin_client_.post(reverse(CHANGELIST), {"action": "retire_selected", "_selected_action": pks})
    assert not Section.objects.filter(pk__in=pks).exclude(current_approved=None).exists()


def test_nothing_can_be_deleted(admin_client_, section):
    response = admin_client_.get(reverse(CHANGELIST))
    assert "delete_selected" not in response.content.decode()
    delete = reverse("admin:knowledge_section_delete", args=[section.pk])
    assert admin_client_.post(delete, {"post": "yes"}).status_code == 403
    assert Section.objects.filter(pk=section.pk).exists()


def test_diff_shows_what_changed_with_the_text_escaped(admin_client_, section, curator):
    v1 = section.current_approved
    services.section_edit(
        section=section,
        question=v1.question,
        text=v1.text + " <script>alert('x')</script> Ask your doctor.",
        qtype=v1.qtype,
        author=curator,
    )

    response = admin_client_.get(
        reverse("admin:knowledge_section_diff", args=[section.pk]), {"from": 1, "to": 2}
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert" in page
    assert 'class="diff_add"' in page or 'class="diff_chg"' in page
    assert "Question / heading: unchanged" in page
    assert "v1 (approved)" in page and "v2 (draft)" in page


def test_change_page_links_every_version_to_its_diff(admin_client_, section, curator):
    v1 = section.current_approved
    services.section_edit(
        section=section, question=v1.question, text="Short.", qtype=v1.qtype, author=curator
    )
    page = admin_client_.get(change_url(section)).content.decode()
    assert reverse("admin:knowledge_section_diff", args=[section.pk]) + "?from=1&amp;to=2" in page
    assert "Submit for review" in page and "Re-reviewed: still accurate" in page


def test_rules_are_curated_the_same_way(admin_client_, curator):
    from django.core.management import call_command

    call_command("load_preventive_rules", "--approve-as", curator.username)
    rule = PreventiveRule.objects.get(key="blood-pressure-screening")
    url = reverse("admin:knowledge_preventiverule_change", args=[rule.pk])
    import json

    definition = {**rule.current_approved.definition, "min_age": 21}
    response = admin_client_.post(
        url, {"definition": json.dumps(definition), "note": "raise age"}, follow=True
    )
    rule.refresh_from_db()
    assert (rule.latest.number, rule.latest.state, rule.current_approved.number) == (
        2,
        ReviewState.DRAFT,
        1,
    )
    assert any("Saved as draft blood-pressure-screening v2" in m for m in messages_of(response))

    bad = admin_client_.post(url, {"definition": '{"key": "blood-pressure-screening"'})
    assert bad.status_code == 200 and "Not valid JSON" in bad.content.decode()

    diff = admin_client_.get(reverse("admin:knowledge_preventiverule_diff", args=[rule.pk]))
    assert "min_age" in diff.content.decode()


def test_the_review_queue_lists_versions_in_review_and_approves_them(
    admin_client_, ghr_article, curator
):
    sections = list(ghr_article.sections.order_by("external_id")[:2])
    pending = []
    for s in sections:
        v = services.section_edit(
            section=s,
            question=s.latest.question,
            text="Queue text.",
            qtype=s.latest.qtype,
            author=curator,
        )
        pending.append(services.version_submit(version=v, user=curator))
    queue = reverse("admin:knowledge_sectionversion_changelist")

    response = admin_client_.get(queue, {"state__exact": "in_review"})
    assert {str(v) for v in response.context["cl"].result_list} == {str(v) for v in pending}

    admin_client_.post(
        queue, {"action": "approve_selected", "_selected_action": [v.pk for v in pending]}
    )
    assert [Section.objects.get(pk=s.pk).current_approved.number for s in sections] == [2, 2]
    detail = admin_client_.get(
        reverse("admin:knowledge_sectionversion_change", args=[pending[0].pk])
    )
    assert detail.status_code == 200 and "Queue text." in detail.content.decode()


def test_editing_an_article_in_the_admin_updates_its_topic(admin_client_, ghr_article):
    url = reverse("admin:knowledge_article_change", args=[ghr_article.pk])
    form = admin_client_.get(url).context["adminform"].form
    data = {name: form.initial.get(name) or "" for name in form.fields}
    data.update(
        {
            "focus": "Polycystic kidney disease (PKD)",
            "cuis": '["C0022680"]',
            "semantic_types": '["T047"]',
            "synonyms": '["PKD"]',
            # the read-only inline of sections posts its management form
            "sections-TOTAL_FORMS": "0",
            "sections-INITIAL_FORMS": "0",
        }
    )
    response = admin_client_.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    ghr_article.refresh_from_db()
    assert ghr_article.focus == "Polycystic kidney disease (PKD)"
    assert ghr_article.synonyms == ["PKD"]

"""The review workflow as a curator lives it: edit, submit, approve, retire, and the refusals."""

from __future__ import annotations

from datetime import timedelta

import pytest
from curation_fixtures import needs_corpus
from django.utils import timezone

from knowledge import bulk, services
from knowledge.models import ReviewState, Section
from knowledge.selectors import (
    approved_version_set,
    section_version_get,
    sections_needing_review,
)
from knowledge.services import IllegalTransition, NotAllowed, NothingChanged
from portal import roles
from tests.support import make_user

pytestmark = [needs_corpus, pytest.mark.django_db]


def edit(section, curator, text="Updated text.", **extra):
    latest = Section.objects.get(pk=section.pk).latest
    return services.section_edit(
        section=section,
        question=extra.get("question", latest.question),
        text=text,
        qtype=extra.get("qtype", latest.qtype),
        author=curator,
        note=extra.get("note", ""),
    )


def test_an_edit_is_a_draft_and_the_approved_version_stays_retrievable(section, curator):
    v2 = edit(section, curator, note="clarify wording")

    section.refresh_from_db()
    assert (v2.number, v2.state, v2.note) == (2, ReviewState.DRAFT, "clarify wording")
    assert section.current_approved.number == 1
    assert section.latest == v2
    assert ("GHR_0000804_Sec2", 1) in approved_version_set()
    assert ("GHR_0000804_Sec2", 2) not in approved_version_set()


def test_approving_v2_supersedes_v1_and_both_stay_citable(section, curator, second_curator):
    v1 = section.current_approved
    v2 = edit(section, curator)
    services.version_submit(version=v2, user=curator)
    approved = services.version_approve(version=v2, reviewer=second_curator)

    section.refresh_from_db()
    v1.refresh_from_db()
    assert section.current_approved == approved and approved.number == 2
    assert approved.reviewed_by == second_curator
    assert approved.review_by == timezone.localdate() + timedelta(days=365)
    assert v1.state == ReviewState.SUPERSEDED and v1.end_reason == "Replaced by v2"
    assert {n for sid, n in approved_version_set() if sid == "GHR_0000804_Sec2"} == {2}
    # An answer that cited v1 can still show exactly what it quoted.
    assert section_version_get(section_id="GHR_0000804_Sec2", number=1).text == v1.text
    assert section_version_get(section_id="GHR_0000804_Sec2", number=2).text == "Updated text."


@pytest.mark.parametrize(
    ("setup", "action", "message"),
    [
        ("draft", "approve", "it is draft (submit it for review first)"),
        ("in_review", "submit", "already waiting for review"),
        ("superseded", "approve", "a newer approved version replaced it"),
        ("retired", "retire", "retired versions are kept unchanged"),
        ("approved", "approve", "already the approved version"),
    ],
)
def test_illegal_steps_are_refused_with_a_reason(section, curator, setup, action, message):
    v1 = section.current_approved
    version = {"approved": v1}.get(setup)
    if setup in {"draft", "in_review", "superseded"}:
        version = edit(section, curator)
        if setup != "draft":
            services.version_submit(version=version, user=curator)
        if setup == "superseded":
            services.version_approve(version=version, reviewer=curator)
            version = v1
    if setup == "retired":
        version = services.version_retire(version=v1, user=curator)
    version.refresh_from_db()
    state_before = version.state

    with pytest.raises(IllegalTransition, match=message.replace("(", r"\(").replace(")", r"\)")):
        {
            "approve": lambda: services.version_approve(version=version, reviewer=curator),
            "submit": lambda: services.version_submit(version=version, user=curator),
            "retire": lambda: services.version_retire(version=version, user=curator),
        }[action]()

    version.refresh_from_db()
    assert version.state == state_before


def test_retiring_the_approved_version_takes_the_section_out_of_retrieval(section, curator):
    services.version_retire(version=section.current_approved, user=curator, reason="outdated")

    section.refresh_from_db()
    assert section.current_approved is None
    assert not any(sid == "GHR_0000804_Sec2" for sid, _ in approved_version_set())
    assert section.versions.get(number=1).end_reason == "outdated"


def test_retiring_a_section_withdraws_its_pending_draft_too(section, curator):
    draft = edit(section, curator)

    retired = services.section_retire(section=section, user=curator)

    assert {v.number for v in retired} == {1, 2}
    draft.refresh_from_db()
    assert draft.state == ReviewState.RETIRED
    with pytest.raises(IllegalTransition, match="nothing of it is live or pending"):
        services.section_retire(section=section, user=curator)
    # Brought back by a new version, never by editing history.
    v3 = edit(section, curator, text="Back, reworded.")
    services.version_submit(version=v3, user=curator)
    services.version_approve(version=v3, reviewer=curator)
    assert ("GHR_0000804_Sec2", 3) in approved_version_set()


def test_a_second_edit_replaces_the_pending_draft(section, curator):
    v2 = edit(section, curator, text="First try.")
    services.version_submit(version=v2, user=curator)
    v3 = edit(section, curator, text="Second try.")

    v2.refresh_from_db()
    assert v2.state == ReviewState.RETIRED and v2.end_reason == "Replaced by draft v3"
    assert v3.number == 3 and v3.state == ReviewState.DRAFT
    assert list(section.versions.filter(state__in=["draft", "in_review"])) == [v3]


def test_an_edit_that_changes_nothing_is_refused(section, curator):
    with pytest.raises(NothingChanged):
        edit(section, curator, text=section.current_approved.text)
    assert section.versions.count() == 1


def test_returning_a_version_for_changes_makes_it_a_draft_again(section, curator):
    v2 = edit(section, curator)
    services.version_submit(version=v2, user=curator)
    returned = services.version_return(version=v2, reviewer=curator, note="cite a source")
    assert (returned.state, returned.note) == (ReviewState.DRAFT, "cite a source")


@pytest.mark.parametrize("who", ["nurse", "patient", "admin_role_without_staff", "anonymous"])
def test_only_content_admins_may_curate(section, who):
    from django.contrib.auth.models import AnonymousUser

    user = {
        "nurse": lambda: make_user("n.user", roles.NURSE, is_staff=True),
        "patient": lambda: make_user("p.user", roles.PATIENT),
        "admin_role_without_staff": lambda: make_user("a.user", roles.ADMIN),
        "anonymous": AnonymousUser,
    }[who]()
    with pytest.raises(NotAllowed):
        edit(section, user)
    with pytest.raises(NotAllowed):
        services.version_retire(version=section.current_approved, user=user)
    section.refresh_from_db()
    assert section.versions.count() == 1 and section.current_approved.number == 1


def test_review_by_flags_content_for_re_review_and_reconfirming_clears_it(section, curator):
    version = section.current_approved
    version.review_by = timezone.localdate() - timedelta(days=1)
    version.save()
    assert list(sections_needing_review()) == [section]
    assert version.needs_review()

    services.version_reconfirm(version=version, reviewer=curator)

    version.refresh_from_db()
    assert version.number == 1 and version.state == ReviewState.APPROVED  # citations unchanged
    assert version.review_by > timezone.localdate()
    assert list(sections_needing_review()) == []


def test_bulk_approve_approves_what_is_in_review_and_says_why_it_skipped_the_rest(
    ghr_article, curator
):
    sections = list(ghr_article.sections.order_by("external_id"))
    in_review = sections[:2]
    for s in in_review:
        services.version_submit(version=edit(s, curator), user=curator)
    draft_only = sections[2]
    edit(draft_only, curator)

    outcome = bulk.sections_approve(
        sections=Section.objects.filter(pk__in=[s.pk for s in sections[:4]]).order_by(
            "external_id"
        ),
        reviewer=curator,
    )

    assert sorted(str(v) for v in outcome.done) == sorted(f"{s.external_id} v2" for s in in_review)
    reasons = {str(item): reason for item, reason in outcome.skipped}
    assert reasons == {
        draft_only.external_id: f"{draft_only.external_id}: no version in review.",
        sections[3].external_id: f"{sections[3].external_id}: no version in review.",
    }
    assert {(sid, n) for sid, n in approved_version_set() if n == 2} == {
        (s.external_id, 2) for s in in_review
    }


def test_bulk_retire_retires_every_selected_section(ghr_article, curator):
    outcome = bulk.sections_retire(sections=ghr_article.sections.all(), user=curator)
    assert len(outcome.done) == ghr_article.sections.count() and outcome.skipped == []
    assert approved_version_set() == set()


def test_new_sections_start_as_drafts(ghr_article, curator):
    version = services.section_create(
        article=ghr_article,
        external_id="GHR_0000804_Sec9",
        question="How is polycystic kidney disease diagnosed ?",
        text="Imaging of the kidneys, such as ultrasound.",
        qtype="exams and tests",
        author=curator,
    )
    assert (version.number, version.state) == (1, ReviewState.DRAFT)
    assert ("GHR_0000804_Sec9", 1) not in approved_version_set()
    with pytest.raises(services.CurationError, match="already exists"):
        services.section_create(
            article=ghr_article,
            external_id="GHR_0000804_Sec9",
            question="q",
            text="t",
            qtype="information",
            author=curator,
        )

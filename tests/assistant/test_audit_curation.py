"""Content edits by admins are in the staff audit log: who, what, which version, from where."""

from __future__ import annotations

import pytest

from knowledge import services
from knowledge.models import Article, Section
from portal import roles
from portal.middleware import CurrentRequestMiddleware
from portal.models import AuditEvent
from tests.support import make_user

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def curator(db):
    user = make_user("curator.audit", roles.ADMIN, is_staff=True)
    user.is_superuser = True
    user.save()
    return user


def _draft(curator):
    article = Article.objects.create(
        external_id="TEST_0000001", source="TEST", document_id="0000001", focus="Test topic"
    )
    return services.section_create(
        article=article,
        external_id="TEST_0000001_Sec1",
        question="What is a test topic?",
        text="A test topic is something written for this test.",
        qtype="information",
        author=curator,
    )


def test_every_curation_step_is_audited_with_the_section_and_its_version(curator):
    version = _draft(curator)
    services.version_submit(version=version, user=curator)
    services.version_approve(version=version, reviewer=curator)
    services.section_retire(
        section=Section.objects.get(external_id="TEST_0000001_Sec1"), user=curator
    )

    events = list(AuditEvent.objects.order_by("at", "pk"))
    assert [e.action for e in events] == [
        "section.edit",
        "section.submit",
        "section.approve",
        "section.retire",
    ]
    assert {(e.object_type, e.object_id) for e in events} == {("section", "TEST_0000001_Sec1")}
    assert all(e.actor == curator and e.detail == {"version": 1} for e in events)


def test_a_step_taken_in_an_admin_request_records_where_it_came_from(curator, rf):
    request = rf.post("/admin/", REMOTE_ADDR="10.1.2.3", HTTP_USER_AGENT="Firefox/140")
    request.user = curator

    def approve(_request):
        version = _draft(curator)
        services.version_submit(version=version, user=curator)
        return services.version_approve(version=version, reviewer=curator)

    CurrentRequestMiddleware(approve)(request)

    event = AuditEvent.objects.get(action="section.approve")
    assert (event.ip_address, event.user_agent) == ("10.1.2.3", "Firefox/140")


def test_a_refused_step_leaves_no_audit_entry(curator):
    version = _draft(curator)
    with pytest.raises(services.IllegalTransition):
        services.version_approve(version=version, reviewer=curator)  # still a draft
    assert not AuditEvent.objects.filter(action="section.approve").exists()

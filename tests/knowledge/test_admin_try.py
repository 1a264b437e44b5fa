"""The "try a question" panel on a real index: what retrieval returns, and why."""

from __future__ import annotations

import re

import pytest
from curation_fixtures import needs_corpus
from django.core.management import call_command
from django.urls import reverse

from knowledge import services, wiring
from knowledge.models import Section

pytestmark = [needs_corpus, pytest.mark.django_db, pytest.mark.slow]

QUESTION = "Is polycystic kidney disease inherited?"


@pytest.fixture
def indexed(small_corpus, curator, index_dir, client):
    call_command("import_medquad", str(small_corpus), "--approve-as", curator.username)
    client.force_login(curator)
    return client


def results(client, question=QUESTION, **extra) -> tuple[str, list[tuple[str, str]]]:
    response = client.get(reverse("knowledge:try"), {"question": question, **extra})
    assert response.status_code == 200
    page = response.content.decode()
    found = re.findall(r">([A-Za-z]+_[\w]+_Sec\d+)</a>\s*· version (\d+)", page)
    return page, found


def test_shows_the_sections_found_with_their_version_and_signal_scores(indexed):
    page, found = results(indexed)

    assert found[0] == ("GHR_0000804_Sec4", "1")  # the inheritance section of that article
    passages = wiring.get_index().search(QUESTION, k=10)
    assert [p.section_id for p in passages] == [sid for sid, _ in found]
    for name in passages[0].scores:  # every signal behind the ranking is shown
        assert f'<th scope="row">{name}</th>' in page
    assert "polycystic kidney disease" in page and "inheritance" in page
    assert "live</span>" in page
    section = Section.objects.get(external_id="GHR_0000804_Sec4")
    assert reverse("admin:knowledge_section_change", args=[section.pk]) in page


def test_follows_approvals_and_retirements(indexed, curator, django_capture_on_commit_callbacks):
    section = Section.objects.get(external_id="GHR_0000804_Sec4")
    v1 = section.current_approved
    with django_capture_on_commit_callbacks(execute=True):
        v2 = services.section_edit(
            section=section,
            question=v1.question,
            text=v1.text + " Genetic counselling can explain the risk for children.",
            qtype=v1.qtype,
            author=curator,
        )
        services.version_submit(version=v2, user=curator)
    assert ("GHR_0000804_Sec4", "1") in results(indexed)[1]  # a draft changes nothing

    with django_capture_on_commit_callbacks(execute=True):
        services.version_approve(version=v2, reviewer=curator)
    assert results(indexed)[1][0] == ("GHR_0000804_Sec4", "2")

    with django_capture_on_commit_callbacks(execute=True):
        services.section_retire(section=section, user=curator)
    assert "GHR_0000804_Sec4" not in {sid for sid, _ in results(indexed)[1]}


def test_an_empty_index_is_explained_not_a_crash(client, curator, index_dir):
    client.force_login(curator)
    response = client.get(reverse("knowledge:try"), {"question": QUESTION})
    page = response.content.decode()
    assert response.status_code == 200
    assert "manage.py reindex" in page or "Nothing approved matches" in page

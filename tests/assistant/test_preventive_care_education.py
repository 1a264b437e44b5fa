"""Each preventive item links to approved education content about it, found in the real index.

Three real MedQuAD documents (shingles, the flu shot, high blood pressure) are imported and
approved, which indexes them; patient 1130164's panel then links to them, and to nothing about
a topic the knowledge base does not cover.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import call_command
from preventive_fixtures import TODAY

from assistant.preventive.services import education_links, preventive_panel_context
from knowledge.models import Article, ReviewState, Section, SectionVersion
from tests.support import MEDQUAD_DIR

DOCUMENTS = {
    "7_SeniorHealth_QA/0000062.xml": "http://nihseniorhealth.gov/shingles/toc.html",
    "4_MPlus_Health_Topics_QA/0000370.xml": "https://www.nlm.nih.gov/medlineplus/flushot.html",
    "7_SeniorHealth_QA/0000036.xml": "http://nihseniorhealth.gov/highbloodpressure/toc.html",
}

pytestmark = [
    pytest.mark.skipif(not MEDQUAD_DIR.is_dir(), reason="MedQuAD corpus not available"),
    pytest.mark.slow,
]


@pytest.fixture(scope="module")
def education(django_db_blocker, demo_patients, content_admin, tmp_path_factory):
    """The three documents imported and approved through the import command (which indexes
    them after the commit), removed again at the end of the module."""
    root = tmp_path_factory.mktemp("medquad")
    for relative in DOCUMENTS:
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(MEDQUAD_DIR / relative, root / relative)
    with django_db_blocker.unblock():
        call_command(
            "import_medquad",
            str(root),
            "--approve-as",
            content_admin.username,
            "--no-progress",
            verbosity=0,
        )
        cache.clear()
        yield root
        Section.objects.update(current_approved=None, latest=None)
        SectionVersion.objects.all().delete()
        Section.objects.all().delete()
        Article.objects.all().delete()


def items(context) -> dict[str, dict]:
    return {item["key"]: item for item in [*context["todo"], *context["done"]]}


def test_items_link_to_approved_content_about_them(db, demo_patients, education):
    shown = items(preventive_panel_context(demo_patients["1130164"], on=TODAY))

    shingles = shown["zoster-vaccine"]["education"]  # up to date, still explained
    assert shingles.url == DOCUMENTS["7_SeniorHealth_QA/0000062.xml"]
    assert "Shingles" in shingles.question and shingles.source == "NIHSeniorHealth"
    flu = shown["influenza-vaccine"]["education"]  # overdue
    assert flu.url == DOCUMENTS["4_MPlus_Health_Topics_QA/0000370.xml"]
    assert "Flu Shot" in flu.question
    pressure = shown["blood-pressure-screening"]["education"]  # overdue
    assert "High Blood Pressure" in pressure.question

    # Nothing in the knowledge base is about depression: no link rather than an unrelated one.
    assert shown["depression-screening"]["education"] is None


def test_the_link_is_shown_with_its_question_and_source(client, db, demo_patients, education):
    from django.template.loader import render_to_string

    context = preventive_panel_context(demo_patients["1130164"], on=TODAY)
    html = render_to_string("assistant/preventive/_panel.html", {"preventive": context})
    link = items(context)["influenza-vaccine"]["education"]
    assert f'href="{link.url}"' in html
    assert f'{link.question}<span class="visually-hidden"> (opens in a new tab)</span></a>' in html


def test_retired_content_is_no_longer_linked(db, demo_patients, education, content_admin):
    from knowledge import services

    patient = demo_patients["1130164"]
    link = items(preventive_panel_context(patient, on=TODAY))["zoster-vaccine"]["education"]
    section = Section.objects.get(external_id=link.section_id)
    services.section_retire(section=section, user=content_admin, reason="Out of date")
    assert not SectionVersion.objects.filter(section=section, state=ReviewState.APPROVED).exists()

    # The cached search still names the retired section: it must not be linked any more.
    after = items(preventive_panel_context(patient, on=TODAY))["zoster-vaccine"]["education"]
    assert after is None or after.section_id != link.section_id


def test_a_missing_index_costs_the_links_not_the_panel(db, demo_patients, tmp_path, settings):
    cache.clear()
    settings.KNOWLEDGE_INDEX_DIR = Path(tmp_path) / "nothing-here"
    context = preventive_panel_context(demo_patients["1130164"], on=TODAY)
    assert context["todo"] and all(item["education"] is None for item in context["todo"])
    assert education_links([], retriever=None) == {}
    cache.clear()

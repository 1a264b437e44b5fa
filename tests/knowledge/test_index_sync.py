"""The index and the database never disagree about what is approved.

Every test runs the real thing: a slice of the real corpus imported into the database, a real
index (Chroma + lexical) in a temporary folder, the Celery task run eagerly after the commit.
"""

from __future__ import annotations

import pytest
from curation_fixtures import needs_corpus
from django.core.management import call_command

from knowledge import bulk, services, wiring
from knowledge.importers import import_medquad
from knowledge.models import Section
from knowledge.selectors import approved_version_set

pytestmark = [needs_corpus, pytest.mark.django_db, pytest.mark.slow]


def index_holds() -> set[tuple[str, int]]:
    return set(wiring.get_index().section_versions().items())


def assert_agree() -> None:
    assert index_holds() == approved_version_set()


FREQUENCY_QUESTION = "How many people are affected by polycystic kidney disease?"


def served(section_id: str, query: str = FREQUENCY_QUESTION):
    """The passage retrieval serves for that section when asked `query`, or None."""
    from knowledge.wiring import get_retriever

    return next(
        (p for p in get_retriever().search(query, k=20) if p.section_id == section_id), None
    )


@pytest.fixture
def indexed(small_corpus, curator, index_dir):
    """The slice imported, approved and indexed the way `import_medquad --approve-as` does."""
    call_command("import_medquad", str(small_corpus), "--approve-as", curator.username)
    assert len(index_holds()) == Section.objects.count() > 0
    return small_corpus


def edit(section_id: str, curator, text: str):
    section = Section.objects.get(external_id=section_id)
    return services.section_edit(
        section=section,
        question=section.latest.question,
        text=text,
        qtype=section.latest.qtype,
        author=curator,
    )


def test_import_command_indexes_what_it_approved(indexed):
    assert_agree()
    # The two diseases under one CancerGov document id are two indexed sections.
    held = dict(index_holds())
    assert held["CancerGov_0000013_2_Sec1"] == held["CancerGov_0000013_2_1_Sec1"] == 1


def test_import_without_approval_indexes_nothing(small_corpus, index_dir):
    call_command("import_medquad", str(small_corpus))
    assert index_holds() == approved_version_set() == set()


def test_a_draft_leaves_v1_served_until_v2_is_approved(
    indexed, curator, django_capture_on_commit_callbacks
):
    v1_text = Section.objects.get(external_id="GHR_0000804_Sec2").current_approved.text
    with django_capture_on_commit_callbacks(execute=True):
        v2 = edit("GHR_0000804_Sec2", curator, "About 1 in 1,000 people have this disease.")
        services.version_submit(version=v2, user=curator)
    assert dict(index_holds())["GHR_0000804_Sec2"] == 1
    passage = served("GHR_0000804_Sec2")
    assert passage.version == 1 and passage.text in v1_text
    assert_agree()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.version_approve(version=v2, reviewer=curator)

    assert len(callbacks) == 1
    assert dict(index_holds())["GHR_0000804_Sec2"] == 2
    passage = served("GHR_0000804_Sec2")
    assert (passage.version, passage.text) == (2, "About 1 in 1,000 people have this disease.")
    assert_agree()


def test_retiring_takes_content_out_of_the_index(
    indexed, curator, django_capture_on_commit_callbacks
):
    section = Section.objects.get(external_id="GHR_0000804_Sec3")
    with django_capture_on_commit_callbacks(execute=True):
        services.version_retire(version=section.current_approved, user=curator)
    assert "GHR_0000804_Sec3" not in dict(index_holds())
    assert_agree()

    with django_capture_on_commit_callbacks(execute=True):
        services.section_retire(
            section=Section.objects.get(external_id="GHR_0000804_Sec4"), user=curator
        )
    assert "GHR_0000804_Sec4" not in dict(index_holds())
    assert_agree()


def test_bulk_actions_send_one_index_update(indexed, curator, django_capture_on_commit_callbacks):
    ids = sorted(
        Section.objects.filter(article__external_id="GHR_0000001").values_list(
            "external_id", flat=True
        )
    )
    for sid in ids:
        services.version_submit(version=edit(sid, curator, f"New text of {sid}."), user=curator)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        outcome = bulk.sections_approve(
            sections=Section.objects.filter(external_id__in=ids), reviewer=curator
        )
    assert len(outcome.done) == len(ids) and len(callbacks) == 1
    assert {sid: n for sid, n in index_holds() if sid in ids} == dict.fromkeys(ids, 2)
    assert_agree()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        bulk.sections_retire(sections=Section.objects.filter(external_id__in=ids), user=curator)
    assert len(callbacks) == 1
    assert not set(ids) & set(dict(index_holds()))
    assert_agree()


def test_reimport_with_changed_text_reindexes_only_that_section(indexed, curator, index_dir):
    path = indexed / "3_GHR_QA" / "0000804.xml"
    old = Section.objects.get(external_id="GHR_0000804_Sec2").current_approved.text
    path.write_text(path.read_text("utf-8").replace(old[:30], "Revised. " + old[:30]))

    call_command("import_medquad", str(indexed), "--approve-as", curator.username)

    assert dict(index_holds())["GHR_0000804_Sec2"] == 2
    passage = served("GHR_0000804_Sec2")
    assert passage.version == 2 and passage.text.startswith("Revised. ")
    assert_agree()


def test_reindex_rebuilds_the_index_from_the_database(indexed, curator):
    index = wiring.get_index()
    # Drift of every kind: a section missing, one the database retired, one stale version.
    index.remove(["GHR_0000804_Sec1"])
    section = Section.objects.get(external_id="GHR_0000804_Sec5")
    services.version_retire(
        version=section.current_approved, user=curator
    )  # no task: no commit hook
    v2 = edit("GHR_0000804_Sec2", curator, "Reworded.")
    services.version_submit(version=v2, user=curator)
    services.version_approve(version=v2, reviewer=curator)
    assert index_holds() != approved_version_set()

    call_command("reindex")

    assert_agree()
    assert (served("GHR_0000804_Sec2").version, served("GHR_0000804_Sec2").text) == (2, "Reworded.")


def test_reindex_changed_only_repairs_drift_without_a_rebuild(indexed, curator, capsys):
    index = wiring.get_index()
    index.remove(["GHR_0000804_Sec1"])
    total = Section.objects.count()

    call_command("reindex", "--changed-only")

    assert_agree()
    out = capsys.readouterr().out
    assert "1 upserted" in out and f"{total - 1} unchanged" in out


def test_reindex_changed_only_fills_a_lexical_store_that_lacks_sections(indexed, capsys):
    """Vectors held but the lexical entries gone (a write cut short, or the lexical store moved
    to PostgreSQL and still empty): those sections are stale, and only they are rewritten."""
    index = wiring.get_index()
    index.lexical.delete(["GHR_0000804_Sec1", "GHR_0000804_Sec2"])
    assert index.section_versions()["GHR_0000804_Sec1"] == 0

    call_command("reindex", "--changed-only")

    assert_agree()
    assert "2 upserted" in capsys.readouterr().out
    assert {"GHR_0000804_Sec1", "GHR_0000804_Sec2"} <= set(index.lexical.versions())


def test_an_article_edit_reaches_the_index(indexed, curator, django_capture_on_commit_callbacks):
    from knowledge.models import Article

    article = Article.objects.get(external_id="GHR_0000804")
    with django_capture_on_commit_callbacks(execute=True):
        services.article_update(
            article=article, user=curator, focus="PKD (polycystic kidney disease)"
        )
    assert served("GHR_0000804_Sec2").focus == "PKD (polycystic kidney disease)"
    assert_agree()


def test_full_import_then_reindex_agree(small_corpus, curator, index_dir):
    report = import_medquad(small_corpus, approve_as=curator)
    assert report.index_ids and index_holds() == set()  # the importer itself queues nothing
    call_command("reindex")
    assert_agree()

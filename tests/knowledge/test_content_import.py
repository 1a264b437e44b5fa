"""Importing MedQuAD into the content store: complete, idempotent, versioned, file by file."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from curation_fixtures import needs_corpus
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from knowledge.corpus import iter_medquad
from knowledge.importers import import_jsonl, import_medquad
from knowledge.models import Article, ReviewState, Section, SectionVersion
from knowledge.selectors import approved_version_set

pytestmark = [needs_corpus, pytest.mark.django_db]


def parsed_ids(root) -> set[str]:
    return {s.external_id for r in iter_medquad(root) if r.ok for s in r.sections}


def counts() -> tuple[int, int, int]:
    return Article.objects.count(), Section.objects.count(), SectionVersion.objects.count()


def test_every_parsed_section_is_stored_under_its_stable_id(small_corpus):
    report = import_medquad(small_corpus)

    stored = set(Section.objects.values_list("external_id", flat=True))
    assert stored == parsed_ids(small_corpus)
    assert report.sections_created == len(stored) and report.errors == []
    assert "GHR_0000804_Sec2" in stored
    # Two diseases filed under one CancerGov document id stay two sections, each with its text.
    plain = Section.objects.get(external_id="CancerGov_0000013_2_Sec1").latest
    sub = Section.objects.get(external_id="CancerGov_0000013_2_1_Sec1").latest
    assert plain.text != sub.text
    assert plain.section.article != sub.section.article
    # The NINDS file in the lowercase schema is real content too.
    assert Section.objects.filter(article__origin_file="6_NINDS_QA/0000007.xml").exists()
    # Articles carry their topic, source, link and UMLS codes.
    ghr = Article.objects.get(external_id="GHR_0000804")
    assert ghr.source == "GHR" and ghr.focus and ghr.url.startswith("http")
    assert all(c.startswith("C") for c in ghr.cuis) and ghr.cuis


def test_without_approve_as_everything_waits_in_review(small_corpus):
    import_medquad(small_corpus)

    assert set(SectionVersion.objects.values_list("state", flat=True)) == {ReviewState.IN_REVIEW}
    assert approved_version_set() == set()
    assert not Section.objects.exclude(current_approved=None).exists()


def test_approve_as_records_the_reviewer_and_a_review_by_day(small_corpus, curator):
    before = timezone.now()
    import_medquad(small_corpus, approve_as=curator)

    version = Section.objects.get(external_id="GHR_0000804_Sec2").current_approved
    assert version.state == ReviewState.APPROVED and version.number == 1
    assert version.reviewed_by == curator
    assert version.reviewed_at >= before
    assert version.review_by == timezone.localdate() + timedelta(days=365)
    assert len(approved_version_set()) == Section.objects.count()


def test_reimport_changes_no_count(small_corpus, curator):
    import_medquad(small_corpus, approve_as=curator)
    first = counts()
    approved = approved_version_set()

    report = import_medquad(small_corpus, approve_as=curator)

    assert counts() == first
    assert approved_version_set() == approved
    assert report.sections_created == report.sections_changed == 0
    assert report.sections_unchanged == first[1]
    assert report.index_ids == set()  # nothing for the index to do


def test_changed_text_becomes_a_new_version_that_supersedes_the_old(small_corpus, curator):
    import_medquad(small_corpus, approve_as=curator)
    path = small_corpus / "3_GHR_QA" / "0000804.xml"
    old = Section.objects.get(external_id="GHR_0000804_Sec2").current_approved
    path.write_text(path.read_text("utf-8").replace(old.text[:40], "Revised: " + old.text[:40]))
    sections_before = Section.objects.count()

    report = import_medquad(small_corpus, approve_as=curator)

    section = Section.objects.get(external_id="GHR_0000804_Sec2")
    assert report.sections_changed == 1 and report.index_ids == {"GHR_0000804_Sec2"}
    assert Section.objects.count() == sections_before
    assert section.current_approved.number == 2
    assert section.current_approved.text.startswith("Revised: ")
    old.refresh_from_db()
    assert old.state == ReviewState.SUPERSEDED and old.text == section.versions.get(number=1).text


def test_changed_text_without_approval_leaves_the_approved_version_live(small_corpus, curator):
    import_medquad(small_corpus, approve_as=curator)
    path = small_corpus / "3_GHR_QA" / "0000804.xml"
    old = Section.objects.get(external_id="GHR_0000804_Sec2").current_approved
    path.write_text(path.read_text("utf-8").replace(old.text[:40], "Revised: " + old.text[:40]))

    import_medquad(small_corpus)

    section = Section.objects.get(external_id="GHR_0000804_Sec2")
    assert section.current_approved == old
    assert section.latest.number == 2 and section.latest.state == ReviewState.IN_REVIEW
    assert ("GHR_0000804_Sec2", 1) in approved_version_set()


def test_a_broken_file_is_reported_and_the_others_imported(small_corpus):
    broken = small_corpus / "3_GHR_QA" / "0000002.xml"
    broken.write_text(broken.read_text("utf-8")[:500])  # cut mid-document

    report = import_medquad(small_corpus)

    assert [(e.file, "malformed" in e.reason) for e in report.errors] == [
        ("3_GHR_QA/0000002.xml", True)
    ]
    assert not Article.objects.filter(origin_file="3_GHR_QA/0000002.xml").exists()
    assert Section.objects.filter(external_id="GHR_0000804_Sec2").exists()


REFUSE = {  # a trigger refusing the versions of one section: a real database error mid-file
    "sqlite": (
        [
            "CREATE TRIGGER refuse BEFORE INSERT ON knowledge_sectionversion "
            "WHEN (SELECT external_id FROM knowledge_section WHERE id = NEW.section_id) "
            "= 'GHR_0000804_Sec3' BEGIN SELECT RAISE(ABORT, 'refused by the database'); END"
        ],
        ["DROP TRIGGER refuse"],
    ),
    "postgresql": (
        [
            "CREATE FUNCTION refuse_sec3() RETURNS trigger AS $$ BEGIN "
            "IF (SELECT external_id FROM knowledge_section WHERE id = NEW.section_id) "
            "= 'GHR_0000804_Sec3' THEN RAISE EXCEPTION 'refused by the database'; END IF; "
            "RETURN NEW; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER refuse BEFORE INSERT ON knowledge_sectionversion "
            "FOR EACH ROW EXECUTE FUNCTION refuse_sec3()",
        ],
        ["DROP TRIGGER refuse ON knowledge_sectionversion", "DROP FUNCTION refuse_sec3()"],
    ),
}


@pytest.mark.skipif(connection.vendor not in REFUSE, reason="no refusing trigger for this database")
def test_a_file_the_database_refuses_is_not_half_imported(small_corpus):
    create, drop = REFUSE[connection.vendor]
    with connection.cursor() as cursor:
        for statement in create:
            cursor.execute(statement)
    try:
        report = import_medquad(small_corpus)
    finally:
        with connection.cursor() as cursor:
            for statement in drop:
                cursor.execute(statement)

    assert [e.file for e in report.errors] == ["3_GHR_QA/0000804.xml"]
    assert "refused by the database" in report.errors[0].reason
    assert not Section.objects.filter(external_id__startswith="GHR_0000804_").exists()
    assert not Article.objects.filter(external_id="GHR_0000804").exists()
    assert Section.objects.filter(external_id__startswith="GHR_0000001_").exists()
    # The next run stores it whole.
    import_medquad(small_corpus)
    assert Section.objects.filter(external_id__startswith="GHR_0000804_").count() == len(
        {i for i in parsed_ids(small_corpus) if i.startswith("GHR_0000804_")}
    )


def test_import_jsonl_reads_the_generic_fields(tmp_path, curator):
    path = tmp_path / "extra.jsonl"
    path.write_text(
        '{"id": "LOCAL_0000001_Sec1", "title": "Hand washing", "heading": "How to wash your '
        'hands", "text": "Wet, soap, scrub 20 seconds, rinse, dry.", "url": "https://example.org/'
        'hands", "source": "LOCAL"}\n',
        "utf-8",
    )

    call_command("import_jsonl", str(path), "--approve-as", curator.username, "--no-index")

    version = Section.objects.get(external_id="LOCAL_0000001_Sec1").current_approved
    assert version.question == "How to wash your hands"
    assert version.section.article.focus == "Hand washing"
    assert version.section.article.source == "LOCAL"
    assert version.section.article.url == "https://example.org/hands"
    assert import_jsonl(path, approve_as=curator).sections_unchanged == 1


def test_command_reports_counts_and_refuses_a_non_admin(small_corpus, curator, nurse, capsys):
    with pytest.raises(CommandError, match="not a content admin"):
        call_command("import_medquad", str(small_corpus), "--approve-as", nurse.username)
    assert Section.objects.count() == 0

    call_command(
        "import_medquad", str(small_corpus), "--approve-as", curator.username, "--no-index"
    )
    out = capsys.readouterr().out
    assert f"{len(parsed_ids(small_corpus))} new sections" in out
    assert len(approved_version_set()) == len(parsed_ids(small_corpus))


@pytest.mark.slow
def test_whole_corpus_imports_quickly_and_reimports_as_a_no_op(curator, capsys):
    from tests.support import MEDQUAD_DIR

    expected = parsed_ids(MEDQUAD_DIR)
    started = time.perf_counter()
    report = import_medquad(MEDQUAD_DIR, approve_as=curator)
    first_seconds = time.perf_counter() - started
    assert report.errors == []
    assert set(Section.objects.values_list("external_id", flat=True)) == expected
    assert len(approved_version_set()) == len(expected)
    first = counts()

    started = time.perf_counter()
    again = import_medquad(MEDQUAD_DIR, approve_as=curator)
    second_seconds = time.perf_counter() - started
    assert counts() == first and again.sections_unchanged == len(expected)
    with capsys.disabled():
        print(
            f"\nfull import: {len(expected)} sections in {first_seconds:.1f} s; "
            f"re-import {second_seconds:.1f} s"
        )
    assert first_seconds < 90


def test_a_changed_article_description_reindexes_its_approved_sections(small_corpus, curator):
    import_medquad(small_corpus, approve_as=curator)
    path = small_corpus / "3_GHR_QA" / "0000804.xml"
    article = Article.objects.get(external_id="GHR_0000804")
    approved = set(
        article.sections.exclude(current_approved=None).values_list("external_id", flat=True)
    )
    path.write_text(
        path.read_text("utf-8").replace(f"<Focus>{article.focus}</Focus>", "<Focus>PKD</Focus>")
    )

    report = import_medquad(small_corpus, approve_as=curator)

    article.refresh_from_db()
    assert article.focus == "PKD"
    assert report.articles_updated == 1 and report.sections_changed == 0
    assert approved and report.index_ids == approved

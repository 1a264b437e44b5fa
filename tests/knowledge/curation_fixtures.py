"""Shared helpers for the content-store tests: a small real slice of MedQuAD, curators, and an
index in a temporary folder.

Import the fixtures you need into a test module (`from curation_fixtures import small_corpus`).
"""

from __future__ import annotations

import shutil
from itertools import islice
from pathlib import Path

import pytest

from portal import roles
from tests.support import MEDQUAD_DIR, make_user

needs_corpus = pytest.mark.skipif(not MEDQUAD_DIR.is_dir(), reason="MedQuAD corpus not available")

# A few real documents from three subsets, including the CancerGov files that share one
# document id with different diseases (0000013_2.xml and its sub-files).
SLICE = {
    "1_CancerGov_QA": ["0000013_2.xml", "0000013_2_1.xml", "0000013_2_2.xml"],
    "3_GHR_QA": ["0000804.xml", "0000001.xml", "0000002.xml"],
    "6_NINDS_QA": ["0000007.xml"],  # the lowercase schema
}
EXTRA_ROWS = 12


def build_small_corpus(root: Path) -> Path:
    """Copy a slice of the real corpus into `root` (a temporary folder), same layout."""
    for folder, names in SLICE.items():
        (root / folder).mkdir(parents=True, exist_ok=True)
        for name in names:
            source = MEDQUAD_DIR / folder / name
            if source.is_file():
                shutil.copy(source, root / folder / name)
    with (MEDQUAD_DIR / "extra_answers.jsonl").open(encoding="utf-8") as src:
        (root / "extra_answers.jsonl").write_text("".join(islice(src, EXTRA_ROWS)), "utf-8")
    return root


@pytest.fixture
def small_corpus(tmp_path) -> Path:
    return build_small_corpus(tmp_path / "medquad")


@pytest.fixture
def curator(db):
    """A content admin: the "admin" role, a staff account (as the demo's admin)."""
    return make_user(
        "curator.test", roles.ADMIN, is_staff=True, first_name="Cora", last_name="Reed"
    )


@pytest.fixture
def second_curator(db):
    return make_user("curator.two", roles.ADMIN, is_staff=True, first_name="Cal", last_name="Vo")


@pytest.fixture
def index_dir(tmp_path, settings):
    """A fresh index folder for this test; the embedding model cache stays shared."""
    directory = tmp_path / "index"
    settings.KNOWLEDGE_INDEX_DIR = directory
    _forget_cached_index()
    yield directory
    _forget_cached_index()


def _forget_cached_index() -> None:
    """The index is process-wide; a test with its own folder needs a new one."""
    from knowledge.wiring import reset_index

    reset_index()


@pytest.fixture
def ghr_article(curator):
    """One real article (GHR_0000804), imported and approved by the curator."""
    from knowledge.corpus import parse_xml_file
    from knowledge.importers import Importer
    from knowledge.models import Article

    result = parse_xml_file(MEDQUAD_DIR / "3_GHR_QA" / "0000804.xml", root=MEDQUAD_DIR)
    Importer(approve_as=curator).run([result])
    return Article.objects.get(external_id="GHR_0000804")


@pytest.fixture
def section(ghr_article):
    """GHR_0000804_Sec2, approved as version 1."""
    return ghr_article.sections.get(external_id="GHR_0000804_Sec2")

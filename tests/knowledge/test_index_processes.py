"""An embedded index shared by several processes (web, worker, a management command): content
one process imports or retires is served by the others without a restart.

Embedded Chroma keeps vectors in memory per process; before the fix a search here after another
process's import failed with "Error finding id" until this process restarted. The processes learn
of the change from the content generation in the lexical store: the SQLite file, or PostgreSQL
(in the services pass).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import MEDQUAD_DIR
from django.conf import settings

from knowledge.corpus import parse_xml_file
from knowledge.index import IndexDoc, KnowledgeIndex

BASE_DIR = Path(__file__).resolve().parents[2]
BLOOD_PRESSURE = "8_NHLBI_QA_XML/0000071.xml"
ANEMIA = "8_NHLBI_QA_XML/0000002.xml"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not MEDQUAD_DIR.is_dir(), reason="MedQuAD corpus not available"),
]


def _docs(rel: str) -> list[IndexDoc]:
    result = parse_xml_file(MEDQUAD_DIR / rel, root=MEDQUAD_DIR)
    return [IndexDoc.from_record(r, version=1) for r in result.sections]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.services)])
def lexical_database(request) -> str | None:
    """Where the lexical store lives: None for the SQLite file, or the test database."""
    if request.param == "sqlite":
        return None
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        pytest.skip("the PostgreSQL lexical store: services pass only")
    request.getfixturevalue("django_db_setup")
    from knowledge.services import lexical_database_from_settings

    return lexical_database_from_settings()


def _in_another_process(directory: Path, lexical_database: str | None, code: str) -> None:
    """Run `code` with `index` open on `directory`, in a process of its own."""
    script = textwrap.dedent(
        f"""
        import os, sys
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
        import django
        django.setup()
        from pathlib import Path
        from knowledge.corpus import parse_xml_file
        from knowledge.index import IndexDoc, KnowledgeIndex
        medquad = Path({str(MEDQUAD_DIR)!r})
        def docs(rel):
            result = parse_xml_file(medquad / rel, root=medquad)
            return [IndexDoc.from_record(r, version=1) for r in result.sections]
        index = KnowledgeIndex(directory=Path({str(directory)!r}),
                               cache_dir=Path({str(settings.EMBEDDING_CACHE_DIR)!r}),
                               lexical_database={lexical_database!r})
        """
    ) + textwrap.dedent(code)
    subprocess.run([sys.executable, "-c", script], cwd=BASE_DIR, check=True, timeout=300)


def _articles(passages) -> set[str]:
    return {p.section_id.split("_Sec")[0] for p in passages}


def test_content_imported_or_retired_in_another_process_is_served_here(tmp_path, lexical_database):
    directory = tmp_path / "index"
    index = KnowledgeIndex(
        directory=directory,
        cache_dir=Path(settings.EMBEDDING_CACHE_DIR),
        lexical_database=lexical_database,
    )
    index.rebuild(_docs(BLOOD_PRESSURE))
    retriever = index.retriever()
    assert _articles(retriever.search("What is anemia?", k=3)) == {"NHLBI_0000071"}

    _in_another_process(directory, lexical_database, f"index.upsert(docs({ANEMIA!r}))")
    found = retriever.search("What is anemia?", k=3)  # no restart, no error
    assert _articles(found) == {"NHLBI_0000002"}

    retired = [p.section_id for p in found]
    _in_another_process(directory, lexical_database, f"index.remove({retired!r})")
    again = retriever.search("What is anemia?", k=10)
    assert not set(retired) & {p.section_id for p in again}


def test_a_folder_deleted_and_rebuilt_in_another_process_is_opened_again(tmp_path):
    """After `rm -r` and `manage.py reindex` in an empty folder, this process's open files
    still read the deleted copy, and the new one counts its generation up to the same number."""
    import shutil

    directory = tmp_path / "index"
    index = KnowledgeIndex(directory=directory, cache_dir=Path(settings.EMBEDDING_CACHE_DIR))
    index.rebuild(_docs(BLOOD_PRESSURE))
    retriever = index.retriever()
    assert _articles(retriever.search("What is anemia?", k=3)) == {"NHLBI_0000071"}
    generation = index.generation()

    shutil.rmtree(directory)
    assert index.folder_missing()
    # Meanwhile this process serves what it had opened.
    assert _articles(retriever.search("What is high blood pressure?", k=3)) == {"NHLBI_0000071"}

    _in_another_process(directory, None, f"index.rebuild(docs({ANEMIA!r}))")
    assert not index.folder_missing()
    found = retriever.search("What is anemia?", k=3)
    assert _articles(found) == {"NHLBI_0000002"}
    assert index.generation() == generation  # the same number: only the folder tells them apart

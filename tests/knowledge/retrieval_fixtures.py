"""Small real indexes for the retrieval tests (real MedQuAD sections, real model).

The ONNX export of the embedding model happens once per machine, into the repository's
var/models (gitignored), and is reused by every run.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from django.conf import settings

from knowledge.corpus import SectionRecord, load_medquad
from knowledge.index import IndexDoc, KnowledgeIndex

MEDQUAD = Path(settings.PORTAL_DATA_DIR) / "medquad"
CACHE_DIR = Path(
    getattr(settings, "EMBEDDING_CACHE_DIR", Path(__file__).resolve().parents[2] / "var/models")
)
# Articles the tests ask about, plus random others so that every answer must be found.
ARTICLES = (
    "GHR_0000804",  # polycystic kidney disease
    "NIDDK_0000088",  # celiac disease
    "GHR_0000163",  # celiac disease (another source)
    "MPlusDrugs_0001309",  # zolmitriptan
    "ADAM_0000301",  # appendicitis
    "ADAM_0002818",  # Noonan syndrome
    "NINDS_0000155",  # normal pressure hydrocephalus
    "GARD_0004450",  # Noonan syndrome (GARD), which lists its subtypes among its other names
    "GARD_0004456",  # Noonan syndrome 6, which lists "Noonan syndrome" among its other names
    "ADAM_0003967",  # tooth abscess
    "NHLBI_0000058",  # heart attack
    "ADAM_0001359",  # electrical injury
    "ADAM_0003800",  # swallowing difficulty
    "ADAM_0002437",  # low blood sugar - newborns (also called: neonatal hypoglycemia)
    "NIDDK_0000042",  # hypoglycemia (in adults with and without diabetes)
    "NIHSeniorHealth_0000033",  # heart attack, its answers split over sections titled alike
)
FILLER = 220

needs_corpus = pytest.mark.skipif(not MEDQUAD.is_dir(), reason="MedQuAD corpus not available")


@pytest.fixture(scope="session")
def medquad_sections() -> dict[str, SectionRecord]:
    sections, _errors = load_medquad(MEDQUAD)
    return {s.external_id: s for s in sections}


def docs_of(sections: dict[str, SectionRecord], *articles: str) -> list[IndexDoc]:
    return [IndexDoc.from_record(s) for s in sections.values() if s.article_id in articles]


@pytest.fixture(scope="session")
def search_index(tmp_path_factory, medquad_sections) -> KnowledgeIndex:
    """A read-only index of ~300 real sections; tests must not change it."""
    chosen = docs_of(medquad_sections, *ARTICLES)
    others = [s for s in medquad_sections.values() if s.article_id not in ARTICLES]
    chosen += [IndexDoc.from_record(s) for s in random.Random(7).sample(others, FILLER)]
    index = KnowledgeIndex(directory=tmp_path_factory.mktemp("search-index"), cache_dir=CACHE_DIR)
    index.rebuild(chosen)
    return index


@pytest.fixture
def small_index(tmp_path, medquad_sections) -> KnowledgeIndex:
    """A fresh index of two articles (polycystic kidney disease, appendicitis) to change."""
    index = KnowledgeIndex(directory=tmp_path / "index", cache_dir=CACHE_DIR)
    index.rebuild(docs_of(medquad_sections, "GHR_0000804", "ADAM_0000301"))
    return index

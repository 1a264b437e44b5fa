"""Fixtures for every test in this folder (defined in the *_fixtures.py modules beside it)."""

from __future__ import annotations

from curation_fixtures import (  # noqa: F401 - fixtures for this folder
    curator,
    ghr_article,
    index_dir,
    second_curator,
    section,
    small_corpus,
)
from retrieval_fixtures import (  # noqa: F401 - fixtures for this folder
    medquad_sections,
    search_index,
    small_index,
)

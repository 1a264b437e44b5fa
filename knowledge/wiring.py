"""The process-wide wiring of the knowledge index to the site: the index the settings configure
(folder, embedding cache, Chroma server, lexical backend), one per process, and its retriever.

The one place retrieval meets Django settings: the index (`knowledge.index`) and the ranking
(`knowledge.retrieval`) read none.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connections

_indexes: dict[tuple[str, str | None, int], Any] = {}
_indexes_lock = threading.Lock()


def index_from_settings(**overrides: Any):
    """The index configured by Django settings (KNOWLEDGE_INDEX_DIR, EMBEDDING_CACHE_DIR,
    CHROMA_HOST, CHROMA_PORT, LEXICAL_BACKEND), with defaults when a setting is absent; the
    index itself (`knowledge.index`) reads no settings."""
    from .index import KnowledgeIndex

    options: dict[str, Any] = {
        "directory": Path(getattr(settings, "KNOWLEDGE_INDEX_DIR", "var/index")),
        "cache_dir": Path(getattr(settings, "EMBEDDING_CACHE_DIR", "var/models")),
        "chroma_host": getattr(settings, "CHROMA_HOST", None) or None,
        "chroma_port": int(getattr(settings, "CHROMA_PORT", 8000)),
        "lexical_database": lexical_database_from_settings(),
    }
    options.update(overrides)
    return KnowledgeIndex(**options)


def lexical_database_from_settings() -> str | None:
    """The PostgreSQL connection string for the lexical index, or None for the SQLite file.

    LEXICAL_BACKEND "postgres" or "sqlite"; empty (the default) follows the site's database: on
    PostgreSQL, web and worker processes may run on several hosts, which share only the database,
    Redis and a Chroma server, so the lexical side and the content generation live there too. The
    connection is the default database's as Django holds it now (under pytest, its test
    database)."""

    backend = (getattr(settings, "LEXICAL_BACKEND", "") or "").strip().lower()
    vendor = connections["default"].vendor
    if backend not in ("", "postgres", "sqlite"):
        raise ImproperlyConfigured(f"LEXICAL_BACKEND must be postgres or sqlite, not {backend!r}")
    if backend == "sqlite" or (not backend and vendor != "postgresql"):
        return None
    if vendor != "postgresql":
        raise ImproperlyConfigured("LEXICAL_BACKEND=postgres needs DATABASE_URL on PostgreSQL")
    from psycopg.conninfo import make_conninfo

    db = connections["default"].settings_dict
    parts = {
        "dbname": db.get("NAME"),
        "user": db.get("USER"),
        "password": db.get("PASSWORD"),
        "host": db.get("HOST"),
        "port": str(db.get("PORT") or ""),
    }
    return make_conninfo(**{k: v for k, v in parts.items() if v})


def get_index():
    """The process-wide KnowledgeIndex of the configured folder (or Chroma server): opening one
    per task would reload the collections and the embedding model every time."""
    key = (
        str(settings.KNOWLEDGE_INDEX_DIR),
        getattr(settings, "CHROMA_HOST", None),
        int(getattr(settings, "CHROMA_PORT", 8000)),
    )
    with _indexes_lock:
        if key not in _indexes:
            _indexes[key] = index_from_settings()
        return _indexes[key]


def get_retriever():
    """The process-wide hybrid retriever over the configured index (see the settings
    KNOWLEDGE_INDEX_DIR, EMBEDDING_CACHE_DIR, CHROMA_HOST): the one place retrieval is wired to
    the site; the ranking itself (`knowledge.retrieval`) knows no settings."""
    return get_index().retriever()


def reset_index() -> None:
    """Forget the process-wide index objects (tests that point settings at a new folder)."""
    with _indexes_lock:
        _indexes.clear()

"""Fixtures for every test in this folder (defined in the *_fixtures.py modules beside it)."""

from __future__ import annotations

from tests.portal.portal_fixtures import (  # noqa: F401 - fixtures for this folder
    fast_password_hashing,
    two_patients,
)

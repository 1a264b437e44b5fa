"""Helpers shared by tests in every folder: where the real data is, and a user in a role.

Imported by name (`from tests.support import make_user`); fixtures live in the conftest.py files.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import Group

DATA_DIR = Path(settings.PORTAL_DATA_DIR)
SYNTHEA_DIR = DATA_DIR / "synthea"
MEDQUAD_DIR = DATA_DIR / "medquad"
EVAL_DIR = DATA_DIR.parent / "eval"


def make_user(username: str, role: str, *, password: str = "pw-Portal-2026!", **extra):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(username=username, password=password, **extra)
    group, _ = Group.objects.get_or_create(name=role)
    user.groups.add(group)
    return user

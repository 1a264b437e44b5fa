"""Fixtures shared by the whole suite: people in each role, and the real demo data folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group

from portal import roles

DATA_DIR = Path(settings.PORTAL_DATA_DIR)
SYNTHEA_DIR = DATA_DIR / "synthea"
MEDQUAD_DIR = DATA_DIR / "medquad"
EVAL_DIR = DATA_DIR.parent / "eval"

# Chromium's wrapper and Playwright need this only for the browser run (see tests/e2e).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def make_user(username: str, role: str, *, password: str = "pw-Portal-2026!", **extra):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(username=username, password=password, **extra)
    group, _ = Group.objects.get_or_create(name=role)
    user.groups.add(group)
    return user


@pytest.fixture
def nurse(db):
    return make_user("nurse.test", roles.NURSE, first_name="Nora", last_name="Quinn")


@pytest.fixture
def charge_nurse(db):
    user = make_user("charge.test", roles.NURSE, first_name="Carla", last_name="Reyes")
    user.groups.add(Group.objects.get_or_create(name=roles.CHARGE_NURSE)[0])
    return user


@pytest.fixture
def admin_user(db):
    return make_user("admin.test", roles.ADMIN, is_staff=True, first_name="Ada", last_name="Min")

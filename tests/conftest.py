"""Fixtures shared by the whole suite: people in each role, and the real demo data folder."""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from django.contrib.auth.models import Group

from portal import roles
from tests.support import make_user

# Chromium's wrapper and Playwright need this only for the browser run (see tests/e2e).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
# No gate warm-up thread when a test imports portal.asgi: it would load the real model while a
# test swaps it (tests/portal/test_asgi_warm_up.py runs the warm-up in a process of its own).
settings.WARM_UP_AT_START = False


@pytest.fixture(scope="session", autouse=True)
def _index_outside_the_checkout(tmp_path_factory):
    """The suite's own knowledge index, in a temporary folder. Approving content in a test
    re-indexes it on commit; without this it would land in var/index, the index `make run`
    serves, and the demo would find test sections in it. Tests needing another index still
    point the setting elsewhere."""
    settings.KNOWLEDGE_INDEX_DIR = tmp_path_factory.mktemp("knowledge-index")


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


def _reachable(host: str, port: int) -> bool:
    import socket

    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex((host, port)) == 0


@pytest.fixture(scope="session")
def real_services():
    """PostgreSQL and Redis for the tests marked `services`.

    Outside the services pass (no REDIS_URL / PostgreSQL DATABASE_URL) these tests are skipped;
    in the services pass or in CI a missing service is a failure, never a skip.
    """
    required = os.environ.get("REQUIRE_SERVICES") == "1" or os.environ.get("CI") == "true"
    redis_url = os.environ.get("REDIS_URL", "")
    db_url = os.environ.get("DATABASE_URL", "")
    if not (redis_url and db_url.startswith("postgres")):
        if required:
            pytest.fail("the services pass needs DATABASE_URL (PostgreSQL) and REDIS_URL set")
        pytest.skip("not the services pass: run `make test-services`")
    for name, host, port in (("PostgreSQL", "127.0.0.1", 5432), ("Redis", "127.0.0.1", 6379)):
        if not _reachable(host, port):
            pytest.fail(f"{name} is not reachable on {host}:{port}")
    return {"redis_url": redis_url, "database_url": db_url}


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's test database, and on PostgreSQL, before it is dropped, the end of any
    session still open on it: a thread of asgiref's executor that served a consumer keeps its
    connection, and PostgreSQL refuses to drop a database in use, which would leave the test
    database behind on the shared server."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )

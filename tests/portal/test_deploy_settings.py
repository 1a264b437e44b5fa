"""Secure by default once DEBUG is off: what an operator who sets only DEBUG=0, SECRET_KEY and
ALLOWED_HOSTS gets, seen from outside (Django's deploy checks, a browser on plain HTTP, the
headers and cookies of a page, the static files' names and cache headers).

Each case runs in a fresh process, since settings are read from the environment at start."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)

PROBE = """
import json, re
import django
django.setup()
from django.test import Client
c = Client()
out = {}
r = c.get("/accounts/login/")
out["http"] = [r.status_code, r.get("Location")]
r = c.get("/accounts/login/", secure=True)
out["https_status"] = r.status_code
out["hsts"] = r.get("Strict-Transport-Security")
out["csp"] = r.get("Content-Security-Policy")
out["csrf_cookie_secure"] = bool(r.cookies["csrftoken"]["secure"])
out["scripts_and_css"] = re.findall(r'(?:href|src)="(/static/[^"]+)"', r.content.decode())
s = c.get(out["scripts_and_css"][0], secure=True)
out["static"] = [s.status_code, s.get("Cache-Control")]
from django.conf import settings
out["session_cookie_secure"] = settings.SESSION_COOKIE_SECURE
print(json.dumps(out))
"""


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "SECURE_", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"))
        and k not in ("DATABASE_URL", "REDIS_URL", "TRUSTED_PROXY_COUNT")
    }
    env.update(
        PORTAL_VAR_DIR=str(tmp_path / "var"),
        DJANGO_SETTINGS_MODULE="portal.settings",
        PYTHONPATH=str(BASE_DIR),
        **extra,
    )
    return env


def _production(tmp_path: Path, **extra: str) -> dict[str, str]:
    return _env(
        tmp_path,
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="portal.example.org,testserver",
        **extra,
    )


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_reports_nothing_with_only_debug_off_a_key_and_hosts(tmp_path):
    result = _run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], _production(tmp_path)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_turning_a_protection_off_for_a_tls_proxy_is_explicit_and_reported(tmp_path):
    env = _production(tmp_path, SECURE_SSL_REDIRECT="0")
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)
    assert result.returncode != 0
    assert "security.W008" in result.stdout + result.stderr


@pytest.mark.parametrize("key", [None, "dev-only-insecure-key-change-me", ""])
def test_nothing_starts_with_debug_off_and_the_published_key(tmp_path, key):
    env = _env(tmp_path, DEBUG="0", ALLOWED_HOSTS="portal.example.org")
    if key is not None:
        env["SECRET_KEY"] = key
    result = _run(["manage.py", "check"], env)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr and "ImproperlyConfigured" in result.stderr


def test_a_production_page_is_https_only_with_secure_cookies_csp_and_hashed_cached_static(
    tmp_path,
):
    env = _production(tmp_path)
    collected = _run(["manage.py", "collectstatic", "--noinput"], env)
    assert collected.returncode == 0, collected.stderr
    result = _run(["-c", PROBE], env)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    # Plain HTTP is sent to HTTPS before anything is served.
    assert seen["http"] == [301, "https://testserver/accounts/login/"]
    assert seen["https_status"] == 200
    assert seen["hsts"].startswith("max-age=31536000") and "includeSubDomains" in seen["hsts"]
    assert "script-src 'self'" in seen["csp"]
    assert seen["csrf_cookie_secure"] and seen["session_cookie_secure"]
    # Static files under content-hashed names, cached for a year, never revalidated.
    first = seen["scripts_and_css"][0]
    assert first.startswith("/static/css/portal.") and len(first.split(".")) == 3
    status, cache = seen["static"]
    assert status == 200 and "immutable" in cache and "max-age=315360000" in cache


def test_behind_a_tls_proxy_the_forwarded_scheme_is_trusted_and_nothing_is_turned_off(tmp_path):
    env = _production(tmp_path, SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto")
    probe = (
        "import django; django.setup(); from django.test import Client; "
        "r = Client().get('/accounts/login/', HTTP_X_FORWARDED_PROTO='https'); "
        "print(r.status_code, r.get('Strict-Transport-Security', ''))"
    )
    _run(["manage.py", "collectstatic", "--noinput"], env)
    result = _run(["-c", probe], env)
    assert result.returncode == 0, result.stderr
    status, hsts = result.stdout.strip().splitlines()[-1].split(" ", 1)
    assert status == "200" and hsts.startswith("max-age=")

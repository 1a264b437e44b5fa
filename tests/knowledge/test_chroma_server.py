"""The index on a Chroma server (`CHROMA_HOST`), as production runs it.

A real Chroma server is started from the `chroma` command that the chromadb package installs,
on a free local port, with its data in a temporary folder. The index then talks to it over HTTP
exactly as it would to a server elsewhere.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from retrieval_fixtures import CACHE_DIR, docs_of, needs_corpus

from knowledge.index import CHROMA_DIR, KnowledgeIndex

pytestmark = needs_corpus

START_SECONDS = 60


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(port: int, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the Chroma server exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"the Chroma server did not answer within {START_SECONDS} s")


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    """(port, data folder) of a Chroma server running for this module's tests."""
    chroma = Path(sys.executable).with_name("chroma")
    assert chroma.exists(), "the chromadb package installs the `chroma` command beside python"
    data = tmp_path_factory.mktemp("chroma-server")
    port = _free_port()
    log = (data.parent / "chroma-server.log").open("wb")
    server = subprocess.Popen(
        [str(chroma), "run", "--path", str(data), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for(port, server)
        yield port, data
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def _server_index(port: int, directory: Path) -> KnowledgeIndex:
    return KnowledgeIndex(
        directory=directory,
        cache_dir=CACHE_DIR,
        chroma_host="127.0.0.1",
        chroma_port=port,
        collection_prefix=f"test-{directory.name}",
    )


def test_the_index_is_kept_on_the_server_and_answers_from_it(
    chroma_server, tmp_path, medquad_sections
):
    port, data = chroma_server
    index = _server_index(port, tmp_path / "web")
    stats = index.rebuild(docs_of(medquad_sections, "GHR_0000804", "ADAM_0000301"))
    assert stats.sections == index.count() > 0

    found = index.search("what causes appendicitis?", k=3)
    assert found[0].section_id.startswith("ADAM_0000301_")
    # The vectors are on the server, not in the web process's folder.
    assert not (tmp_path / "web" / CHROMA_DIR).exists()
    assert any(data.iterdir())


def test_another_process_sees_the_same_vectors_and_removals(
    chroma_server, tmp_path, medquad_sections
):
    port, _ = chroma_server
    web = _server_index(port, tmp_path / "shared")
    web.rebuild(docs_of(medquad_sections, "GHR_0000804", "ADAM_0000301"))
    # The worker shares the vectors through the server and the lexical store through the same
    # file (on separate hosts, through PostgreSQL: tests/services/test_lexical_backends.py).
    worker = KnowledgeIndex(
        directory=tmp_path / "shared",
        cache_dir=CACHE_DIR,
        chroma_host="127.0.0.1",
        chroma_port=port,
        collection_prefix="test-shared",
    )
    assert worker.section_versions() == web.section_versions()

    retired = [sid for sid in web.section_versions() if sid.startswith("ADAM_0000301_")]
    assert web.remove(retired) == len(retired)
    assert not set(retired) & set(worker.section_versions())
    vector = worker.embed_query("what causes appendicitis?")
    assert not any(pid.split("#")[0] in retired for pid, _ in worker.nearest_passage_ids(vector))

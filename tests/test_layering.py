"""The layering is enforced: `lint-imports` (the contracts in .importlinter) keeps every
contract on this tree, and breaks the right one when a forbidden import appears anywhere in a
chain, e.g. the escalation gate reaching Django through a helper module."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
PACKAGES = ("assistant", "knowledge", "portal")


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(tree / ".importlinter")],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def tree(tmp_path) -> Path:
    """A copy of the project's Python sources, to break on purpose."""
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package,
            tmp_path / package,
            ignore=lambda _d, names: [
                n for n in names if not n.endswith(".py") and not (Path(_d) / n).is_dir()
            ],
        )
    shutil.copy(ROOT / ".importlinter", tmp_path / ".importlinter")
    return tmp_path


def test_the_project_keeps_every_layering_contract(tree):
    result = _lint(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_a_gate_module_reaching_django_through_a_helper_breaks_the_pure_core_contract(tree):
    (tree / "assistant" / "escalation" / "rules" / "site_words.py").write_text(
        "from django.conf import settings\n\nEXTRA = getattr(settings, 'EXTRA_WORDS', ())\n"
    )
    general = tree / "assistant" / "escalation" / "rules" / "general.py"
    general.write_text(general.read_text() + "\nfrom . import site_words  # noqa\n")
    result = _lint(tree)
    assert result.returncode != 0
    assert "pure Python" in result.stdout and "BROKEN" in result.stdout
    assert "assistant.escalation.rules.site_words -> django" in result.stdout


def test_knowledge_importing_the_chat_breaks_its_contract(tree):
    views = tree / "knowledge" / "views.py"
    views.write_text(views.read_text() + "\nfrom assistant import models as _chat  # noqa\n")
    result = _lint(tree)
    assert result.returncode != 0
    assert "knowledge.views -> assistant.models" in result.stdout

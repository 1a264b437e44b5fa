"""manage.py evaluate_answers on a small real index: what a patient would get, counted."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from retrieval_fixtures import *  # noqa: F403 - fixtures
from retrieval_fixtures import needs_corpus

pytestmark = needs_corpus

QUESTIONS = [
    {
        "qid": "A1",
        "question": "hi, is polycystic kidney disease passed down in families?? thanks",
        "judgments": {"GHR_0000804_Sec4": 4, "GHR_0000804_Sec1": 2},
    },
    {
        "qid": "A2",
        "question": "what are the signs of appendicitis",
        "judgments": {"ADAM_0000301_Sec3": 4, "ADAM_0000301_Sec1": 3},
    },
    {
        "qid": "U1",
        "question": "what time does the clinic parking garage close",
        "answerable": False,
        "judgments": {},
    },
    {
        "qid": "E1",
        "question": "crushing chest pain and I can't breathe right now",
        "judgments": {"NHLBI_0000058_Sec1": 3},
    },
]


@pytest.fixture(autouse=True)
def _lexical_store_of_the_fixtures(settings):
    settings.LEXICAL_BACKEND = "sqlite"


@pytest.fixture
def questions_file(tmp_path):
    path = tmp_path / "judged.jsonl"
    path.write_text("".join(json.dumps(q) + "\n" for q in QUESTIONS))
    return path


def run(*args) -> dict:
    out = StringIO()
    call_command("evaluate_answers", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_answers_abstentions_and_hand_offs_are_counted(search_index, questions_file):
    report = run(str(questions_file), "--index-dir", str(search_index.directory))
    outcome = {o["qid"]: o for o in report["outcomes"]}
    assert outcome["A1"]["kind"] == "answer"
    assert "GHR_0000804_Sec4" in outcome["A1"]["cited"]  # the inheritance section, not another
    assert outcome["U1"]["kind"] == "abstain"
    assert outcome["E1"]["kind"] in ("safety", "handoff")  # the gate, before any search
    assert report["questions"] == 4
    assert report["handed_off"] >= 1
    assert report["unanswerable"] == 1 and report["unanswerable_declined"] == 1.0
    # The emergency is answerable content-wise, but not a routine question.
    assert report["answerable"] == 3 and report["answerable_routine"] == 2
    good = sum(1 for q in ("A1", "A2") if set(outcome[q]["cited"]) & set(outcome[q]["relevant"]))
    assert report["answered_relevant"] == good / 2
    assert report["reading_grade_median"] is not None and report["ms_p95"] > 0


def test_a_file_without_judgments_is_refused(search_index, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"qid": "x", "question": "what is gout"}) + "\n")
    with pytest.raises(CommandError, match="judgments"):
        run(str(path), "--index-dir", str(search_index.directory))

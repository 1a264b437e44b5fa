"""manage.py evaluate_retrieval on a small real index."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from retrieval_fixtures import needs_corpus

pytestmark = needs_corpus

QUESTIONS = [
    {
        "qid": "K1",
        "question": "hi, is polycystic kidney disease passed down in families?? thanks",
        "paraphrase": "Is polycystic kidney disease inherited?",
        "judgments": {"GHR_0000804_Sec4": 4, "GHR_0000804_Sec1": 2},
    },
    {
        "qid": "K2",
        "question": "my belly hurts on the right, could it be appendicitis, what are the signs",
        "paraphrase": "What are the symptoms of appendicitis?",
        "judgments": {"ADAM_0000301_Sec3": 4, "ADAM_0000301_Sec1": 3, "NOT_IN_INDEX_Sec1": 3},
    },
]


@pytest.fixture(autouse=True)
def _lexical_store_of_the_fixtures(settings):
    """The indexes these tests read were opened directly, so with the SQLite lexical file: the
    command must open them the same way, whatever database the suite runs on."""
    settings.LEXICAL_BACKEND = "sqlite"


@pytest.fixture
def questions_file(tmp_path):
    path = tmp_path / "judged.jsonl"
    path.write_text("".join(json.dumps(q) + "\n" for q in QUESTIONS))
    return path


def run(*args) -> str:
    out = StringIO()
    call_command("evaluate_retrieval", *args, stdout=out)
    return out.getvalue()


def test_json_report_has_the_metrics_and_each_questions_ranks(search_index, questions_file):
    report = json.loads(
        run(str(questions_file), "--index-dir", str(search_index.directory), "--json")
    )
    assert {"mrr_at_10", "recall_at_10", "ndcg_at_10", "queries"} <= set(report)
    first = {q["qid"]: q["first_relevant_rank"] for q in report["queries"]}
    assert first["K1"] == 1
    assert 1 <= first["K2"] <= 3
    assert report["mrr_at_10"] == pytest.approx((1 + 1 / first["K2"]) / 2)
    # K2 can find at most 2 of its 3 relevant sections: one is not in the index.
    assert report["recall_at_10"] == pytest.approx((1.0 + 2 / 3) / 2)
    assert all(len(q["retrieved"]) == 10 for q in report["queries"])


def test_text_report_per_mode_and_wording(search_index, questions_file):
    text = run(
        str(questions_file),
        "--index-dir",
        str(search_index.directory),
        "--mode",
        "bm25",
        "--field",
        "paraphrase",
    )
    assert "mode bm25" in text and "(paraphrase)" in text
    assert "K1" in text and "MRR@10" in text


def test_an_empty_index_says_what_to_run(tmp_path, questions_file):
    with pytest.raises(CommandError, match=r"import_medquad.*reindex"):
        run(str(questions_file), "--index-dir", str(tmp_path / "nothing"))


def test_vectors_without_their_lexical_store_say_what_to_run(small_index, questions_file):
    # E.g. a site moved to PostgreSQL: the vectors are there, its lexical store is still empty.
    small_index.lexical.clear()
    with pytest.raises(CommandError, match=r"lexical.*reindex --changed-only"):
        run(str(questions_file), "--index-dir", str(small_index.directory))


def test_a_malformed_file_is_refused(search_index, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"qid": "x", "question": "q"}\n')
    with pytest.raises(CommandError, match="judgments"):
        run(str(bad), "--index-dir", str(search_index.directory))

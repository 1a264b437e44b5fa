"""The evaluation used to measure the gate, and the targets on labelled message sets."""

from __future__ import annotations

import json
from collections import Counter
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from assistant.escalation import CaseFileError, cases_read, classify, evaluate

HERE = Path(__file__).parent
CASES = HERE / "escalation_cases.jsonl"
# Written together with the main set, before any rule existed, and checked once at the end:
# emergency 30/30, urgent 17/18, routine escalated 0/14. The one miss ("this cough wont go away
# and its been 3 weeks") was then fixed in general, so this set is no longer unseen.
HOLDOUT = HERE / "escalation_holdout.jsonl"
DEV = Path(settings.PORTAL_DATA_DIR).parent / "eval" / "escalation_dev.jsonl"


def test_evaluate_computes_recalls_and_rates_from_the_confusion_matrix():
    rows = [
        {"text": "I can't breathe", "label": "emergency"},  # emergency
        {"text": "can I talk to a nurse", "label": "emergency"},  # urgent: an emergency miss
        {"text": "can I talk to a nurse", "label": "urgent"},  # urgent
        {"text": "I'm having a heart attack", "label": "urgent"},  # emergency counts for urgent
        {"text": "what is a normal A1c?", "label": "urgent"},  # routine: an urgent miss
        {"text": "what is a normal A1c?", "label": "routine"},
        {"text": "my ankle is swollen", "label": "routine"},  # escalated
    ]
    predicted = [classify(r["text"]).level for r in rows]
    assert predicted == [
        "emergency", "urgent", "urgent", "emergency", "routine", "routine", "urgent",
    ]  # fmt: skip
    report = evaluate(rows)
    assert report["n"] == 7
    assert report["emergency_recall"] == 0.5
    assert report["urgent_recall"] == round(2 / 3, 4)
    assert report["routine_escalated_rate"] == 0.5
    assert report["confusion"]["emergency"] == {"emergency": 1, "urgent": 1, "routine": 0}
    assert report["confusion"]["urgent"] == {"emergency": 1, "urgent": 1, "routine": 1}
    assert [e["text"] for e in report["errors"]] == [
        "can I talk to a nurse",
        "I'm having a heart attack",
        "what is a normal A1c?",
        "my ankle is swollen",
    ]
    assert report["errors"][0]["rule_id"] == "urgent.human_request"


def test_evaluate_on_no_rows_gives_no_ratio_rather_than_a_division_error():
    report = evaluate([])
    assert report["n"] == 0 and report["emergency_recall"] is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"text": "hi", "label": "routine"}\n{not json\n', ":2: not valid JSON"),
        ('{"text": "hi", "label": "maybe"}\n', ":1: 'label' must be one of"),
        ('["hi", "routine"]\n', ":1: expected an object with a 'text' string"),
        ('\n{"label": "routine"}\n', ":2: expected an object"),
    ],
)
def test_a_malformed_line_is_reported_with_file_and_line(tmp_path, content, message):
    path = tmp_path / "cases.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CaseFileError, match=str(path) + message.replace("(", r"\(")):
        cases_read(path)


def test_a_missing_file_is_reported(tmp_path):
    with pytest.raises(CaseFileError, match="no such file"):
        cases_read(tmp_path / "nope.jsonl")


# --- Our own labelled set ----------
def test_own_case_file_is_large_and_varied_enough():
    rows = cases_read(CASES)
    labels = Counter(r["label"] for r in rows)
    tags = Counter(t for r in rows for t in r.get("tags", []))
    assert len(rows) >= 200
    assert labels["emergency"] >= 60 and labels["urgent"] >= 70 and labels["routine"] >= 70
    assert tags["es"] >= 30
    assert tags["typo"] + tags["slang"] >= 30
    assert tags["negation"] + tags["education"] >= 20
    assert tags["injection"] >= 3
    assert len({r["text"] for r in rows}) == len(rows), "duplicate messages"


@pytest.mark.parametrize("path", [CASES, HOLDOUT], ids=["own_cases", "holdout"])
def test_targets_on_our_labelled_sets(path):
    report = evaluate(cases_read(path))
    errors = [(e["label"], e["predicted"], e["text"]) for e in report["errors"]]
    assert report["emergency_recall"] == 1.0, errors
    assert report["urgent_recall"] >= 0.95, errors
    assert report["routine_escalated_rate"] <= 0.10, errors


@pytest.mark.skipif(not DEV.exists(), reason="shared dev set not present")
def test_targets_on_the_shared_dev_set():
    report = evaluate(cases_read(DEV))
    assert report["emergency_recall"] == 1.0, report["errors"]
    assert report["urgent_recall"] >= 0.95, report["errors"]
    assert report["routine_escalated_rate"] <= 0.10, report["errors"]


# --- The management command ----------
def test_command_prints_matrix_figures_and_misclassified_messages(tmp_path):
    path = tmp_path / "cases.jsonl"
    path.write_text(
        "\n".join(
            json.dumps(r)
            for r in [
                {"text": "I can't breathe", "label": "emergency", "why": "x"},
                {"text": "my ankle is swollen", "label": "routine", "why": "y"},
            ]
        ),
        encoding="utf-8",
    )
    out = StringIO()
    call_command("evaluate_escalation", str(path), stdout=out)
    text = out.getvalue()
    assert "gold \\ predicted" in text
    assert "emergency recall        1.000" in text
    assert "routine escalated rate  1.000" in text
    assert "[routine -> urgent] my ankle is swollen" in text
    assert "urgent.new_symptom" in text


def test_command_json_output_has_the_documented_keys():
    out = StringIO()
    call_command("evaluate_escalation", str(CASES), "--json", stdout=out)
    report = json.loads(out.getvalue())
    assert {"emergency_recall", "urgent_recall", "routine_escalated_rate", "confusion", "n",
            "errors"} <= set(report)  # fmt: skip
    assert report["n"] == len(cases_read(CASES))
    assert set(report["confusion"]) == {"emergency", "urgent", "routine"}


def test_command_reports_a_bad_file_clearly(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "ok", "label": "routine"}\n{oops\n', encoding="utf-8")
    with pytest.raises(CommandError, match=r"bad\.jsonl:2"):
        call_command("evaluate_escalation", str(path))
    with pytest.raises(CommandError, match="no such file"):
        call_command("evaluate_escalation", str(tmp_path / "missing.jsonl"))


def test_the_check_set_is_scored_on_its_own_and_never_trained_on():
    """`--labelled check`: messages written after the model was frozen, in every emergency
    category, that neither the training split nor the held-aside split holds."""
    from assistant.escalation import data

    checks = data.examples_read(data.CHECKS_DIR)
    trained = {" ".join(e.text.split()).casefold() for e in data.examples_read()}
    assert not [e.text for e in checks if " ".join(e.text.split()).casefold() in trained]
    assert {e.label for e in checks} == {"emergency", "urgent", "routine"}
    out = StringIO()
    call_command("evaluate_escalation", "--labelled", "check", "--json", stdout=out)
    report = json.loads(out.getvalue())
    assert report["n"] == len(checks) >= 600
    assert report["emergency_recall"] is not None and report["routine_escalated_rate"] is not None

"""The labelled question set: split by article, judgments that say what answers what."""

from __future__ import annotations

import json
import random
from pathlib import Path

from knowledge import questions
from knowledge.corpus import SectionRecord

SHIPPED = Path(questions.__file__).resolve().parent / "data" / "questions"


def _section(source: str, doc: str, pid: int, focus: str, qtype: str, question: str = ""):
    return SectionRecord(
        external_id=f"{source}_{doc}_Sec{pid}",
        source=source,
        document_id=doc,
        focus=focus,
        question=question or f"What is (are) {focus} ?",
        qtype=qtype,
        text="Some text.",
        url="https://example.org",
        cuis=(),
        semantic_types=(),
        origin_file="x.xml",
        pid=pid,
        synonyms=("lay name of " + focus,),
    )


def _corpus(n_articles: int = 60) -> list[SectionRecord]:
    out = []
    for a in range(n_articles):
        topic = f"Condition{a} syndrome"
        for pid, qtype in enumerate(("information", "causes", "treatment"), start=1):
            out.append(_section("GARD", f"{a:07d}", pid, topic, qtype))
        if a % 3 == 0:  # the same topic in a second source
            out.append(_section("GHR", f"{a:07d}", 1, topic, "treatment"))
    return out


def test_no_article_is_in_both_splits():
    rows = questions.build(_corpus(), per_article=2, max_articles=60)
    train = {r["article"] for r in rows["train"]}
    held = {r["article"] for r in rows["heldaside"] if r["answerable"]}
    assert train and held
    assert not train & held
    # Every judged section of a held-aside question belongs to an article the learner never saw
    # as a question's own article.
    for row in rows["heldaside"]:
        if row["answerable"]:
            assert questions.split_of(row["article"]) == "heldaside"


def test_shipped_files_keep_articles_apart():
    def articles(split):
        lines = (SHIPPED / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()
        return {json.loads(line).get("article") for line in lines} - {None}

    train, held = articles("train"), articles("heldaside")
    assert len(held) >= 0.2 * (len(train) + len(held))
    assert not train & held


def test_same_topic_in_another_source_is_judged_an_answer():
    rows = questions.build(_corpus(), per_article=3, max_articles=1000)
    every = rows["train"] + rows["heldaside"]
    asked = next(r for r in every if r["section"] == "GARD_0000000_Sec3")  # treatment
    assert asked["judgments"]["GARD_0000000_Sec3"] == 4
    assert asked["judgments"]["GHR_0000000_Sec1"] == 3  # the other source's treatment
    assert asked["judgments"]["GARD_0000000_Sec2"] == 2  # same article, causes: a hard negative
    assert "GARD_0000000_Sec2" in asked["hard_negatives"]


def test_questions_do_not_copy_the_curated_question():
    rows = questions.build(_corpus(), per_article=3, max_articles=1000)
    every = [r for split in rows.values() for r in split if r["answerable"]]
    assert not [r for r in every if r["question"].startswith("What is (are)")]
    assert len({r["voice"] for r in every}) >= 5


def test_building_twice_gives_the_same_rows():
    assert questions.build(_corpus()) == questions.build(_corpus())


def test_a_typo_changes_a_long_word_only():
    rng = random.Random(3)
    assert questions._typo("gout", rng) == "gout"
    changed = questions._typo("fibromyalgia", rng)
    assert changed != "fibromyalgia" and abs(len(changed) - len("fibromyalgia")) <= 1

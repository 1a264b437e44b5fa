"""Search over a small real index: what a patient (and the answer pipeline) would notice."""

from __future__ import annotations

import pytest
from retrieval_fixtures import CACHE_DIR, docs_of, needs_corpus

from knowledge.index import IndexDoc, KnowledgeIndex
from knowledge.passages import Passage
from knowledge.retrieval import HybridRetriever

pytestmark = needs_corpus


def ids(passages: list[Passage]) -> list[str]:
    return [p.section_id for p in passages]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Is polycystic kidney disease inherited?", "GHR_0000804_Sec4"),
        ("What are the treatments for appendicitis?", "ADAM_0000301_Sec5"),
        ("What causes celiac disease?", "NIDDK_0000088_Sec2"),
        ("What are the side effects of zolmitriptan?", "MPlusDrugs_0001309_Sec5"),
    ],
)
def test_a_question_about_a_topic_finds_that_topics_answer_first(search_index, question, expected):
    results = search_index.search(question, k=5)
    assert results[0].section_id == expected


def test_a_question_about_two_topics_finds_both_near_the_top(search_index):
    top = search_index.search(
        "What is the relationship between celiac disease and polycystic kidney disease?", k=4
    )
    foci = {p.focus.lower() for p in top}
    assert {"celiac disease", "polycystic kidney disease"} <= foci


def test_can_x_cause_y_looks_for_the_causes_of_y_and_the_effects_of_x(search_index):
    top = search_index.search("Can an abscessed tooth cause a heart attack?", k=5)
    kinds = {(p.focus.lower(), p.qtype) for p in top}
    assert ("heart attack", "causes") in kinds
    assert any(focus == "tooth abscess" and qtype != "causes" for focus, qtype in kinds)


def test_any_word_for_a_health_problem_names_the_topic(search_index):
    # The article is "Swallowing difficulty"; the patient writes "swallowing problems". Read as
    # naming it, the message asks for its causes (and for the effects of the shock).
    message = "Does a high voltage electrical shock cause swallowing problems?"
    top = search_index.search(message, k=5)
    kinds = [(p.focus.lower(), p.qtype) for p in top]
    assert ("swallowing difficulty", "causes") in kinds
    assert any(focus == "electrical injury" for focus, _ in kinds)


def test_the_everyday_word_names_a_topic_known_by_its_medical_adjective(search_index):
    # "Low blood sugar - newborns" is also called "Neonatal hypoglycemia"; the patient writes
    # "hypoglycemia in newborns": that names the newborns' article completely, and its sections
    # come before the general "Hypoglycemia" article's.
    top = search_index.search("What causes hypoglycemia in newborns?", k=3)
    assert top[0].section_id == "ADAM_0002437_Sec2"  # What causes Low blood sugar - newborns?
    assert top[0].scores["focus"] == 1.0
    assert top[1].focus == "Low blood sugar - newborns"


def test_an_answer_in_parts_is_found_from_its_beginning(search_index):
    # NIHSeniorHealth answers "What is (are) Heart Attack ?" in five sections: Sec1 explains
    # what a heart attack is; Sec9, Sec19 (angina), Sec22 (having another one) and Sec26 (a
    # link) continue it. Whichever part matches best, the first part comes first.
    def parts(question: str, title: str) -> list[str]:
        return [
            p.section_id
            for p in search_index.search(question, k=30)
            if p.section_id.startswith("NIHSeniorHealth_0000033_") and p.question == title
        ]

    what = parts("What is a heart attack?", "What is (are) Heart Attack ?")
    assert what[0] == "NIHSeniorHealth_0000033_Sec1" and len(what) >= 2
    causes = parts("What causes a heart attack?", "What causes Heart Attack ?")
    assert causes == ["NIHSeniorHealth_0000033_Sec3", "NIHSeniorHealth_0000033_Sec10"]


def test_a_subtype_does_not_outrank_the_topic_it_borrows_a_name_from(search_index):
    top = search_index.search("What is Noonan syndrome?", k=3)
    assert [p.focus for p in top[:2]] == ["Noonan syndrome", "Noonan syndrome"]
    assert "GARD_0004456_Sec1" not in ids(top[:2])  # "Noonan syndrome 6"


def test_a_chatty_misspelt_message_still_finds_the_topic(search_index):
    message = (
        "Question about my son\n"
        "Hello, my son was just diagnosed with celiac diseas. What causes it?? "
        "Thank you so much, Maria"
    )
    top = search_index.search(message, k=3)
    assert top[0].focus.lower() == "celiac disease"
    assert top[0].qtype == "causes"


def test_an_abbreviation_of_a_long_name_finds_the_topic(search_index):
    top = search_index.search("Is there a support group for people with NPH?", k=5)
    assert "NINDS_0000155_Sec1" in ids(top)


def test_results_are_whole_sections_with_their_version_passage_and_why(search_index):
    results = search_index.search("How is appendicitis diagnosed?", k=10)
    assert len(results) == 10
    assert len(set(ids(results))) == 10  # one passage per section
    assert [r.score for r in results] == sorted((r.score for r in results), reverse=True)
    for r in results:
        assert r.version == 1
        assert r.passage_id.startswith(f"{r.section_id}#")
        assert r.text and r.question and r.focus and r.source
        assert set(r.scores) == {"question", "passage", "bm25", "focus", "qtype", "topic"}
    assert results[0].section_id == "ADAM_0000301_Sec4"
    assert results[0].scores["qtype"] == 1.0 and results[0].scores["focus"] == 1.0


def test_the_best_passage_of_a_long_section_can_come_from_its_end(search_index):
    # The gluten-free diet is explained deep inside NIDDK's long "what to do" section.
    section = search_index.search("what foods contain gluten and must be avoided", k=10)
    long_ones = [p for p in section if not p.passage_id.endswith("#0")]
    assert long_ones, "only first passages were ever returned"


@pytest.mark.parametrize("mode", ["bm25", "dense", "hybrid"])
def test_every_mode_answers(search_index, mode):
    results = search_index.search("polycystic kidney disease symptoms", k=5, mode=mode)
    assert len(results) == 5
    assert any(r.focus == "polycystic kidney disease" for r in results)
    assert all(r.text for r in results)


def test_an_unknown_mode_is_refused(search_index):
    with pytest.raises(ValueError):
        search_index.search("anything", mode="magic")


def test_topics_steer_a_vague_question(search_index):
    vague = "What is the treatment for my condition?"
    celiac = search_index.search(vague, k=3, topics=["Celiac disease"])
    kidney = search_index.search(vague, k=3, topics=["Polycystic kidney disease"])
    assert (celiac[0].focus.lower(), celiac[0].qtype) == ("celiac disease", "treatment")
    assert kidney[0].section_id == "GHR_0000804_Sec5"
    assert celiac[0].scores["topic"] > 0


def test_topics_do_not_override_a_question_naming_its_own_topic(search_index):
    question = "What are the treatments for appendicitis?"
    plain = search_index.search(question, k=5)
    steered = search_index.search(question, k=5, topics=["Celiac disease"])
    assert ids(steered) == ids(plain)


def test_lexical_index_finds_an_exact_rare_word(search_index, medquad_sections):
    # PKHD1 is a gene named in two sections of the polycystic kidney disease article.
    held = search_index.section_versions()
    naming = {sid for sid in held if "PKHD1" in medquad_sections[sid].text}
    hits = search_index.lexical.search(["pkhd1"], limit=10)
    assert {sid for sid, _ in hits} == naming == {"GHR_0000804_Sec3", "GHR_0000804_Sec4"}
    assert search_index.search("PKHD1", k=1)[0].section_id in naming


def test_a_word_matches_the_sections_holding_any_of_its_forms(search_index):
    lexical = search_index.lexical
    written = lexical.vocabulary().get("treating", 0)
    assert lexical.match_count("treating") > written  # "treat", "treated", "treats"...
    assert lexical.match_count("treating") == lexical.match_count("treated")
    assert lexical.match_count("zzzunknownword") == 0


def test_index_reports_the_sections_and_versions_it_holds(search_index):
    versions = search_index.section_versions()
    assert versions["GHR_0000804_Sec4"] == 1
    assert len(versions) == search_index.count() == search_index.lexical.count()


def test_a_new_version_replaces_the_old_one(small_index, medquad_sections):
    retriever = small_index.retriever()
    before = retriever.search("Is polycystic kidney disease inherited?", k=1)[0]
    assert (before.section_id, before.version) == ("GHR_0000804_Sec4", 1)
    passages_before = small_index.passage_count()

    old = medquad_sections["GHR_0000804_Sec4"]
    revised = IndexDoc.from_record(old, version=2)
    revised = IndexDoc(**{**revised.__dict__, "text": "Reviewed in 2026. " + old.text[:300]})
    small_index.upsert([revised])

    after = retriever.search("Is polycystic kidney disease inherited?", k=3)
    assert after[0].section_id == "GHR_0000804_Sec4"
    assert after[0].version == 2
    assert "Reviewed in 2026." in after[0].text
    assert small_index.section_versions()["GHR_0000804_Sec4"] == 2
    assert small_index.passage_count() < passages_before  # the old windows are gone
    assert ids(after).count("GHR_0000804_Sec4") == 1


def test_an_upsert_in_many_batches_stores_them_all_and_a_repeat_as_its_last_version(
    tmp_path, medquad_sections
):
    # Batches are embedded while the one before is stored: the order must still hold.
    docs = docs_of(medquad_sections, "GHR_0000804", "ADAM_0000301")
    first = docs[0]
    revised = IndexDoc(
        **{**first.__dict__, "version": 2, "text": "Reviewed in 2026. " + first.text}
    )
    index = KnowledgeIndex(directory=tmp_path / "index", cache_dir=CACHE_DIR)
    done: list[int] = []
    stats = index.upsert([*docs, revised], batch_sections=3, progress=done.append)

    assert index.section_versions() == {**{d.section_id: 1 for d in docs}, first.section_id: 2}
    assert index.passage_texts([f"{first.section_id}#0"])[f"{first.section_id}#0"].startswith(
        "Reviewed in 2026."
    )
    assert done == sorted(done) and done[-1] == stats.sections == len(docs) + 1
    assert len(done) == -(-(len(docs) + 1) // 3)  # progress after every stored batch


def test_a_failure_while_storing_stops_the_upsert_with_its_error(
    tmp_path, medquad_sections, monkeypatch
):
    docs = docs_of(medquad_sections, "GHR_0000804", "ADAM_0000301")
    index = KnowledgeIndex(directory=tmp_path / "index", cache_dir=CACHE_DIR)
    calls: list[int] = []

    def broken_disk(batch, *, passages):
        calls.append(len(batch))
        raise OSError("disk full")

    monkeypatch.setattr(index.lexical, "upsert", broken_disk)
    with pytest.raises(OSError, match="disk full"):
        index.upsert(docs, batch_sections=3)
    assert calls == [3]  # the first store failed: no later batch was stored


def test_removed_sections_never_come_back(small_index):
    retriever = small_index.retriever()
    question = "What are the treatments for appendicitis?"
    assert retriever.search(question, k=1)[0].section_id == "ADAM_0000301_Sec5"

    assert small_index.remove(["ADAM_0000301_Sec5", "NOT_IN_THE_INDEX"]) == 1
    for mode in ("bm25", "dense", "hybrid"):
        found = ids(retriever.search(question, k=20, mode=mode))
        assert "ADAM_0000301_Sec5" not in found, mode
    assert "ADAM_0000301_Sec5" not in small_index.section_versions()


def test_a_vector_without_an_approved_section_is_never_returned(small_index):
    # Say a write was cut short: a passage vector is in the store, its section is not indexed.
    question = "What are the treatments for appendicitis?"
    small_index._passages.add(
        ids=["STRAY_0000001_Sec1#0"],
        embeddings=[small_index.embed_query(question)],
        metadatas=[{"section_id": "STRAY_0000001_Sec1", "version": 1, "approved": False}],
    )
    for mode in ("dense", "hybrid"):
        found = ids(small_index.retriever().search(question, k=20, mode=mode))
        assert found and "STRAY_0000001_Sec1" not in found, mode


def test_a_change_made_through_another_handle_is_seen(small_index, tmp_path, medquad_sections):
    # The worker that reindexes is another process than the one answering questions.
    retriever = small_index.retriever()
    retriever.search("appendicitis", k=1)  # load its caches
    other = KnowledgeIndex(directory=small_index.directory, cache_dir=CACHE_DIR)
    other.upsert(docs_of(medquad_sections, "NIDDK_0000088"))
    assert retriever.search("What causes celiac disease?", k=1)[0].section_id == (
        "NIDDK_0000088_Sec2"
    )


def test_rebuild_replaces_everything(small_index, medquad_sections):
    small_index.rebuild(docs_of(medquad_sections, "MPlusDrugs_0001309"))
    assert set(small_index.section_versions()) == {
        sid for sid in medquad_sections if sid.startswith("MPlusDrugs_0001309_")
    }
    assert all(p.focus == "Zolmitriptan" for p in small_index.search("appendicitis", k=5))


def test_an_empty_index_finds_nothing(tmp_path):
    index = KnowledgeIndex(directory=tmp_path / "empty", cache_dir=CACHE_DIR)
    assert index.is_empty()
    assert index.search("What causes celiac disease?") == []
    assert HybridRetriever(index=index, mode="bm25").search("celiac") == []


def test_a_question_that_lost_its_topic_does_not_answer_every_question_of_its_kind(
    tmp_path, medquad_sections
):
    # CDC's "Who is at risk for ? ?" once had "Who is at risk for ?" as its topic name, which every
    # question about risk names in full: it ranked second, among the heart-disease answers.
    index = KnowledgeIndex(directory=tmp_path / "index", cache_dir=CACHE_DIR)
    index.rebuild(docs_of(medquad_sections, "CDC_0000199", "NHLBI_0000044"))
    found = [p.section_id for p in index.search("Who is at risk for heart disease?", k=6)]
    assert found[0] == "NHLBI_0000044_Sec4"  # Who is at risk for Coronary Heart Disease?
    assert all(sid.startswith("NHLBI_0000044_") for sid in found), found

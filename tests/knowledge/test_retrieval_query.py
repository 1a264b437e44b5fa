"""Reading a patient's message: clean-up, question type, topic names, spelling, passages."""

from __future__ import annotations

from knowledge.chunking import split_passages
from knowledge.lexical import SectionMeta, SectionName, content_words, match_expression
from knowledge.retrieval.fusion import Candidate, FusionWeights, fuse
from knowledge.retrieval.names import _NameIndex as NameIndex
from knowledge.retrieval.names import acronym, article_of, name_terms, with_equivalents
from knowledge.retrieval.query import (
    clean_query,
    correct_spelling,
    detect_qtypes,
    informative_terms,
)


def made_up_word(i: int) -> str:
    letters = "bcdfghjklmnpqrstvwxz"
    return "zo" + "".join(letters[int(d)] for d in f"{i:04d}")


def name_index(names: list[str]) -> tuple[NameIndex, dict[str, int]]:
    """Topic names as in the corpus: a few hundred others around the ones a test asks about.
    Returns the index and {name: its id}."""
    filler = [f"{made_up_word(i)} disease" for i in range(400)]
    rows = [
        SectionName(f"T_{i:07d}_Sec1", name, (), "information")
        for i, name in enumerate([*names, *filler])
    ]
    index = NameIndex.build(1, rows, {})
    ids = {" ".join(terms): i for i, (terms, _) in enumerate(index.names)}
    return index, {name: ids[" ".join(name_terms(name))] for name in names}


def test_clean_query_keeps_the_question_and_drops_the_noise():
    message = (
        "Gluten information\n"
        "Re:NDC# 0115-0672-50 Zolmitriptan tablets 5mg. Hello! I live in [LOCATION]. "
        "Do these contain gluten? see www.example.com\n"
        "Thank you so much!"
    )
    cleaned = clean_query(message)
    assert cleaned.startswith("Gluten information. ")
    assert "Zolmitriptan tablets" in cleaned and "contain gluten?" in cleaned
    for noise in ("0115", "5mg", "[LOCATION]", "www.", "Thank you"):
        assert noise not in cleaned


def test_clean_query_never_empties_a_short_question():
    assert clean_query("whats diabete") == "whats diabete"
    assert clean_query("Hi!") == "Hi!"


def test_question_types_of_typical_messages():
    assert detect_qtypes("What causes a cold?")["causes"] == 1.0
    assert detect_qtypes("is dementia genetically passed down")["inheritance"] == 1.0
    assert detect_qtypes("how do you cure shingles")["treatment"] == 1.0
    assert detect_qtypes("what are the signs of a stroke")["symptoms"] == 1.0
    assert detect_qtypes("at what age should I get the shingles vaccine")["prevention"] == 1.0
    assert detect_qtypes("Can I take it with ibuprofen? any interactions")["interactions"] == 1.0
    # Related kinds of answers get half credit; a plain request asks for information.
    assert detect_qtypes("is it hereditary")["genetic changes"] == 0.5
    assert detect_qtypes("Schmorl's nodes") == {"information": 1.0}


def test_asking_which_doctor_to_see_is_recognised_through_typos():
    asked = detect_qtypes("please let me know what kinf of doctor should I see")
    assert asked["when to see a doctor"] == 1.0
    assert detect_qtypes("which specialist should we go to?")["when to see a doctor"] == 1.0


def test_cause_meaning_because_asks_for_no_causes():
    asked = detect_qtypes("what doctor should I see, cause his pediatrician has no concerns")
    assert "causes" not in asked
    assert detect_qtypes("cause of a cold")["causes"] == 1.0


def test_genetic_testing_is_a_test_not_a_question_of_inheritance():
    asked = detect_qtypes("is there a lab that does genetic testing for EDS")
    assert asked["exams and tests"] == 1.0
    assert "inheritance" not in asked
    assert detect_qtypes("is it genetic?")["inheritance"] == 1.0


def test_topic_names_match_plural_possessive_and_short_forms():
    assert name_terms("Schmorl's Nodes") == name_terms("schmorl node")
    assert name_terms("diabetes") == name_terms("diabete")
    assert set(name_terms("abscessed teeth")) == set(name_terms("Tooth abscess"))
    assert acronym("normal pressure hydrocephalus") == "nph"
    assert acronym("chronic obstructive pulmonary disease") == "copd"
    assert acronym("celiac disease") is None  # two words make no reliable acronym


def test_every_noun_for_a_health_problem_stands_for_the_others():
    assert {"disease", "disorder"} <= with_equivalents(name_terms("autoimmune illness"))
    assert "difficulty" in with_equivalents(name_terms("swallowing problems"))
    # Only when the message has one: plain words are not expanded.
    assert with_equivalents(name_terms("broken arm")) == {"broken", "arm"}


def test_the_everyday_name_of_an_organ_or_age_stands_for_its_medical_adjective():
    assert "renal" in with_equivalents(name_terms("polycystic kidneys"))
    assert "neonatal" in with_equivalents(name_terms("hypoglycemia in newborns"))
    assert {"childhood", "pediatric"} <= with_equivalents(name_terms("my child's asthma"))
    # Both ways, and nothing looser than the exact counterpart.
    assert "heart" in with_equivalents(name_terms("cardiac arrest"))
    assert "newborn" not in with_equivalents(name_terms("my baby"))


ANEMIAS = [f"{kind} anemia" for kind in ("hemolytic", "aplastic", "fanconi", "pernicious")]
PAINS = [f"{part} pain" for part in ("chest", "knee", "neck", "foot")]


def test_a_name_spelled_out_whole_is_named_however_common_its_word():
    index, ids = name_index(["Anemia", "Celiac disease", *ANEMIAS])
    scores = index.matches(set(name_terms("Is there a link between celiac disease and anemia?")))
    assert scores[ids["Anemia"]] == 1.0  # although "anemia" is in many other names
    assert scores[ids["Celiac disease"]] == 1.0
    assert scores[ids["hemolytic anemia"]] < 0.5


def test_a_name_inside_a_longer_name_spelled_out_is_not_named_on_its_own():
    index, ids = name_index(["Pain", "Back pain", *PAINS])
    scores = index.matches(set(name_terms("I have back pain after lifting boxes")))
    assert scores[ids["Back pain"]] == 1.0
    # About back pain, not pain in general: "Pain" keeps its partial, word-weighted credit.
    assert scores[ids["Pain"]] < 0.9


def test_a_word_standing_for_another_weighs_no_more_than_the_word_written():
    # "disease" (in hundreds of names) stands for "illness" (in one): it must not half-name
    # "Mental illness" as the rare word itself would.
    index, ids = name_index(["Mental illness", "Celiac disease"])
    scores = index.matches(set(name_terms("What is celiac disease?")))
    assert scores.get(ids["Mental illness"], 0.0) < 0.2
    assert scores[ids["Celiac disease"]] == 1.0


def test_spelling_is_corrected_to_informative_corpus_words_only():
    vocabulary = {"tablets": 50, "penicillin": 18, "follow": 900, "hydralazine": 4}
    fixed = correct_spelling("Hydrslazine tabkets, ALLERGIC TO PENICILLAN", vocabulary)
    assert fixed == "hydralazine tablets, ALLERGIC TO penicillin"
    # "fellow" is not in the corpus; "follow" is too common to be worth the guess.
    assert correct_spelling("my fellow workers", vocabulary, max_df=100) == "my fellow workers"


def test_a_missing_plural_s_is_put_back_however_common_the_word():
    # "diabete" is one letter from the very common "diabetes" and from the rare drug "diabeta":
    # the likeliest reading wins, a rarer neighbour is never a fallback.
    vocabulary = {"diabetes": 1035, "diabeta": 3, "follow": 900, "fellows": 2}
    assert correct_spelling("whats diabete", vocabulary, max_df=358) == "whats diabetes"
    assert correct_spelling("my fellow workers", vocabulary, max_df=358) == "my fellow workers"


def test_lexical_queries_use_meaningful_words_with_or_semantics():
    words = content_words("Hello, I would like to know what causes NEAR-sightedness in kids?")
    assert words == ["causes", "near", "sightedness", "kids"]
    assert match_expression(words) == '"causes" OR "near" OR "sightedness" OR "kids"'
    assert match_expression(['say "hi"']) == '"say hi"'  # no query syntax leaks through


def test_section_ids_name_their_article():
    assert article_of("GHR_0000804_Sec2") == "GHR_0000804"
    assert article_of("CancerGov_0000013_2_1_Sec1") == "CancerGov_0000013_2_1"


def _count(text: str) -> int:
    return len(text.split())


def test_a_long_answer_is_cut_into_passages_covering_all_of_it():
    text = " ".join(f"Sentence number {i} says something useful." for i in range(100))
    windows = split_passages(text, count_tokens=_count, max_tokens=50)
    assert " ".join(windows) == text  # nothing lost, nothing repeated
    assert all(_count(w) <= 50 for w in windows)
    assert all(w.endswith(".") for w in windows)  # cut between sentences
    sizes = [_count(w) for w in windows]
    assert min(sizes) >= max(sizes) * 0.75  # even windows, no stub at the end


def test_a_sentence_longer_than_a_window_is_cut_by_words():
    text = " ".join(f"item{i}" for i in range(130))  # a table flattened into one "sentence"
    windows = split_passages(text, count_tokens=_count, max_tokens=40)
    assert all(_count(w) <= 40 for w in windows)
    covered = set(" ".join(windows).split())
    assert covered == set(text.split())


def test_a_short_answer_is_one_passage():
    assert split_passages("  Short answer.  ", count_tokens=_count) == ["Short answer."]
    assert split_passages("", count_tokens=_count) == []


def test_template_sentences_are_left_out_of_what_is_embedded_only():
    from knowledge.chunking import IndexDoc, passage_input, without_templates

    window = (
        "What are the signs and symptoms of ABCD syndrome? The Human Phenotype Ontology provides "
        "the following list of signs and symptoms for ABCD syndrome. You can use the MedlinePlus "
        "Medical Dictionary to look up the definitions for these medical terms. Albinism - "
        "Hearing impairment - Much of this information comes from Orphanet, a European rare "
        "disease database."
    )
    kept = without_templates(window)
    assert "ABCD syndrome?" in kept and "Albinism - Hearing impairment" in kept
    assert "Phenotype Ontology" not in kept and "Orphanet" not in kept
    assert "Dictionary" not in kept
    doc = IndexDoc(
        section_id="GARD_1_Sec2",
        version=1,
        focus="ABCD syndrome",
        question="What are the symptoms of ABCD syndrome?",
        qtype="symptoms",
        text=window,
        source="GARD",
    )
    assert passage_input(doc, window, 0).startswith("ABCD syndrome. What are the symptoms")
    assert "Orphanet" not in passage_input(doc, window, 0)


def test_saying_one_was_diagnosed_is_not_asking_about_tests():
    told = detect_qtypes("My son was just diagnosed with celiac disease. What causes it?")
    assert told.get("causes") == 1.0
    assert "exams and tests" not in told
    assert detect_qtypes("How is celiac disease diagnosed?").get("exams and tests") == 1.0


def _candidate(section_id: str, question: str, similarity: float) -> Candidate:
    meta = SectionMeta(section_id, 1, "Diabetes", question, "information", "NIH", "", ())
    return Candidate(section_id, question=similarity, meta=meta)


def test_alike_titled_sections_of_one_article_give_way_to_its_other_answers():
    candidates = [
        _candidate("NIH_0000015_Sec1", "What is (are) Diabetes ?", 0.90),
        _candidate("NIH_0000015_Sec10", "What is (are) Diabetes ?", 0.89),
        _candidate("NIH_0000015_Sec16", "What causes Diabetes ?", 0.80),
    ]
    order = [c.section_id for c, _ in fuse(candidates, FusionWeights())]
    assert order == ["NIH_0000015_Sec1", "NIH_0000015_Sec16", "NIH_0000015_Sec10"]
    # Without the penalty, similarity alone decides.
    order = [c.section_id for c, _ in fuse(candidates, FusionWeights(repeat=0.0))]
    assert order[1] == "NIH_0000015_Sec10"


def test_alike_titled_sections_of_one_article_come_in_reading_order():
    # The later part matches best, but the answer begins in Sec1: Sec1 takes the best place.
    candidates = [
        _candidate("NIH_0000015_Sec1", "What is (are) Diabetes ?", 0.84),
        _candidate("NIH_0000015_Sec10", "What is (are) Diabetes ?", 0.90),
        _candidate("NIH_0000015_Sec16", "What causes Diabetes ?", 0.80),
        _candidate("NIH_0000015_Sec2", "What is (are) Diabetes ?", 0.70),
    ]
    ranked = fuse(candidates, FusionWeights())
    order = [c.section_id for c, _ in ranked]
    assert order == [
        "NIH_0000015_Sec1",
        "NIH_0000015_Sec16",
        "NIH_0000015_Sec2",
        "NIH_0000015_Sec10",
    ]
    assert ranked[0][1] > ranked[1][1]  # Sec1 holds the best part's score
    # ...and says whose, for the "why" of a result; a part that kept its own place says nothing.
    held = {c.section_id: c.ranked_as for c, _ in ranked}
    assert held["NIH_0000015_Sec1"] == "NIH_0000015_Sec10"
    assert held["NIH_0000015_Sec10"] == "NIH_0000015_Sec2"
    assert held["NIH_0000015_Sec16"] == ""


def test_common_words_are_left_out_of_the_lexical_search_by_every_form_they_match():
    # "diseases" is written in few sections, but the index stems it: it matches every "disease".
    vocabulary = {"diseases": 50, "autoimmune": 40, "doctor": 90}
    matches = {"diseases": 900, "autoimmune": 45, "doctor": 95}
    text = "Which doctor specializes in autoimmune diseases?"
    assert informative_terms(text, vocabulary, max_df=100) == ["autoimmune", "diseases", "doctor"]
    assert informative_terms(
        text, vocabulary, max_df=100, matches=matches.__getitem__, max_matches=500
    ) == ["autoimmune", "doctor"]

"""The extractive composer: a few sentences of the approved passages, never words of its own."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from answer_fakes import FakeRetriever, corpus_passages, passage

from assistant.answer.compose import ExtractiveComposer, answer_pool, content_terms, coverage
from assistant.answer.safety import sentence_problem
from knowledge.text import flesch_kincaid_grade, stem, words

QUESTIONS = [
    "what is high blood pressure?",
    "how is gout treated?",
    "what causes asthma?",
    "should I get a flu shot every year?",
    "what is osteoarthritis?",
    "how can I lower my high blood pressure?",
]


@pytest.fixture(scope="module")
def retriever():
    return FakeRetriever(corpus_passages())


def _compose(retriever, question):
    found = retriever.search(question, k=8)
    return found, ExtractiveComposer().compose(question=question, query=question, passages=found)


@pytest.mark.parametrize("question", QUESTIONS)
def test_every_sentence_is_quoted_from_the_passage_it_cites(retriever, question):
    found, composition = _compose(retriever, question)
    assert 2 <= len(composition.statements) <= 4
    for statement in composition.statements:
        (source,) = statement.sources
        normalised = " ".join(found[source].text.split())
        assert statement.text in normalised


@pytest.mark.parametrize("question", QUESTIONS)
def test_answers_stay_short_and_readable(retriever, question):
    _, composition = _compose(retriever, question)
    text = " ".join(s.text for s in composition.statements)
    assert len(words(text)) <= 100
    assert flesch_kincaid_grade(text) <= 10


def test_sentences_speak_to_the_question(retriever):
    _, composition = _compose(retriever, "how is gout treated?")
    assert all("gout" in s.text.lower() for s in composition.statements)


def test_sentences_come_in_reading_order(retriever):
    found, composition = _compose(retriever, "what is high blood pressure?")
    positions = []
    for statement in composition.statements:
        (source,) = statement.sources
        positions.append((source, " ".join(found[source].text.split()).index(statement.text)))
    assert positions == sorted(positions)


def test_headings_and_list_fragments_are_never_quoted():
    hbp = passage("MPlusHealthTopics_0000471_Sec1")
    composition = ExtractiveComposer().compose(
        question="blood pressure reading", query="blood pressure reading numbers", passages=[hbp]
    )
    texts = [s.text for s in composition.statements]
    assert texts
    assert "140/90 or higher is high blood pressure" not in texts
    assert all(t.endswith((".", "!")) for t in texts)


def test_a_dosing_sentence_in_a_passage_is_never_picked():
    # "It is important to take 0.4 mg of folic acid every day ..." matches this question best.
    pregnancy = passage("MPlusHealthTopics_0000738_Sec1")
    assert "0.4 mg" in pregnancy.text
    composition = ExtractiveComposer().compose(
        question="How much folic acid should I take every day before pregnancy?",
        query="How much folic acid should I take every day before pregnancy?",
        passages=[pregnancy],
    )
    assert composition.statements
    assert all("mg" not in s.text for s in composition.statements)
    assert all(sentence_problem(s.text) is None for s in composition.statements)


def test_nothing_is_composed_when_no_sentence_is_about_the_question(retriever):
    found = retriever.search("best pizza in town", k=8)
    composition = ExtractiveComposer().compose(
        question="what's the best pizza in town?", query="best pizza in town", passages=found
    )
    assert composition.statements == []


def test_word_matching_ignores_endings_and_function_words():
    assert stem("treatments") == stem("treatment")
    assert stem("causes") == stem("cause") == stem("caused")
    assert stem("obesity") == stem("obese") and stem("severity") == stem("severe")
    assert content_terms("What are the treatments for my asthma?") == ["treatment", "asthma"]
    assert coverage(["asthma", "treatment"], ["asthma"]) == pytest.approx(0.5)


def named(section_id: str):
    """A passage about a topic the question names (so judged by the retriever's focus signal)."""
    return replace(passage(section_id), scores={"focus": 1.0})


TOOTH_ABSCESS = [f"ADAM_0003967_Sec{n}" for n in (7, 6, 3, 8, 2, 4, 9)]
HEART_ATTACK_CAUSES = "NHLBI_0000058_Sec3"
TOOTH_AND_HEART = "Can an abscessed tooth cause a heart attack?"


def test_a_question_naming_two_topics_gets_a_sentence_about_each():
    # The heart-attack passage ranks fifth, after four of the tooth abscess.
    found = [named(s) for s in TOOTH_ABSCESS[:4]] + [named(HEART_ATTACK_CAUSES)]
    composition = ExtractiveComposer().compose(
        question=TOOTH_AND_HEART, query=TOOTH_AND_HEART, passages=found
    )
    cited = {found[i].focus for s in composition.statements for i in s.sources}
    assert cited == {"Tooth abscess", "Heart Attack"}
    heart = [s.text for s in composition.statements if found[s.sources[0]].focus == "Heart Attack"]
    assert all("heart" in text.lower() for text in heart)


def test_the_answer_pool_reaches_down_for_a_named_topic_only():
    found = [named(s) for s in TOOTH_ABSCESS] + [
        passage("MPlusHealthTopics_0000034_Sec1"),  # anemia: not named, not pulled up
        named(HEART_ATTACK_CAUSES),
    ]
    pool = answer_pool(found, 5)
    assert [p.section_id for p in pool] == [*TOOTH_ABSCESS[:5], HEART_ATTACK_CAUSES]
    assert answer_pool(found[:5], 5) == found[:5]


def test_a_sentence_pointing_back_at_its_passage_is_not_quoted():
    # GHR's celiac overview: "Most people who have one or more of these nonspecific health
    # problems do not have celiac disease." says nothing without the list before it.
    celiac = passage("GHR_0000163_Sec1")
    assert "these nonspecific health problems" in celiac.text
    question = "Is there a link between celiac disease and anemia?"
    composition = ExtractiveComposer().compose(question=question, query=question, passages=[celiac])
    assert composition.statements
    assert not any("these" in s.text.lower().split() for s in composition.statements)


def test_a_sentence_leaning_on_the_one_before_is_not_quoted():
    # NHLBI's blood-pressure treatments: "As a result, your heart pumps less blood ..." and "ACE
    # inhibitors block this process ..." explain a medicine named in the sentence before them.
    # The passages are the windows the real index ranks first for the question: the first 908
    # characters of the prevention section, the treatment section, and NHLBI's 922 characters
    # from "Help your heart beat slower ...".
    prevention = passage("NIHSeniorHealth_0000036_Sec4")
    section = passage("NHLBI_0000071_Sec7").text
    start = section.index("Help your heart beat slower")
    window = section[start : start + 922]
    assert "As a result, your heart pumps less blood" in window
    assert "block this process" in window
    found = [
        replace(prevention, text=prevention.text[:908]),
        passage("NIHSeniorHealth_0000036_Sec20"),
        passage("NHLBI_0000071_Sec7", text=window),
    ]
    question = "How can I lower my high blood pressure?"
    composition = ExtractiveComposer().compose(question=question, query=question, passages=found)
    texts = [s.text for s in composition.statements]
    assert texts
    assert not any(t.startswith("As a result") or "this process" in t for t in texts), texts


def test_a_sentence_sending_the_reader_elsewhere_is_not_quoted():
    # "To learn more about DASH, see Lowering Your Blood Pressure with DASH." names a booklet the
    # patient cannot open here.
    prevention = passage("NIHSeniorHealth_0000036_Sec4")
    assert "To learn more about DASH, see" in prevention.text
    question = "How can I lower my high blood pressure?"
    composition = ExtractiveComposer().compose(
        question=question, query=question, passages=[prevention]
    )
    texts = [s.text for s in composition.statements]
    assert texts
    assert not any("learn more" in t.lower() for t in texts), texts


def test_a_topic_is_defined_once_not_in_every_source_s_words():
    # GARD, A.D.A.M., MedlinePlus and NHLBI each open with their own definition of asthma.
    found = [
        passage(section_id)
        for section_id in (
            "GARD_0000491_Sec1",
            "ADAM_0000334_Sec1",
            "MPlusHealthTopics_0000065_Sec1",
            "NHLBI_0000010_Sec1",
        )
    ]
    composition = ExtractiveComposer().compose(
        question="what is asthma?", query="what is asthma?", passages=found
    )
    texts = [s.text for s in composition.statements]
    definitions = [t for t in texts if re.match(r"Asthma(?: \([^)]*\))? (?:is|are) an? ", t)]
    assert len(definitions) == 1, texts
    assert len(texts) >= 2, texts


def test_a_one_sentence_answer_with_the_corpus_stray_bracket_is_quoted():
    # extra_answers.jsonl ends every answer with an unmatched ")"; the sentence is still quoted,
    # without it.
    text = "Bladder stones are hard buildups of minerals that form in the urinary bladder.)"
    found = [replace(passage("NHLBI_0000071_Sec7"), text=text)]
    composition = ExtractiveComposer().compose(
        question="what are bladder stones", query="what are bladder stones", passages=found
    )
    assert [s.text for s in composition.statements] == [text[:-1]]

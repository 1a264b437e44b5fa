"""Which retrieved sections an answer is written from: the best answering one and its close
neighbours, never a patchwork of loosely related articles."""

from __future__ import annotations

from dataclasses import replace

from answer_fakes import passage

from assistant.answer.compose import ExtractiveComposer
from assistant.answer.grounding import answering_pool


def scored(section_id: str, score: float, *, qtype: float = 1.0, focus: float = 1.0, sim=0.6):
    signals = {"question": sim, "passage": sim, "qtype": qtype, "focus": focus}
    return replace(passage(section_id), score=score, scores=signals)


def ids(pool):
    return [p.section_id for p in pool]


def test_other_articles_close_behind_stay_out_and_the_same_articles_parts_come_in():
    ranked = [
        scored("NHLBI_0000071_Sec7", 2.0),  # high blood pressure, treatment
        scored("MPlusHealthTopics_0000034_Sec1", 1.98, focus=0.3),  # anemia, not asked about
        scored("NHLBI_0000071_Sec8", 1.95),  # the same article, close behind
    ]
    pool, reason = answering_pool(ranked)
    assert reason is None
    assert ids(pool) == ["NHLBI_0000071_Sec7", "NHLBI_0000071_Sec8"]


def test_a_section_far_behind_is_left_out_even_from_the_same_article():
    pool, _ = answering_pool([scored("NHLBI_0000071_Sec7", 2.0), scored("NHLBI_0000071_Sec8", 1.2)])
    assert ids(pool) == ["NHLBI_0000071_Sec7"]


def test_a_second_named_topic_gets_its_own_section():
    ranked = [
        scored("NHLBI_0000010_Sec1", 2.0),  # asthma
        scored("NHLBI_0000010_Sec2", 1.5),  # asthma again, far behind
        scored("MPlusHealthTopics_0000409_Sec1", 1.4),  # gout, named in the question too
    ]
    pool, _ = answering_pool(ranked)
    assert ids(pool) == ["NHLBI_0000010_Sec1", "MPlusHealthTopics_0000409_Sec1"]
    # ...but not when the question does not name it (its focus signal is low).
    ranked[2] = scored("MPlusHealthTopics_0000409_Sec1", 1.4, focus=0.2)
    pool, _ = answering_pool(ranked)
    assert ids(pool) == ["NHLBI_0000010_Sec1"]


def test_the_section_answering_the_questions_type_is_preferred_to_a_better_scored_one():
    ranked = [
        scored("MPlusHealthTopics_0000471_Sec1", 2.0, qtype=0.0),  # what it is
        scored("NHLBI_0000071_Sec7", 1.8, qtype=1.0),  # how it is treated: what was asked
    ]
    pool, reason = answering_pool(ranked)
    assert reason is None and ids(pool) == ["NHLBI_0000071_Sec7"]


def test_no_section_of_the_questions_type_means_no_answer():
    ranked = [
        scored("MPlusDrugs_0000713_Sec3", 2.0, qtype=0.0),  # how to take lisinopril
        scored("MPlusDrugs_0000713_Sec6", 1.0, qtype=0.5),  # too far behind
    ]
    assert answering_pool(ranked) == ([], "wrong_type")


def test_a_best_section_unlike_the_question_is_no_answer():
    assert answering_pool([scored("NHLBI_0000071_Sec7", 2.0, sim=0.3)]) == ([], "low_score")


def test_a_list_section_is_quoted_as_its_lead_and_items():
    text = (
        "Ribcage pain may be caused by any of the following:  - Bruised, cracked, or fractured "
        "rib  - Inflammation of cartilage near the breastbone (costochondritis)  - Osteoporosis"
    )
    p = passage("NHLBI_0000071_Sec7", text=text)
    composition = ExtractiveComposer().compose(
        question="what causes rib cage pain", query="what causes rib cage pain", passages=[p]
    )
    (statement,) = composition.statements
    lines = statement.text.splitlines()
    assert lines[0] == "Ribcage pain may be caused by any of the following:"
    assert lines[1:] == [
        "- Bruised, cracked, or fractured rib",
        "- Inflammation of cartilage near the breastbone (costochondritis)",
        "- Osteoporosis",
    ]


def test_a_list_answering_section_opens_the_answer_before_another_topics_sentences():
    listed = passage(
        "NHLBI_0000071_Sec7",
        text="Ribcage pain may be caused by any of the following:  - Bruised rib  - Pleurisy",
    )
    other = passage("MPlusHealthTopics_0000409_Sec1")  # gout: prose about pain
    composition = ExtractiveComposer().compose(
        question="what causes rib cage pain and gout pain",
        query="what causes rib cage pain and gout pain",
        passages=[listed, other],
    )
    assert composition.statements[0].sources == (0,)
    assert composition.statements[0].text.startswith("Ribcage pain may be caused by")


def test_the_answering_section_in_other_words_than_the_question_still_opens_the_answer():
    # Asked "genetic", the section says "inherited": no sentence repeats the question's words,
    # yet the caller judged it the answer (quote_opening); another passage must not take over.
    inherited = passage(
        "NHLBI_0000071_Sec7",
        text="This condition is inherited in an autosomal dominant pattern. One altered copy "
        "of the gene in each cell is enough to cause the disorder.",
    )
    related = passage(
        "MPlusHealthTopics_0000034_Sec1",
        text="Dementia is a loss of thinking and memory that is genetic in some families only.",
    )
    question = "is dementia genetic"
    composer = ExtractiveComposer(quote_opening=True)
    composition = composer.compose(question=question, query=question, passages=[inherited, related])
    assert composition.statements[0].sources == (0,)
    assert composition.statements[0].text.startswith("This condition is inherited")
    # Without the caller's judgment, the composer only quotes what speaks to the question.
    plain = ExtractiveComposer().compose(question=question, query=question, passages=[inherited])
    assert plain.statements == []

"""Sentence splitting of real corpus text, and the Flesch-Kincaid grade that keeps answers plain."""

from __future__ import annotations

from answer_fakes import passage

from knowledge.text import count_syllables, flesch_kincaid_grade, split_sentences


def test_plain_words_score_a_low_grade_and_jargon_a_high_one():
    assert flesch_kincaid_grade("The cat sat on the mat. It was warm.") < 2
    jargon = (
        "Hypertension is a chronic cardiovascular condition characterized by persistently "
        "elevated systemic arterial pressure necessitating pharmacological intervention."
    )
    assert flesch_kincaid_grade(jargon) > 16


def test_syllables_are_counted_like_a_reader_would():
    assert [count_syllables(w) for w in ("cat", "table", "medicine", "used", "pressure")] == [
        1,
        2,
        3,
        1,
        2,
    ]


def test_headings_and_list_items_of_real_sections_are_marked_as_fragments():
    # MedlinePlus "High Blood Pressure": prose, then an inline list of readings.
    sentences = split_sentences(passage("MPlusHealthTopics_0000471_Sec1").text)
    by_text = {s.text: s for s in sentences}
    assert not by_text["This is called systolic pressure."].is_fragment
    assert by_text["140/90 or higher is high blood pressure"].is_fragment
    assert by_text["NIH: National Heart, Lung, and Blood Institute"].is_fragment
    # NHLBI: headings on their own line.
    nhlbi = {s.text: s for s in split_sentences(passage("NHLBI_0000071_Sec7").text)}
    assert nhlbi["Treatment Plans"].is_fragment


def test_abbreviations_do_not_end_a_sentence():
    sentences = split_sentences("Ask Dr. Lee about it. Foods high in salt, e.g. chips, raise it.")
    assert [s.text for s in sentences] == [
        "Ask Dr. Lee about it.",
        "Foods high in salt, e.g. chips, raise it.",
    ]

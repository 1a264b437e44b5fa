"""Sub-headings the corpus glued to a sentence are cut off before the sentence is quoted; names
that look like headings are left whole. Every case is a real MedQuAD section."""

from __future__ import annotations

import pytest
from answer_fakes import passage

from assistant.answer.compose import ExtractiveComposer
from assistant.answer.glued_headings import PassageWords, strip_glued_heading
from knowledge.text import split_sentences


def _sentence(section_id: str, opening: str) -> tuple[str, PassageWords]:
    text = passage(section_id).text
    sentence = next(s.text for s in split_sentences(text) if s.text.startswith(opening))
    return sentence, PassageWords(text)


@pytest.mark.parametrize(
    ("section_id", "glued", "sentence_start"),
    [
        # NIHSeniorHealth writes its sub-headings in Title Case with no break after them.
        ("NIHSeniorHealth_0000033_Sec1", "Affects Both Men and Women", "Heart attacks are a"),
        ("NIHSeniorHealth_0000033_Sec1", "Blood Flow to the Heart Is Blocked", "The heart works"),
        ("NIHSeniorHealth_0000008_Sec2", "Risk Factors", "Risk factors are conditions"),
        ("NIHSeniorHealth_0000036_Sec4", "If You Drink", "Drinking too much alcohol"),
        ("NIHSeniorHealth_0000036_Sec4", "Steps You Can Take", "You can take steps"),
        ("NIHSeniorHealth_0000028_Sec2", "A Buildup of Uric Acid", "Most people with gout"),
        ("NIHSeniorHealth_0000012_Sec1", "How COPD Affects Airways", 'The "airways" are'),
        ("NIHSeniorHealth_0000062_Sec4", "Burning, Itching, Tingling, Then a Rash", "An outbreak"),
        # A.D.A.M. writes them in capitals.
        ("ADAM_0002803_Sec1", "OSTOMY NURSE", "An ostomy nurse is a nurse"),
    ],
)
def test_a_glued_heading_is_cut_off(section_id, glued, sentence_start):
    sentence, words = _sentence(section_id, glued)
    stripped = strip_glued_heading(sentence, words)
    assert stripped.startswith(sentence_start)
    assert sentence.endswith(stripped)


@pytest.mark.parametrize(
    ("section_id", "opening"),
    [
        ("GARD_0000589_Sec2", "The Human Phenotype Ontology provides"),
        ("GARD_0006160_Sec2", "People with Treacher Collins syndrome"),
        ("GHR_0000740_Sec1", "North American Indian childhood cirrhosis"),
        ("CancerGov_0000007_1_Sec6", "The Barcelona Clinic Liver Cancer Staging System"),
        ("CancerGov_0000027_4_Sec2", "NCI's Breast Cancer Risk Assessment Tool"),
        ("NIDDK_0000036_Sec8", "The Federal Government requires"),
        ("NIDDK_0000211_Sec7", "Use the Daily Bladder Diary"),
        ("NHLBI_0000126_Sec1", "The Health Topics How the Heart Works article"),
        ("GARD_0002200_Sec3", "How is Fabry disease inherited"),
    ],
)
def test_a_name_that_looks_like_a_heading_is_left_whole(section_id, opening):
    sentence, words = _sentence(section_id, opening)
    assert strip_glued_heading(sentence, words) == sentence


def test_plain_sentences_are_untouched():
    words = PassageWords("Gout is a painful form of arthritis. Most people with gout recover.")
    for sentence in ("Gout is a painful form of arthritis.", "Most people with gout recover."):
        assert strip_glued_heading(sentence, words) == sentence


def test_the_answer_about_heart_attacks_quotes_sentences_not_headings():
    heart_attack = passage("NIHSeniorHealth_0000033_Sec1")
    question = "What is a heart attack and who gets them?"
    composition = ExtractiveComposer().compose(
        question=question, query=question, passages=[heart_attack]
    )
    texts = [s.text for s in composition.statements]
    assert texts
    assert any(t.startswith("Heart attacks are a leading killer") for t in texts), texts
    assert not any("Affects Both" in t or "Is Blocked" in t for t in texts), texts
    normalised = " ".join(heart_attack.text.split())
    assert all(t in normalised for t in texts)


def test_a_heading_ending_in_a_doubled_consonant_is_cut():
    # "Controlled" is the passage's everyday "control": the heading is Title Case, not a name.
    text = (
        "Gout can be treated. Symptoms Can Be Controlled With proper treatment, most people with "
        "gout are able to control their symptoms and live productive lives."
    )
    sentence = text.split(". ", 1)[1]
    assert strip_glued_heading(sentence, PassageWords(text)).startswith("With proper treatment")

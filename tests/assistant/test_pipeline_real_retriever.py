"""The pipeline over the real hybrid retriever and a small real index (Chroma + FTS5 + the
packaged embedding model), built in a temporary folder from a few real corpus documents."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from answer_fakes import ALL_SECTIONS, MEDQUAD_DIR, corpus_section
from django.conf import settings

from assistant.answer.pipeline import answer_question
from assistant.answer.types import PatientContext
from knowledge.corpus import parse_xml_file
from knowledge.text import flesch_kincaid_grade

index_module = pytest.importorskip("knowledge.index")

pytestmark = pytest.mark.slow

# Whole articles, so the retriever has to choose among sections of the same topic, plus some
# neighbours (other heart, lung and joint topics) to choose against.
DOCUMENTS = (
    "8_NHLBI_QA_XML/0000071.xml",  # High Blood Pressure
    "8_NHLBI_QA_XML/0000010.xml",  # Asthma
    "7_SeniorHealth_QA/0000028.xml",  # Gout
    "7_SeniorHealth_QA/0000049.xml",  # Osteoarthritis
    "7_SeniorHealth_QA/0000036.xml",  # High Blood Pressure (NIHSeniorHealth)
    "4_MPlus_Health_Topics_QA/0000442.xml",  # Heart Attack
    "4_MPlus_Health_Topics_QA/0000656.xml",  # Obesity
)

PATIENT = PatientContext(
    age=61,
    sex="male",
    conditions=("Hypertension", "Fever"),
    medications=("lisinopril 20 MG Oral Tablet",),
)


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    sections = {s.external_id: s for s in map(corpus_section, ALL_SECTIONS)}
    for rel in DOCUMENTS:
        result = parse_xml_file(MEDQUAD_DIR / rel, root=MEDQUAD_DIR)
        sections.update((s.external_id, s) for s in result.sections)
    index = index_module.KnowledgeIndex(
        directory=tmp_path_factory.mktemp("index"),
        cache_dir=Path(settings.EMBEDDING_CACHE_DIR),
    )
    # Versions other than 1, so a citation can only be right by reading them from the index.
    index.upsert(
        index_module.IndexDoc.from_record(s, version=2 + i % 2)
        for i, s in enumerate(sections.values())
    )
    return index


@pytest.fixture(scope="module")
def retriever(index):
    return index.retriever()


def test_my_diagnosis_gets_high_blood_pressure_content(index, retriever):
    answer = answer_question(
        text="what happens next with my diagnosis?", patient=PATIENT, retriever=retriever
    )
    assert answer.kind == "answer"
    assert answer.citations
    assert {c.focus for c in answer.citations} == {"High Blood Pressure"}
    held = index.section_versions()
    for citation in answer.citations:
        assert citation.version == held[citation.section_id]
        assert f"[{citation.n}]" in answer.text


@pytest.mark.parametrize(
    ("question", "focus"),
    [
        ("How is gout treated?", "Gout"),
        ("what causes asthma attacks?", "Asthma"),
        ("what is osteoarthritis?", "Osteoarthritis"),
    ],
)
def test_general_questions_cite_the_right_topic_in_plain_words(retriever, question, focus):
    answer = answer_question(text=question, patient=PATIENT, retriever=retriever)
    assert answer.kind == "answer"
    assert answer.citations[0].focus == focus
    body = re.sub(r"\s*\[\d+\]", "", answer.text)
    assert flesch_kincaid_grade(body) <= 10


@pytest.mark.parametrize(
    "question", ["what's the best pizza in town?", "how do I reset my password?"]
)
def test_off_topic_questions_abstain(retriever, question):
    answer = answer_question(text=question, patient=PATIENT, retriever=retriever)
    assert answer.kind == "abstain"
    assert answer.meta["best_score"] is not None  # recorded with the knowledge gap
    assert answer.citations == []


def test_medicines_answer_cites_the_medicines_page(retriever):
    answer = answer_question(text="what medicines am I on?", patient=PATIENT, retriever=retriever)
    assert answer.kind == "record"
    assert "lisinopril 20 MG Oral Tablet [1]" in answer.text
    assert answer.citations[0].focus == "Lisinopril"
    assert answer.citations[0].kind == "section"


def test_emergency_never_reaches_the_index(retriever):
    answer = answer_question(
        text="my chest hurts really bad and I'm sweating, it started 20 minutes ago",
        patient=PATIENT,
        retriever=retriever,
    )
    assert (answer.kind, answer.level, answer.citations) == ("safety", "emergency", [])


@pytest.mark.parametrize(
    ("question", "topics"),
    [
        ("Does obesity make asthma worse?", {"Asthma": "asthma", "Obesity": "obes"}),
        (
            "Can obesity cause high blood pressure?",
            {"High Blood Pressure": "high blood pressure", "Obesity": "obes"},
        ),
    ],
)
def test_a_question_about_two_topics_is_answered_about_both(retriever, question, topics):
    # The second topic ranks below several sections of the first; the answer still speaks to
    # each: from a section of its own, or from a section about the first that links the two
    # (NIHSeniorHealth's causes of high blood pressure name obesity), never a passage on one
    # topic only.
    answer = answer_question(text=question, patient=PATIENT, retriever=retriever)
    assert answer.kind == "answer"
    cited = {c.focus for c in answer.citations}
    assert cited <= set(topics)
    for topic, word in topics.items():
        assert topic in cited or word in answer.text.lower(), topic

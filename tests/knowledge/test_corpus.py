"""The corpus parser on the real MedQuAD files and on broken ones."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings

from knowledge.corpus import (
    count_sections,
    iter_jsonl,
    iter_medquad,
    load_medquad,
    parse_question,
    parse_xml_file,
)

MEDQUAD = Path(settings.PORTAL_DATA_DIR) / "medquad"
needs_corpus = pytest.mark.skipif(not MEDQUAD.is_dir(), reason="MedQuAD corpus not available")


@pytest.fixture(scope="module")
def corpus():
    results = list(iter_medquad(MEDQUAD))
    sections = [s for r in results if r.ok for s in r.sections]
    return results, sections, {s.external_id: s for s in sections}


@needs_corpus
def test_whole_corpus_parses_into_distinct_sections(corpus):
    results, sections, by_id = corpus
    assert [r.error for r in results if not r.ok] == []
    assert len(results) == 5497 + 1  # the XML documents, then extra_answers.jsonl
    # 16,423 answered XML pairs + 1,489 distinct extra answers; every id is unique.
    assert len(sections) == len(by_id) == 17_912
    assert count_sections(MEDQUAD) == 17_912
    # Without the file stem, the 34 sections of the CancerGov sub-files (0000013_2_1.xml...) would
    # fold into ids their parent file already holds: only 17,878 plain ids.
    plain_ids = {
        f"{s.source}_{'_'.join(s.document_id.split('_')[:2])}_Sec{s.pid}" for s in sections
    }
    assert len(plain_ids) == 17_878
    assert sum(r.skipped_empty for r in results) == 5
    extra = results[-1]
    assert extra.path.name == "extra_answers.jsonl"
    assert (len(extra.sections), extra.skipped_duplicates) == (1489, 425)


@needs_corpus
def test_readme_example_section_keeps_its_stable_id_and_annotations(corpus):
    section = corpus[2]["GHR_0000804_Sec2"]
    assert section.source == "GHR"
    assert section.document_id == "0000804"
    assert section.pid == 2
    assert section.focus == "polycystic kidney disease"
    assert section.qtype == "frequency"
    assert section.question == "How many people are affected by polycystic kidney disease ?"
    assert section.text.startswith("Polycystic kidney disease is a fairly common genetic disorder.")
    assert section.cuis == ("C0022680",)
    assert section.semantic_types == ("T047",)
    assert "polycystic renal disease" in section.synonyms
    assert section.origin_file == "3_GHR_QA/0000804.xml"
    assert section.article_id == "GHR_0000804"


@needs_corpus
def test_cancergov_documents_sharing_an_id_stay_apart(corpus):
    by_id = corpus[2]
    parent = by_id["CancerGov_0000013_2_Sec1"]
    child = by_id["CancerGov_0000013_2_1_Sec1"]
    assert parent.focus == "Chronic Myeloproliferative Neoplasms"
    assert parent.origin_file == "1_CancerGov_QA/0000013_2.xml"
    assert child.focus == "Polycythemia Vera"
    assert "polycythemia vera" in child.text.lower()
    assert child.text != parent.text
    sub_files = [s for s in by_id.values() if s.origin_file.startswith("1_CancerGov_QA/0000013_")]
    assert all(
        s.external_id.startswith(f"CancerGov_{Path(s.origin_file).stem}_Sec") for s in sub_files
    )


@needs_corpus
def test_lowercase_ninds_schema_and_disease_file_root_are_read(corpus):
    by_id = corpus[2]
    holmes = by_id["NINDS_0000007_Sec1"]
    assert holmes.focus == "Holmes-Adie"
    assert holmes.qtype == "information"
    assert holmes.text.startswith("Holmes-Adie syndrome (HAS) is a neurological disorder")
    lowercase = [
        s for s in by_id.values() if s.origin_file.endswith(("0000018.xml", "0000244.xml"))
    ]
    assert any(s.source == "NINDS" for s in lowercase)
    taeniasis = by_id["CDC_0000397_Sec1"]
    assert taeniasis.focus == "Parasites - Taeniasis"
    assert taeniasis.url == "http://www.cdc.gov/parasites/taeniasis/"


@needs_corpus
def test_extra_answers_get_focus_type_and_other_names_from_their_question(corpus):
    by_id = corpus[2]
    pcos = by_id["ADAM_0003147_Sec2"]
    assert (pcos.source, pcos.document_id, pcos.pid) == ("ADAM", "0003147", 2)
    assert pcos.focus == "Polycystic ovary syndrome"
    assert pcos.qtype == "causes"
    assert "Stein-Leventhal syndrome" in pcos.synonyms
    drug = by_id["MPlusDrugs_0000203_Sec8"]
    assert (drug.focus, drug.qtype) == ("Carvedilol", "emergency or overdose")


def test_question_templates_give_focus_and_type():
    assert parse_question("What are the treatments for Noonan syndrome ?") == (
        "Noonan syndrome",
        "treatment",
        (),
    )
    assert parse_question("Is Usher syndrome, type 1B inherited ?")[:2] == (
        "Usher syndrome, type 1B",
        "inheritance",
    )
    assert parse_question("Who is at risk for Lung Cancer? ?")[:2] == (
        "Lung Cancer",
        "susceptibility",
    )
    assert parse_question("Living with a stoma")[:2] == ("Living with a stoma", "information")
    # A template whose topic the corpus lost names no topic (not "How to prevent").
    assert parse_question("How to prevent  ?")[:2] == ("", "prevention")
    assert parse_question("Who is at risk for ? ?")[:2] == ("", "susceptibility")


@needs_corpus
def test_a_question_that_lost_its_topic_takes_its_documents(corpus):
    # Three CDC documents have no <Focus>, and some of their questions a hole where the topic was:
    # "What is (are)  ?". Read as a topic, "(are)" or "How to prevent" matched every question of
    # that kind; the section takes the topic its siblings name instead.
    by_id = corpus[2]
    assert by_id["CDC_0000423_Sec1"].question == "What is (are) ?"
    assert by_id["CDC_0000423_Sec1"].focus == "staphylococcus aureus"
    assert by_id["CDC_0000424_Sec1"].focus == "vancomycin-resistant enterococci"
    assert by_id["CDC_0000199_Sec19"].focus == "how vaccines prevent disease"
    assert all(s.focus for s in corpus[1])


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


GOOD_XML = """<?xml version="1.0" encoding="UTF-8"?>
<Document id="0000001" source="TEST" url="https://example.org/a">
<Focus>Example disease</Focus>
<QAPairs>
<QAPair pid="1"><Question qid="1-1" qtype="information">What is (are) Example disease ?</Question>
<Answer>Example disease is an example.</Answer></QAPair>
<QAPair pid="2"><Question qid="1-2" qtype="treatment">How to treat Example disease ?</Question>
<Answer>   </Answer></QAPair>
</QAPairs></Document>
"""


def test_a_malformed_file_is_reported_and_the_others_still_parse(tmp_path):
    _write(tmp_path / "1_TEST_QA" / "0000001.xml", GOOD_XML)
    truncated = GOOD_XML.replace("</QAPairs></Document>", "")  # cut off mid-document
    _write(tmp_path / "1_TEST_QA" / "0000002.xml", truncated.replace("0000001", "0000002"))
    results = list(iter_medquad(tmp_path))
    good, bad = results
    assert good.ok and [s.external_id for s in good.sections] == ["TEST_0000001_Sec1"]
    assert good.skipped_empty == 1
    assert not bad.ok and bad.sections == []  # nothing half-imported
    assert bad.error.file == "1_TEST_QA/0000002.xml"
    sections, errors = load_medquad(tmp_path)
    assert [s.external_id for s in sections] == ["TEST_0000001_Sec1"]
    assert [e.file for e in errors] == ["1_TEST_QA/0000002.xml"]


def test_xml_entities_are_refused_not_expanded(tmp_path):
    bomb = GOOD_XML.replace(
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>',
    ).replace("is an example.", "&b;")
    result = parse_xml_file(_write(tmp_path / "0000001.xml", bomb))
    assert not result.ok
    assert result.sections == []


def test_a_file_with_a_pair_answered_but_unasked_is_rejected_whole(tmp_path):
    broken = GOOD_XML.replace(
        "</QAPairs>", '<QAPair pid="3"><Answer>An answer to nothing.</Answer></QAPair></QAPairs>'
    )
    result = parse_xml_file(_write(tmp_path / "0000001.xml", broken))
    assert not result.ok and "no question" in result.error.reason


def test_generic_jsonl_uses_title_and_heading(tmp_path):
    rows = [
        {
            "id": "CLINIC_0000001_Sec1",
            "title": "Flu shots at our clinic",
            "heading": "When can I get a flu shot?",
            "text": "Walk in any weekday from September.",
            "url": "https://clinic.example/flu",
            "source": "CLINIC",
        },
        {"id": "CLINIC_0000001_Sec2", "title": "Flu shots", "heading": "Cost?", "text": ""},
    ]
    path = _write(tmp_path / "local.jsonl", "\n".join(json.dumps(r) for r in rows) + "\n")
    [result] = list(iter_jsonl(path))
    assert result.ok and result.skipped_empty == 1
    [section] = result.sections
    assert (section.focus, section.question, section.source, section.pid) == (
        "Flu shots at our clinic",
        "When can I get a flu shot?",
        "CLINIC",
        1,
    )


def test_jsonl_with_a_bad_line_or_a_conflicting_repeat_yields_nothing(tmp_path):
    row = {"id": "X_1_Sec1", "source": "X", "question": "What is (are) A ?", "text": "A is a."}
    bad_line = _write(tmp_path / "a.jsonl", json.dumps(row) + "\n{not json\n")
    [result] = list(iter_jsonl(bad_line))
    assert not result.ok and result.sections == [] and "line 2" in result.error.reason

    conflicting = _write(
        tmp_path / "b.jsonl", json.dumps(row) + "\n" + json.dumps({**row, "text": "Other."}) + "\n"
    )
    [result] = list(iter_jsonl(conflicting))
    assert not result.ok and result.sections == []

    repeated = _write(tmp_path / "c.jsonl", (json.dumps(row) + "\n") * 3)
    [result] = list(iter_jsonl(repeated))
    assert result.ok and len(result.sections) == 1 and result.skipped_duplicates == 2


@needs_corpus
def test_sources_in_the_real_corpus(corpus):
    counts = Counter(s.source for s in corpus[1])
    assert set(counts) >= {"GHR", "GARD", "CancerGov", "NIDDK", "NINDS", "NHLBI", "CDC", "ADAM"}

"""Parsing of the MedQuAD patient-education corpus (and JSONL content in the same shape).

Pure Python, no Django: an importer calls these functions and decides what to store. Every file is
parsed as a whole before any of its sections is handed out, so a malformed file is reported (as a
`CorpusError`) and skipped entirely instead of being half-imported.

Quirks of the real data handled here (see the data README):
- the nine XML subsets use `<Document id= source= url=>`; four NINDS files use a lowercase variant
  (`<doc docid= corpus=>`, `<doctitle-focus>`, `<qaPairs>`, `<pair>`, `<question>`, `<answer>`),
  and one CDC file has the root `<DiseaseFile fid=>`;
- QA pairs with an empty answer have nothing to index and are skipped;
- several CancerGov files share one document id with different diseases (`0000013_2.xml` and
  `0000013_2_1.xml` … `0000013_2_6.xml` all say `id="0000013_2"`). A file named after its
  document id keeps the plain id; a sub-file whose name extends the id (`0000013_2_1`) uses its
  file stem as its document id, so its sections become `CancerGov_0000013_2_1_Sec1`, never
  overwriting another disease's text (17,878 plain ids become 17,912 sections);
- `extra_answers.jsonl` repeats some rows exactly: repeats are dropped.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import parse as safe_parse

EXTRA_ANSWERS_FILE = "extra_answers.jsonl"
# A corpus file larger than this is not patient-education content; refuse it rather than load it.
MAX_FILE_BYTES = 20 * 1024 * 1024

_SECTION_ID_RE = re.compile(r"^(?P<source>[A-Za-z0-9]+)_(?P<doc>.+)_Sec(?P<pid>\d+)$")
_ALSO_CALLED_RE = re.compile(r"\s*\(Also called:\s*(?P<names>.*?)\)?\s*$", re.IGNORECASE)
_SPACES_RE = re.compile(r"\s+")


@dataclass(frozen=True)
class SectionRecord:
    """One answered question of one article, as found in the corpus."""

    external_id: str  # "<source>_<document_id>_Sec<pid>", stable across re-imports
    source: str  # the organisation: "GHR", "CancerGov", "ADAM", ...
    document_id: str  # the article within its source ("0000804", "0000013_2_1")
    focus: str  # the article's topic (condition, drug, test...)
    question: str  # the curated question (or heading) this section answers
    qtype: str  # "information", "symptoms", "causes", "treatment", ...
    text: str  # the answer
    url: str
    cuis: tuple[str, ...]  # UMLS concept ids of the focus
    semantic_types: tuple[str, ...]  # UMLS semantic types of the focus
    origin_file: str  # the file it came from, relative to the corpus root
    pid: int | None  # the QA pair number inside its document
    synonyms: tuple[str, ...] = ()  # other names of the focus ("PKD", "polycystic renal disease")

    @property
    def article_id(self) -> str:
        """Stable id of the article (document) the section belongs to."""
        return f"{self.source}_{self.document_id}"


@dataclass(frozen=True)
class CorpusError:
    """A file that could not be used; the importer reports it and carries on with the others."""

    file: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.reason}"


@dataclass
class FileResult:
    """The outcome of parsing one file: all its sections, or an error and no sections."""

    path: Path
    sections: list[SectionRecord] = field(default_factory=list)
    error: CorpusError | None = None
    skipped_empty: int = 0  # QA pairs without an answer
    skipped_duplicates: int = 0  # exact repeats of a section already seen

    @property
    def ok(self) -> bool:
        return self.error is None


class _FileRejected(Exception):
    """Raised inside a parser to reject the whole file with a reason."""


# --------------------------------------------------------------------------------------------
# Question templates: MedQuAD questions are generated from a few patterns ("What causes X ?").
# Knowing them gives the focus and the question type of a JSONL row that only has a question.
# --------------------------------------------------------------------------------------------
_TEMPLATES: tuple[tuple[str, str], ...] = (
    (r"what is \(are\) (?P<f>.+?)", "information"),
    (r"do you have information about (?P<f>.+?)", "information"),
    (r"what are the symptoms of (?P<f>.+?)", "symptoms"),
    (r"what are the treatments for (?P<f>.+?)", "treatment"),
    (r"is (?P<f>.+?) inherited", "inheritance"),
    (r"how many people are affected by (?P<f>.+?)", "frequency"),
    (r"what are the genetic changes related to (?P<f>.+?)", "genetic changes"),
    (r"what causes (?P<f>.+?)", "causes"),
    (r"how to diagnose (?P<f>.+?)", "exams and tests"),
    (r"what research \(or clinical trials\) is being done for (?P<f>.+?)", "research"),
    (r"what is the outlook for (?P<f>.+?)", "outlook"),
    (r"who is at risk for (?P<f>.+?)\??", "susceptibility"),
    (r"what to do for (?P<f>.+?)", "considerations"),
    (r"how to prevent (?P<f>.+?)", "prevention"),
    (r"what are the stages of (?P<f>.+?)", "stages"),
    (r"what are the complications of (?P<f>.+?)", "complications"),
    (r"do i need to see a doctor for (?P<f>.+?)", "when to see a doctor"),
    (r"where to find support for people with (?P<f>.+?)", "support groups"),
    (r"who should get (?P<f>.+?) and why is it prescribed", "indication"),
    (r"how should (?P<f>.+?) be used and what is the dosage", "usage"),
    (r"what are the side effects or risks of (?P<f>.+?)", "side effects"),
    (r"what should i do if i forget a dose of (?P<f>.+?)", "forget a dose"),
    (r"what to do in case of emergency or overdose of (?P<f>.+?)", "emergency or overdose"),
    (r"what other information should i know about (?P<f>.+?)", "other information"),
    (r"what are the brand names of (?P<f>.+?)", "brand names"),
    (r"what special dietary instructions should i follow with (?P<f>.+?)", "dietary"),
    (r"what should i know about storage and disposal of (?P<f>.+?)", "storage and disposal"),
    (r"what important warning or information should i know about (?P<f>.+?)", "warning"),
    (r"are there safety concerns or special precautions about (?P<f>.+?)", "precautions"),
    (r"what special precautions should i follow for (?P<f>.+?)", "precautions"),
    (r"how can i learn more about (?P<f>.+?)", "other information"),
    (r"what is the action of (?P<f>.+?) and how does it work", "action"),
    (r"how effective is (?P<f>.+?)", "effectiveness"),
    (r"are there interactions between (?P<f>.+?) and .+", "interactions"),
    (r"what is the dosage of (?P<f>.+?)", "usage"),
    (r"what is (?P<f>.+?)", "information"),
)
_TEMPLATE_RES = tuple(
    (re.compile(rf"^{pattern}\s*\??\s*$", re.IGNORECASE | re.DOTALL), qtype)
    for pattern, qtype in _TEMPLATES
)


def parse_question(question: str) -> tuple[str, str, tuple[str, ...]]:
    """Split a templated MedQuAD question into (focus, qtype, synonyms).

    "What causes Lactose intolerance ? (Also called: Lactase deficiency; Milk intolerance)" gives
    ("Lactose intolerance", "causes", ("Lactase deficiency", "Milk intolerance")). A question that
    follows no known template is its own focus, with qtype "information".
    """
    text = _clean(question)
    synonyms: tuple[str, ...] = ()
    match = _ALSO_CALLED_RE.search(text)
    if match:
        names = [_clean(n) for n in match.group("names").split(";")]
        synonyms = tuple(n for n in names if n)
        text = text[: match.start()].strip()
    for pattern, qtype in _TEMPLATE_RES:
        m = pattern.match(text)
        if m:
            focus = m.group("f").strip("? \t\n")
            # "How to prevent  ?": the corpus lost this question's topic. It names none; taking
            # "How to prevent" for its topic would match every question about prevention.
            return focus, qtype, synonyms
    return text.rstrip("?").strip(), "information", synonyms


def _clean(value: str | None) -> str:
    return _SPACES_RE.sub(" ", clean_markup(value or "")).strip()


_MARKUP_RE = re.compile(r"<[A-Za-z!/?]|&(?:#\d+|#x[0-9A-Fa-f]+|[A-Za-z]+);")


def clean_markup(text: str) -> str:
    """Imported text is plain text: any HTML in it is taken out here, once, at import (tags
    dropped, a script's or style's content dropped with it, entities read as the characters
    they stand for). Pages escape it again when they show it. Text without markup is returned
    as it is."""
    if not _MARKUP_RE.search(text):
        return text

    import nh3

    return html.unescape(nh3.clean(text, tags=set(), clean_content_tags={"script", "style"}))


def safe_link(url: str) -> str:
    """Only http(s) links are kept at import: a `javascript:`, `data:` or other URL in a corpus
    file is dropped, so no page can ever make it a link."""
    url = (url or "").strip()
    return url if re.match(r"https?://[^\s]", url, re.IGNORECASE) else ""


# --------------------------------------------------------------------------------------------
# XML
# --------------------------------------------------------------------------------------------
def _child(element: Element, *names: str) -> Element | None:
    for name in names:
        found = element.find(name)
        if found is not None:
            return found
    return None


def _texts(element: Element | None, tag: str) -> tuple[str, ...]:
    if element is None:
        return ()
    values = (_clean(e.text) for e in element.iter(tag))
    return tuple(dict.fromkeys(v for v in values if v))  # unique, in order


def _document_id(root: Element, stem: str) -> tuple[str, str, str]:
    """(document id, source, url) of an XML file, whichever schema it uses."""
    if root.tag == "Document":
        doc_id, source = root.get("id"), root.get("source")
    elif root.tag == "DiseaseFile":
        doc_id, source = root.get("fid"), root.get("source")
    elif root.tag == "doc":
        doc_id, source = root.get("docid"), root.get("corpus")
    else:
        raise _FileRejected(f"unknown root element <{root.tag}>")
    if not doc_id or not source:
        raise _FileRejected(f"<{root.tag}> lacks its id or source attribute")
    # A sub-file of a shared document id is a different article: give it its own id.
    if stem != doc_id and stem.startswith(doc_id + "_"):
        doc_id = stem
    return doc_id.strip(), source.strip(), safe_link(_clean(root.get("url")))


def _parse_xml(path: Path, rel: str) -> FileResult:
    result = FileResult(path=path)
    root = safe_parse(str(path), forbid_dtd=True).getroot()
    doc_id, source, url = _document_id(root, path.stem)
    lowercase = root.tag == "doc"
    focus = _clean(getattr(_child(root, "doctitle-focus" if lowercase else "Focus"), "text", ""))
    annotations = _child(root, "FocusAnnotations")
    umls = _child(annotations, "UMLS") if annotations is not None else None
    if umls is None:
        umls = _child(root, "UMLS", "umls")
    cuis = _texts(umls, "cui" if lowercase else "CUI")
    semantic_types = _texts(umls, "semanticType" if lowercase else "SemanticType")
    synonyms = _texts(annotations, "Synonym")
    pairs = root.iter("pair" if lowercase else "QAPair")
    seen_pids: set[str] = set()
    for pair in pairs:
        pid = (pair.get("pid") or "").strip()
        if not pid.isdigit():
            raise _FileRejected(f"QA pair without a numeric pid ({pid!r})")
        if pid in seen_pids:
            raise _FileRejected(f"pid {pid} appears twice")
        seen_pids.add(pid)
        q = _child(pair, "question" if lowercase else "Question")
        a = _child(pair, "answer" if lowercase else "Answer")
        answer = clean_markup((a.text or "").strip()).strip() if a is not None else ""
        if not answer:
            result.skipped_empty += 1
            continue
        if q is None or not _clean(q.text):
            raise _FileRejected(f"QA pair {pid} has an answer but no question")
        question = _clean(q.text)
        section_focus = focus or parse_question(question)[0]
        result.sections.append(
            SectionRecord(
                external_id=f"{source}_{doc_id}_Sec{pid}",
                source=source,
                document_id=doc_id,
                focus=section_focus,
                question=question,
                qtype=_clean(q.get("qtype")) or parse_question(question)[1],
                text=answer,
                url=url,
                cuis=cuis,
                semantic_types=semantic_types,
                origin_file=rel,
                pid=int(pid),
                synonyms=synonyms,
            )
        )
    if not focus:
        result.sections = _topics_filled(result.sections)
    return result


def _topics_filled(sections: list[SectionRecord]) -> list[SectionRecord]:
    """Sections of a document without a <Focus>: a question that lost its topic ("What is (are)
    ?") takes the one most of its siblings name, as the article does ("staphylococcus aureus")."""
    foci = [s.focus for s in sections if s.focus]
    if not foci or all(s.focus for s in sections):
        return sections
    common = most_named(foci)
    return [s if s.focus else replace(s, focus=common) for s in sections]


def most_named(foci: list[str]) -> str:
    """The topic most of a document's sections name (the first of them on a tie)."""
    return max(dict.fromkeys(foci), key=foci.count)


# --------------------------------------------------------------------------------------------
# JSONL
# --------------------------------------------------------------------------------------------
def _record_from_row(row: object, line_no: int, rel: str) -> SectionRecord | None:
    if not isinstance(row, dict):
        raise _FileRejected(f"line {line_no}: not a JSON object")
    section_id = str(row.get("id") or "").strip()
    if not section_id:
        raise _FileRejected(f"line {line_no}: no id")
    text = clean_markup(str(row.get("text") or "").strip()).strip()
    if not text:
        return None
    question = _clean(str(row.get("question") or row.get("heading") or ""))
    if not question:
        raise _FileRejected(f"line {line_no}: {section_id} has no question or heading")
    m = _SECTION_ID_RE.match(section_id)
    source = _clean(str(row.get("source") or "")) or (m.group("source") if m else "")
    if not source:
        raise _FileRejected(f"line {line_no}: {section_id} has no source")
    focus, qtype, synonyms = parse_question(question)
    title = _clean(str(row.get("title") or ""))
    return SectionRecord(
        external_id=section_id,
        source=source,
        document_id=str(row.get("document_id") or (m.group("doc") if m else section_id)),
        focus=title or focus,
        question=question,
        qtype=_clean(str(row.get("qtype") or "")) or qtype,
        text=text,
        url=safe_link(_clean(str(row.get("url") or ""))),
        cuis=(),
        semantic_types=(),
        origin_file=rel,
        pid=int(m.group("pid")) if m else None,
        synonyms=synonyms,
    )


def _parse_jsonl(path: Path, rel: str) -> FileResult:
    result = FileResult(path=path)
    by_id: dict[str, SectionRecord] = {}
    with path.open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise _FileRejected(f"line {line_no}: invalid JSON ({exc.msg})") from exc
            record = _record_from_row(row, line_no, rel)
            if record is None:
                result.skipped_empty += 1
                continue
            earlier = by_id.get(record.external_id)
            if earlier is not None:
                if earlier != record:
                    raise _FileRejected(
                        f"line {line_no}: {record.external_id} repeated with different content"
                    )
                result.skipped_duplicates += 1
                continue
            by_id[record.external_id] = record
            result.sections.append(record)
    return result


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------
def _relative(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return path.relative_to(root).as_posix()
        except ValueError:
            pass
    return path.name


def _guarded(path: Path, rel: str, parser) -> FileResult:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise _FileRejected(f"file too large ({size} bytes)")
        return parser(path, rel)
    except _FileRejected as exc:
        return FileResult(path=path, error=CorpusError(rel, str(exc)))
    except (ParseError, DefusedXmlException) as exc:
        return FileResult(path=path, error=CorpusError(rel, f"unsafe or malformed XML: {exc}"))
    except (OSError, UnicodeDecodeError) as exc:
        return FileResult(path=path, error=CorpusError(rel, f"unreadable: {exc}"))


def parse_xml_file(path: Path, *, root: Path | None = None) -> FileResult:
    """Parse one MedQuAD XML document (any of its schemas)."""
    return _guarded(path, _relative(path, root), _parse_xml)


def iter_jsonl(path: Path, *, root: Path | None = None) -> Iterator[FileResult]:
    """Parse a JSONL file of sections: one object per line with `id`, `question` (or `heading`),
    `text`, and optionally `title` (the focus), `source`, `url`, `qtype`, `document_id`.

    Yields a single FileResult (an iterator, to compose with `iter_medquad`). Exact repeats of a row
    are dropped; an id repeated with different content rejects the file.
    """
    yield _guarded(path, _relative(path, root), _parse_jsonl)


def iter_medquad(root: Path) -> Iterator[FileResult]:
    """Every file of the corpus at `root`: the XML subsets in a stable order, then
    `extra_answers.jsonl`. A section id already produced by an earlier file is dropped when the
    section is an exact repeat, and rejects the later file otherwise (two texts, one id)."""
    root = Path(root)
    seen: dict[str, tuple[SectionRecord, str]] = {}
    paths = sorted(p for p in root.glob("*/*.xml") if p.is_file())
    extra = root / EXTRA_ANSWERS_FILE
    for path in paths:
        yield _dedupe_across_files(parse_xml_file(path, root=root), seen)
    if extra.is_file():
        for result in iter_jsonl(extra, root=root):
            yield _dedupe_across_files(result, seen)


def _dedupe_across_files(
    result: FileResult, seen: dict[str, tuple[SectionRecord, str]]
) -> FileResult:
    if not result.ok:
        return result
    kept: list[SectionRecord] = []
    for record in result.sections:
        earlier = seen.get(record.external_id)
        if earlier is None:
            kept.append(record)
        elif _same_content(earlier[0], record):
            result.skipped_duplicates += 1
        else:
            reason = f"section {record.external_id} already comes from {earlier[1]}"
            return FileResult(path=result.path, error=CorpusError(record.origin_file, reason))
    for record in kept:
        seen[record.external_id] = (record, record.origin_file)
    result.sections = kept
    return result


def _same_content(a: SectionRecord, b: SectionRecord) -> bool:
    return (a.question, a.text, a.focus) == (b.question, b.text, b.focus)


def iter_sections(results: Iterable[FileResult]) -> Iterator[SectionRecord]:
    """The sections of the files that parsed (errors are skipped: report them separately)."""
    for result in results:
        if result.ok:
            yield from result.sections


def load_medquad(root: Path) -> tuple[list[SectionRecord], list[CorpusError]]:
    """All sections of the corpus at `root`, and the files that could not be used."""
    sections: list[SectionRecord] = []
    errors: list[CorpusError] = []
    for result in iter_medquad(root):
        if result.error is not None:
            errors.append(result.error)
        else:
            sections.extend(result.sections)
    return sections, errors


def count_sections(root: Path) -> int:
    """Number of distinct sections the corpus at `root` yields."""
    return sum(len(r.sections) for r in iter_medquad(root) if r.ok)

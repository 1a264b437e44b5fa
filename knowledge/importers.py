"""Loading parsed corpus files (knowledge.corpus) into the database, fast and idempotently.

- One transaction per file: a file is imported whole or not at all, and its error is reported
  with the file name while the other files carry on.
- Idempotent: a section whose imported content is unchanged is left alone (a curator's later edit
  is not reverted either); changed content becomes a new version of the same section id.
- Fast: everything already stored is read once up front, then each file costs a handful of bulk
  queries whatever its size (no per-row query), so the whole corpus imports in seconds.
- Imported versions wait in review, or are approved by the named curator (reviewer, review time,
  review-by day). A section a curator retired is never brought back by an import: its new text
  waits in review.
- The index is not touched here: the caller syncs it once at the end (never one task per row).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from . import selectors
from .corpus import CorpusError, FileResult, SectionRecord, iter_jsonl, iter_medquad, most_named
from .models import (
    Article,
    Origin,
    PreventiveRule,
    PreventiveRuleVersion,
    ReviewState,
    Section,
    SectionVersion,
    content_hash,
)
from .services import NotAllowed, canonical_rule_definition, default_review_by, rule_hash


@dataclass
class ImportReport:
    files: int = 0
    errors: list[CorpusError] = field(default_factory=list)
    articles_created: int = 0
    articles_updated: int = 0
    sections_created: int = 0
    sections_changed: int = 0  # existing sections that got a new version
    sections_unchanged: int = 0
    held_for_review: int = 0  # new text of a retired section, left in review
    skipped_empty: int = 0
    skipped_duplicates: int = 0
    seconds: float = 0.0
    # Sections whose approved version changed: what the index has to pick up.
    index_ids: set[str] = field(default_factory=set)

    @property
    def versions_created(self) -> int:
        return self.sections_created + self.sections_changed

    def summary(self) -> str:
        return (
            f"{self.files} files ({len(self.errors)} with errors) in {self.seconds:.1f} s: "
            f"{self.sections_created} new sections, {self.sections_changed} changed, "
            f"{self.sections_unchanged} unchanged; {self.articles_created} new articles, "
            f"{self.articles_updated} updated; {self.skipped_empty} empty answers and "
            f"{self.skipped_duplicates} repeated rows skipped"
            + (
                f"; {self.held_for_review} retired sections' new text left in review"
                if self.held_for_review
                else ""
            )
        )


def _section_hash(record: SectionRecord) -> str:
    return content_hash(record.question, record.text, record.qtype)


_ARTICLE_FIELDS = (
    "source",
    "document_id",
    "focus",
    "url",
    "cuis",
    "semantic_types",
    "synonyms",
    "origin_file",
)


def _article_fields(records: list[SectionRecord]) -> dict:
    first = records[0]
    # A few corpus documents give their sections different foci; the article keeps the one most
    # of its sections agree on.
    foci = [r.focus for r in records if r.focus]
    focus = most_named(foci) if foci else first.document_id
    return {
        "source": first.source,
        "document_id": first.document_id,
        "focus": focus[:300],
        "url": first.url[:500],
        "cuis": list(first.cuis),
        "semantic_types": list(first.semantic_types),
        "synonyms": list(first.synonyms),
        "origin_file": first.origin_file[:200],
    }


@dataclass
class _Known:
    """What is already stored, keyed by external id, read once per import."""

    articles: dict[str, Article]
    sections: dict[str, Section]
    # Article pk -> its approved sections' ids, made on first use (only a changed article needs it).
    _approved_by_article: dict[int, list[str]] | None = None

    @classmethod
    def load(cls) -> _Known:
        articles = {a.external_id: a for a in Article.objects.all()}
        sections = {
            s.external_id: s
            for s in Section.objects.select_related("latest").only(
                "id",
                "external_id",
                "article_id",
                "pid",
                "import_hash",
                "current_approved_id",
                "latest__id",
                "latest__number",
                "latest__state",
            )
        }
        return cls(articles=articles, sections=sections)

    def approved_of(self, article_pk: int) -> list[str]:
        """External ids of an article's sections that have an approved version."""
        if self._approved_by_article is None:
            self._approved_by_article = defaultdict(list)
            for section in self.sections.values():
                if section.current_approved_id:
                    self._approved_by_article[section.article_id].append(section.external_id)
        return self._approved_by_article.get(article_pk, [])


@contextmanager
def _fast_sqlite_commits() -> Iterator[None]:
    """One commit per file means thousands of commits; on SQLite in WAL mode, synchronous=NORMAL
    skips the fsync of each one (the WAL is synced at checkpoints). The database cannot be
    corrupted by this; a power cut could lose the last files' commits, and re-running the
    idempotent import restores them."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        wal = str(cursor.fetchone()[0]).lower() == "wal"
        cursor.execute("PRAGMA synchronous")
        before = int(cursor.fetchone()[0])
        if wal:
            cursor.execute("PRAGMA synchronous = NORMAL")
    try:
        yield
    finally:
        if wal:
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA synchronous = {before:d}")


class Importer:
    def __init__(self, *, approve_as=None, review_by: date | None = None) -> None:
        if approve_as is not None and not selectors.can_curate(approve_as):
            raise NotAllowed(f"{approve_as} may not approve content: only content admins can.")
        self.approve_as = approve_as
        self.review_by = review_by or default_review_by()
        self.report = ImportReport()
        self.known = _Known.load()

    def run(
        self,
        results: Iterable[FileResult],
        *,
        on_file: Callable[[FileResult], None] | None = None,
    ) -> ImportReport:
        started = time.perf_counter()
        with _fast_sqlite_commits():
            self._run(results, on_file)
        self.report.seconds = time.perf_counter() - started
        return self.report

    def _run(
        self, results: Iterable[FileResult], on_file: Callable[[FileResult], None] | None
    ) -> None:
        for result in results:
            self.report.files += 1
            self.report.skipped_empty += result.skipped_empty
            self.report.skipped_duplicates += result.skipped_duplicates
            if result.error is not None:
                self.report.errors.append(result.error)
            elif result.sections:
                try:
                    self._import_file(result.sections)
                except Exception as exc:  # a database refusal: report the file, keep going
                    self.known = _Known.load()  # the rolled-back file left no trace: re-read
                    rel = result.sections[0].origin_file
                    self.report.errors.append(CorpusError(rel, f"not stored: {exc}"))
            if on_file is not None:
                on_file(result)

    @transaction.atomic
    def _import_file(self, records: list[SectionRecord]) -> None:
        """Store one file's sections, all or nothing: articles, then sections (new ones get v1,
        changed content the next version), older versions ended, new versions written and the
        sections pointed at them."""
        now = timezone.now()
        report = ImportReport()  # this file's counts, merged only once the file is stored
        articles, new_articles = self._store_articles(records, now, report)
        new_sections, todo = self._sort_sections(records, articles, now, report)
        if not todo:
            self._merge(report, [])
            return
        approving = self._end_older_versions(todo, now, report)
        versions = self._new_versions(todo, approving, now)
        self._point_sections(todo, versions, now, report)
        self._merge(report, new_sections)
        # The in-memory view must follow what is now stored, for the next files of this run.
        for article in new_articles:
            self.known.articles[article.external_id] = article

    def _store_articles(
        self, records: list[SectionRecord], now, report: ImportReport
    ) -> tuple[dict[str, Article], list[Article]]:
        by_article: dict[str, list[SectionRecord]] = {}
        for record in records:
            by_article.setdefault(record.article_id, []).append(record)

        # Articles: create the new ones, update those whose description changed.
        new_articles, changed_articles = [], []
        articles: dict[str, Article] = {}
        for article_id, group in by_article.items():
            fields = _article_fields(group)
            article = self.known.articles.get(article_id)
            if article is None:
                article = Article(external_id=article_id, created_at=now, updated_at=now, **fields)
                new_articles.append(article)
            elif any(getattr(article, k) != v for k, v in fields.items()):
                for k, v in fields.items():
                    setattr(article, k, v)
                article.updated_at = now
                changed_articles.append(article)
            articles[article_id] = article
        Article.objects.bulk_create(new_articles)
        if changed_articles:
            Article.objects.bulk_update(changed_articles, [*_ARTICLE_FIELDS, "updated_at"])
        report.articles_created, report.articles_updated = len(new_articles), len(changed_articles)
        # An article's description (its focus above all) travels with every indexed section, as
        # when a curator edits it: its approved sections are indexed again.
        for article in changed_articles:
            report.index_ids.update(self.known.approved_of(article.pk))
        return articles, new_articles

    def _sort_sections(
        self, records: list[SectionRecord], articles: dict[str, Article], now, report: ImportReport
    ) -> tuple[list[Section], list[tuple[Section, SectionRecord, str, int]]]:
        # Sections: new ones get v1; changed content gets the next version number.
        new_sections: list[Section] = []
        todo: list[tuple[Section, SectionRecord, str, int]] = []  # section, record, hash, number
        for record in records:
            digest = _section_hash(record)
            section = self.known.sections.get(record.external_id)
            if section is None:
                section = Section(
                    article=articles[record.article_id],
                    external_id=record.external_id,
                    pid=record.pid,
                    import_hash=digest,
                    created_at=now,
                    updated_at=now,
                )
                new_sections.append(section)
                todo.append((section, record, digest, 1))
            elif section.import_hash == digest:
                report.sections_unchanged += 1
            else:
                number = section.latest.number + 1 if section.latest is not None else 1
                todo.append((section, record, digest, number))
        Section.objects.bulk_create(new_sections)
        report.sections_created = len(new_sections)
        report.sections_changed = len(todo) - len(new_sections)
        return new_sections, todo

    def _end_older_versions(self, todo, now, report: ImportReport) -> dict[int, bool]:
        """Which sections get their new version approved now (by id of the Section object)."""
        # Older versions this import replaces: approved ones are superseded (before the new
        # approvals are written: one approved version per section), pending ones withdrawn.
        existing_ids = [s.pk for s, _, _, n in todo if n > 1]
        approving: dict[int, bool] = {}
        for section, _, _, number in todo:
            retired_by_curator = (
                number > 1
                and section.current_approved_id is None
                and section.latest is not None
                and section.latest.state == ReviewState.RETIRED
            )
            approving[id(section)] = self.approve_as is not None and not retired_by_curator
            if self.approve_as is not None and retired_by_curator:
                report.held_for_review += 1
        if existing_ids:
            approved_sections = [s.pk for s, _, _, n in todo if n > 1 and approving[id(s)]]
            SectionVersion.objects.filter(
                section_id__in=approved_sections, state=ReviewState.APPROVED
            ).update(
                state=ReviewState.SUPERSEDED,
                ended_at=now,
                ended_by=self.approve_as,
                end_reason="Replaced by a newer imported version",
            )
            SectionVersion.objects.filter(
                section_id__in=existing_ids, state__in=(ReviewState.DRAFT, ReviewState.IN_REVIEW)
            ).update(
                state=ReviewState.RETIRED,
                ended_at=now,
                ended_by=self.approve_as,
                end_reason="Replaced by a newer imported version",
            )
        return approving

    def _new_versions(self, todo, approving: dict[int, bool], now) -> list[SectionVersion]:
        versions = []
        for section, record, _, number in todo:
            approve = approving[id(section)]
            versions.append(
                SectionVersion(
                    section=section,
                    number=number,
                    question=record.question,
                    text=record.text,
                    qtype=record.qtype,
                    origin=Origin.IMPORT,
                    note=f"Imported from {record.origin_file}"[:300],
                    state=ReviewState.APPROVED if approve else ReviewState.IN_REVIEW,
                    created_by=self.approve_as,
                    created_at=now,
                    submitted_by=self.approve_as,
                    submitted_at=now,
                    reviewed_by=self.approve_as if approve else None,
                    reviewed_at=now if approve else None,
                    review_by=self.review_by if approve else None,
                )
            )
        SectionVersion.objects.bulk_create(versions)
        return versions

    def _point_sections(self, todo, versions, now, report: ImportReport) -> None:
        changed = []
        for (section, _, digest, number), version in zip(todo, versions, strict=True):
            section.latest = version
            section.import_hash = digest
            section.updated_at = now
            if version.state == ReviewState.APPROVED:
                section.current_approved = version
                report.index_ids.add(section.external_id)
            # Otherwise the section keeps its approved version (if any) until a curator approves.
            if number > 1:
                changed.append(section)
        # The pointers follow from the versions just written: two sub-selects in one UPDATE
        # (Django's bulk_update builds a CASE per row and costs more than the whole insert).
        Section.objects.filter(pk__in=[s.pk for s, _, _, _ in todo]).update(
            latest=Subquery(
                SectionVersion.objects.filter(section=OuterRef("pk"))
                .order_by("-number")
                .values("pk")[:1]
            ),
            current_approved=Subquery(
                SectionVersion.objects.filter(
                    section=OuterRef("pk"), state=ReviewState.APPROVED
                ).values("pk")[:1]
            ),
            updated_at=now,
        )
        if changed:
            Section.objects.bulk_update(changed, ["import_hash"])

    def _merge(self, part: ImportReport, new_sections: list[Section]) -> None:
        total = self.report
        total.articles_created += part.articles_created
        total.articles_updated += part.articles_updated
        total.sections_created += part.sections_created
        total.sections_changed += part.sections_changed
        total.sections_unchanged += part.sections_unchanged
        total.held_for_review += part.held_for_review
        total.index_ids |= part.index_ids
        for section in new_sections:
            self.known.sections[section.external_id] = section
        if new_sections:
            self.known._approved_by_article = None  # made again, with them, when next needed


def import_medquad(
    root: Path,
    *,
    approve_as=None,
    review_by: date | None = None,
    on_file: Callable[[FileResult], None] | None = None,
) -> ImportReport:
    """Import the MedQuAD corpus at `root` (the nine XML subsets and extra_answers.jsonl)."""
    return Importer(approve_as=approve_as, review_by=review_by).run(
        iter_medquad(Path(root)), on_file=on_file
    )


def import_jsonl(
    path: Path,
    *,
    approve_as=None,
    review_by: date | None = None,
    on_file: Callable[[FileResult], None] | None = None,
) -> ImportReport:
    """Import a JSONL file of sections (`id, title, question/heading, text, url, source`)."""
    return Importer(approve_as=approve_as, review_by=review_by).run(
        iter_jsonl(Path(path)), on_file=on_file
    )


# --------------------------------------------------------------------------------------------
# Preventive-care rules
# --------------------------------------------------------------------------------------------
@dataclass
class RulesReport:
    created: int = 0
    changed: int = 0
    unchanged: int = 0
    held_for_review: int = 0

    def summary(self) -> str:
        return f"{self.created} new rules, {self.changed} changed, {self.unchanged} unchanged" + (
            f"; {self.held_for_review} retired rules' new definition left in review"
            if self.held_for_review
            else ""
        )


@transaction.atomic
def load_rules(
    definitions: Iterable[dict], *, approve_as=None, review_by: date | None = None
) -> RulesReport:
    """Store a rule set (all or nothing): new rules get v1, a changed definition the next
    version, an unchanged one nothing. Every definition is validated by the engine first."""

    if approve_as is not None and not selectors.can_curate(approve_as):
        raise NotAllowed(f"{approve_as} may not approve rules: only content admins can.")
    canonical = [canonical_rule_definition(d) for d in definitions]
    keys = [d["key"] for d in canonical]
    if len(set(keys)) != len(keys):
        raise ValueError("the rule set repeats a key")
    review_by = review_by or default_review_by()
    report = RulesReport()
    now = timezone.now()
    existing = {
        r.key: r for r in PreventiveRule.objects.select_related("latest").filter(key__in=keys)
    }
    for definition in canonical:
        digest = rule_hash(definition)
        rule = existing.get(definition["key"])
        if rule is None:
            rule = PreventiveRule.objects.create(key=definition["key"], title=definition["title"])
            number, retired_by_curator = 1, False
            report.created += 1
        elif rule.import_hash == digest:
            report.unchanged += 1
            continue
        else:
            number = (rule.latest.number if rule.latest else 0) + 1
            retired_by_curator = rule.current_approved_id is None and (
                rule.latest is not None and rule.latest.state == ReviewState.RETIRED
            )
            report.changed += 1
        approve = approve_as is not None and not retired_by_curator
        report.held_for_review += int(approve_as is not None and retired_by_curator)
        versions = PreventiveRuleVersion.objects.filter(rule=rule)
        if approve:
            versions.filter(state=ReviewState.APPROVED).update(
                state=ReviewState.SUPERSEDED,
                ended_at=now,
                ended_by=approve_as,
                end_reason=f"Replaced by v{number}",
            )
        versions.filter(state__in=(ReviewState.DRAFT, ReviewState.IN_REVIEW)).update(
            state=ReviewState.RETIRED,
            ended_at=now,
            ended_by=approve_as,
            end_reason=f"Replaced by imported v{number}",
        )
        version = PreventiveRuleVersion.objects.create(
            rule=rule,
            number=number,
            definition=definition,
            origin=Origin.IMPORT,
            note="Loaded from the shipped rule set",
            state=ReviewState.APPROVED if approve else ReviewState.IN_REVIEW,
            created_by=approve_as,
            created_at=now,
            submitted_by=approve_as,
            submitted_at=now,
            reviewed_by=approve_as if approve else None,
            reviewed_at=now if approve else None,
            review_by=review_by if approve else None,
        )
        rule.latest = version
        rule.import_hash = digest
        rule.updated_at = now
        if approve:
            rule.current_approved = version
            rule.title = definition["title"]
        rule.save()
    return report

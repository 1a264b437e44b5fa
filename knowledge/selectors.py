"""Reads of curated content: what is approved, what needs review, what the index should hold."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from datetime import date
from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.utils import timezone

from .models import (
    CURATE_PERMISSION,
    PreventiveRule,
    PreventiveRuleVersion,
    ReviewState,
    Section,
    SectionVersion,
)
from .preventive import Rule

if TYPE_CHECKING:
    from .index import IndexDoc
    from .preventive import Rule


def can_curate(user) -> bool:
    """Content admins: staff accounts holding the curate permission (the "admin" role's group
    has it; superusers have every permission)."""
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.is_active
        and user.is_staff
        and user.has_perm(CURATE_PERMISSION)
    )


def approved_section_versions() -> QuerySet[SectionVersion]:
    """The current approved version of every section: the only content retrieval may return."""
    return SectionVersion.objects.filter(state=ReviewState.APPROVED).select_related(
        "section__article"
    )


def approved_version_set() -> set[tuple[str, int]]:
    """{(section external id, version number)} of everything approved right now."""
    return set(approved_section_versions().values_list("section__external_id", "number"))


def section_version_get(*, section_id: str, number: int) -> SectionVersion | None:
    """The exact version an answer cited (current or historical), or None."""
    return (
        SectionVersion.objects.select_related("section__article")
        .filter(section__external_id=section_id, number=number)
        .first()
    )


def sections_needing_review(*, on: date | None = None) -> QuerySet[Section]:
    """Sections whose approved version is past its review-by day (still live, but flagged)."""
    on = on or timezone.localdate()
    return Section.objects.filter(
        current_approved__state=ReviewState.APPROVED, current_approved__review_by__lt=on
    )


def index_doc_for(version: SectionVersion) -> IndexDoc:
    from .index import IndexDoc  # the index pulls in Chroma: load it only when indexing

    article = version.section.article
    return IndexDoc(
        section_id=version.section.external_id,
        version=version.number,
        focus=article.focus,
        question=version.question,
        qtype=version.qtype,
        text=version.text,
        source=article.source,
        url=article.url,
        topics=tuple(article.synonyms),
    )


def index_docs(*, section_ids: Iterable[str] | None = None) -> Iterator[IndexDoc]:
    """What the index must hold (for all sections, or just `section_ids`): one document per
    current approved version."""
    versions = approved_section_versions().order_by("section__external_id")
    if section_ids is not None:
        versions = versions.filter(section__external_id__in=list(section_ids))
    for version in versions.iterator(chunk_size=2000):
        yield index_doc_for(version)


# The approved rules last read, by which versions they were. Every answer to a patient with a
# record evaluates them: reading, parsing and validating ~30 definitions per answer cost more than
# the rest of the record's context. Safe to share: a Rule is frozen, and the same versions with the
# same definitions are the same rules.
_approved_rules_cache: dict[str, tuple[tuple, list[Rule], str]] = {}


def approved_rules() -> list[Rule]:
    """The preventive-care rules in force: the current approved version of each rule."""
    return approved_rules_versioned()[1]


def approved_rules_versioned() -> tuple[str, list[Rule]]:
    """The rules in force and a digest of them, which changes whenever they do (an approval, a
    retirement): what was computed from the rules is reused only while the digest is the same."""
    versions = PreventiveRuleVersion.objects.filter(state=ReviewState.APPROVED).order_by(
        "rule__key"
    )
    # Which versions, and when each was approved: an approved version's definition is never
    # edited (an edit is a new version), so the definitions are read only when this changes.
    key = tuple(versions.values_list("pk", "reviewed_at"))
    cached = _approved_rules_cache.get(versions.db)
    if cached is None or cached[0] != key:
        rows = list(versions.values_list("pk", "reviewed_at", "definition"))
        key = tuple((pk, reviewed) for pk, reviewed, _ in rows)
        rules = [Rule.from_dict(definition) for _, _, definition in rows]
        digest = hashlib.sha256(json.dumps(rows, sort_keys=True, default=str).encode()).hexdigest()
        cached = (key, rules, digest)
        _approved_rules_cache[versions.db] = cached
    return cached[2], list(cached[1])


def rules_needing_review(*, on: date | None = None) -> QuerySet[PreventiveRule]:
    on = on or timezone.localdate()
    return PreventiveRule.objects.filter(
        current_approved__state=ReviewState.APPROVED, current_approved__review_by__lt=on
    )

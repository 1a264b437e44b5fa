"""Writes to curated content: edits, the review workflow, and keeping the index in step.

The workflow, for a section or a preventive rule alike:

    draft ──submit──▶ in review ──approve──▶ approved ──(a newer version approved)──▶ superseded
      ▲                  │                      │
      └────return────────┘                      └──retire──▶ retired
    (draft and in-review versions can be retired too: withdrawn without being approved)

Only curators (selectors.can_curate) may call these; an illegal step raises IllegalTransition with
a sentence an admin can act on. At most one version of a section is approved; approving a new one
supersedes the old one in the same transaction, and retrieval is updated after the commit through
a Celery task (knowledge.tasks), one task per request or bulk action.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from . import selectors
from .models import (
    Article,
    Origin,
    PreventiveRule,
    PreventiveRuleVersion,
    ReviewedVersion,
    ReviewState,
    Section,
    SectionVersion,
    content_hash,
)
from .preventive import Rule, RuleError
from .signals import content_changed
from .tasks import index_sections_task
from .wiring import get_index

logger = logging.getLogger(__name__)

DEFAULT_REVIEW_DAYS = 365

V = TypeVar("V", bound=ReviewedVersion)
Owner = Section | PreventiveRule


class CurationError(Exception):
    """A curation request that cannot be done; the message is shown to the admin as is."""


class IllegalTransition(CurationError):
    pass


class NothingChanged(CurationError):
    pass


class NotAllowed(CurationError, PermissionDenied):
    pass


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------
def review_interval() -> timedelta:
    return timedelta(days=getattr(settings, "KNOWLEDGE_REVIEW_DAYS", DEFAULT_REVIEW_DAYS))


def default_review_by(*, on: date | None = None) -> date:
    return (on or timezone.localdate()) + review_interval()


def _require_curator(user) -> None:
    if not selectors.can_curate(user):
        raise NotAllowed(f"{user or 'Nobody'} may not curate content: only content admins can.")


_ACTION_FROM: dict[str, frozenset[str]] = {
    "submit": frozenset({ReviewState.DRAFT}),
    "return": frozenset({ReviewState.IN_REVIEW}),
    "approve": frozenset({ReviewState.IN_REVIEW}),
    "reconfirm": frozenset({ReviewState.APPROVED}),
    "retire": frozenset({ReviewState.DRAFT, ReviewState.IN_REVIEW, ReviewState.APPROVED}),
}
_HINTS = {
    ("approve", ReviewState.DRAFT): "submit it for review first",
    ("approve", ReviewState.APPROVED): "it is already the approved version",
    ("submit", ReviewState.IN_REVIEW): "it is already waiting for review",
    ("reconfirm", ReviewState.IN_REVIEW): "approve it instead",
}


def _check(version: ReviewedVersion, action: str) -> None:
    if version.state in _ACTION_FROM[action]:
        return
    state = ReviewState(version.state).label.lower()
    hint = _HINTS.get((action, version.state))
    if hint is None and version.state == ReviewState.SUPERSEDED:
        hint = "a newer approved version replaced it; old versions stay as they were cited"
    if hint is None and version.state == ReviewState.RETIRED:
        hint = "retired versions are kept unchanged; edit the content to make a new version"
    raise IllegalTransition(
        f"Cannot {action} {version}: it is {state}" + (f" ({hint})." if hint else ".")
    )


def _lock(version: V) -> tuple[Owner, V]:
    """Re-read the version and its owner under a row lock (PostgreSQL) so two reviewers acting
    at once see each other's change instead of both approving."""
    model = type(version)
    fresh = model.objects.select_for_update().get(pk=version.pk)
    owner_model = type(fresh.owner)
    owner = owner_model.objects.select_for_update().get(pk=fresh.owner.pk)
    if isinstance(fresh, SectionVersion):
        fresh.section = owner
    else:
        fresh.rule = owner
    return owner, fresh


def _end(version: ReviewedVersion, *, state: str, user, reason: str, now) -> None:
    version.state = state
    version.ended_by = user
    version.ended_at = now
    version.end_reason = reason[:300]
    version.save(update_fields=["state", "ended_by", "ended_at", "end_reason"])


def _announce(version: ReviewedVersion, *, action: str, user) -> None:
    """Tell listeners (the audit log) about a curation step. Sent inside the step's transaction:
    what a listener writes commits or rolls back together with the change itself."""

    is_section = isinstance(version, SectionVersion)
    owner = version.section if is_section else version.rule
    kwargs = {
        "user": user,
        "action": f"{'section' if is_section else 'rule'}.{action}",
        "object_type": "section" if is_section else "rule",
        "object_id": str(getattr(owner, "external_id", None) or getattr(owner, "key", owner.pk)),
        "version": version.number,
    }
    content_changed.send(sender=type(version), **kwargs)


def _touch(owner: Owner, *fields: str) -> None:
    owner.updated_at = timezone.now()
    owner.save(update_fields=[*fields, "updated_at"])


# --------------------------------------------------------------------------------------------
# Keeping the index in step: one Celery task per request, sent after the commit
# --------------------------------------------------------------------------------------------
_batch: ContextVar[set[str] | None] = ContextVar("knowledge_index_batch", default=None)


@contextmanager
def one_index_update() -> Iterator[None]:
    """Collect every section touched inside the block into a single index task."""
    if _batch.get() is not None:  # nested: the outer block sends the task
        yield
        return
    ids: set[str] = set()
    token = _batch.set(ids)
    try:
        yield
    finally:
        _batch.reset(token)
    _send_index_task(ids)


def _index_changed(owner: Owner) -> None:
    if not isinstance(owner, Section):
        return  # preventive rules are read from the database, not from the index
    pending = _batch.get()
    if pending is not None:
        pending.add(owner.external_id)
    else:
        _send_index_task({owner.external_id})


def _send_index_task(section_ids: set[str]) -> None:
    if not section_ids:
        return
    ids = sorted(section_ids)

    def send() -> None:

        try:
            index_sections_task.delay(ids)
        except Exception:
            # The change is committed and stays: the index catches up at the next reindex.
            logger.exception(
                "Index update for %d section(s) failed (%s…); run `manage.py reindex`",
                len(ids),
                ", ".join(ids[:3]),
            )

    transaction.on_commit(send)


Progress = Callable[[int], None]  # called with how many more sections were indexed
_CHUNK = 2000  # sections per database read / index write (bounded memory and SQL parameters)


def _upsert_in_chunks(index, section_ids: list[str], progress: Progress | None) -> int:
    """Index these sections, read from the database a chunk at a time. One `upsert` call takes
    them all, so it can store one batch while it embeds the next."""

    def docs() -> Iterator[Any]:
        for start in range(0, len(section_ids), _CHUNK):
            yield from selectors.index_docs(section_ids=section_ids[start : start + _CHUNK])

    reported = 0

    def report(done: int) -> None:  # the index counts in total; callers want what is new
        nonlocal reported
        if progress is not None:
            progress(done - reported)
        reported = done

    return index.upsert(docs(), batch_sections=_CHUNK, progress=report).sections


def index_sync(*, section_ids: Iterable[str], progress: Progress | None = None) -> dict[str, int]:
    """Make the index agree with the database for these sections: their current approved
    version in, anything else out. Safe to repeat and to run late (it reads the state then)."""
    ids = sorted(set(section_ids))
    approved = set()
    for start in range(0, len(ids), _CHUNK):
        approved |= set(
            selectors.approved_section_versions()
            .filter(section__external_id__in=ids[start : start + _CHUNK])
            .values_list("section__external_id", flat=True)
        )
    index = get_index()
    gone = [sid for sid in ids if sid not in approved]
    if gone:
        index.remove(gone)
    upserted = _upsert_in_chunks(index, [sid for sid in ids if sid in approved], progress)
    return {"upserted": upserted, "removed": len(gone)}


def index_rebuild(*, progress: Progress | None = None) -> dict[str, int]:
    """Rebuild the whole index from the database (the source of truth)."""
    index = get_index()
    index.clear()
    wanted = sorted(sid for sid, _ in selectors.approved_version_set())
    return {"indexed": _upsert_in_chunks(index, wanted, progress)}


def index_reconcile(*, progress: Progress | None = None) -> dict[str, int]:
    """Bring the index in line with the database by changing only what differs (cheap when
    little changed, e.g. right after an import that already indexed its sections)."""
    index = get_index()
    indexed = dict(index.section_versions())
    wanted = dict(selectors.approved_version_set())
    stale = sorted(sid for sid, number in wanted.items() if indexed.get(sid) != number)
    extra = sorted(set(indexed) - set(wanted))
    if extra:
        index.remove(extra)
    upserted = _upsert_in_chunks(index, stale, progress)
    return {"upserted": upserted, "removed": len(extra), "unchanged": len(wanted) - len(stale)}


# --------------------------------------------------------------------------------------------
# The workflow, shared by sections and rules
# --------------------------------------------------------------------------------------------
@transaction.atomic
def version_submit(*, version: V, user) -> V:
    """Draft → in review."""
    _require_curator(user)
    _owner, version = _lock(version)
    _check(version, "submit")
    version.state = ReviewState.IN_REVIEW
    version.submitted_by = user
    version.submitted_at = timezone.now()
    version.save(update_fields=["state", "submitted_by", "submitted_at"])
    _announce(version, action="submit", user=user)
    return version


@transaction.atomic
def version_return(*, version: V, reviewer, note: str = "") -> V:
    """In review → draft (sent back for changes)."""
    _require_curator(reviewer)
    _owner, version = _lock(version)
    _check(version, "return")
    version.state = ReviewState.DRAFT
    if note:
        version.note = note[:300]
    version.save(update_fields=["state", "note"])
    _announce(version, action="return", user=reviewer)
    return version


@transaction.atomic
def version_approve(*, version: V, reviewer, review_by: date | None = None) -> V:
    """In review → approved; the previously approved version (if any) becomes superseded and the
    index switches to the new one after the commit."""
    _require_curator(reviewer)
    owner, version = _lock(version)
    _check(version, "approve")
    now = timezone.now()
    previous = (
        type(version)
        .objects.filter(state=ReviewState.APPROVED, **{_owner_field(version): owner})
        .first()
    )
    if previous is not None:
        # Before the new approval is saved: at most one approved version may exist.
        _end(
            previous,
            state=ReviewState.SUPERSEDED,
            user=reviewer,
            reason=f"Replaced by v{version.number}",
            now=now,
        )
    version.state = ReviewState.APPROVED
    version.reviewed_by = reviewer
    version.reviewed_at = now
    version.review_by = review_by or default_review_by(on=timezone.localdate(now))
    version.save(update_fields=["state", "reviewed_by", "reviewed_at", "review_by"])
    owner.current_approved = version
    fields = ["current_approved"]
    if isinstance(owner, PreventiveRule):
        owner.title = str(version.definition.get("title") or owner.title)
        fields.append("title")
    _touch(owner, *fields)
    _index_changed(owner)
    _announce(version, action="approve", user=reviewer)
    return version


@transaction.atomic
def version_reconfirm(*, version: V, reviewer, review_by: date | None = None) -> V:
    """A re-review that finds the approved text still right: same version (citations unchanged),
    new reviewer and review-by day."""
    _require_curator(reviewer)
    _owner, version = _lock(version)
    _check(version, "reconfirm")
    version.reviewed_by = reviewer
    version.reviewed_at = timezone.now()
    version.review_by = review_by or default_review_by()
    version.save(update_fields=["reviewed_by", "reviewed_at", "review_by"])
    _announce(version, action="reconfirm", user=reviewer)
    return version


@transaction.atomic
def version_retire(*, version: V, user, reason: str = "") -> V:
    """Draft, in review or approved → retired. Retiring the approved version takes the content
    out of retrieval (after the commit) until another version is approved."""
    _require_curator(user)
    owner, version = _lock(version)
    _check(version, "retire")
    was_live = version.state == ReviewState.APPROVED
    _end(
        version,
        state=ReviewState.RETIRED,
        user=user,
        reason=reason or "Retired",
        now=timezone.now(),
    )
    if was_live:
        owner.current_approved = None
        _touch(owner, "current_approved")
        _index_changed(owner)
    _announce(version, action="retire", user=user)
    return version


def _owner_field(version: ReviewedVersion) -> str:
    return "section" if isinstance(version, SectionVersion) else "rule"


@transaction.atomic
def _retire_owner(*, owner: Owner, user, reason: str) -> list[ReviewedVersion]:
    _require_curator(user)
    owner = type(owner).objects.select_for_update().get(pk=owner.pk)
    live = list(owner.versions.filter(state__in=_ACTION_FROM["retire"]).order_by("number"))
    if not live:
        raise IllegalTransition(f"Cannot retire {owner}: nothing of it is live or pending.")
    now = timezone.now()
    for version in live:
        _end(version, state=ReviewState.RETIRED, user=user, reason=reason or "Retired", now=now)
    if owner.current_approved_id is not None:
        owner.current_approved = None
        _touch(owner, "current_approved")
    _index_changed(owner)
    for version in live:
        _announce(version, action="retire", user=user)
    return live


def section_retire(*, section: Section, user, reason: str = "") -> list[SectionVersion]:
    """Withdraw a section: its approved version and any pending draft are retired."""
    return _retire_owner(owner=section, user=user, reason=reason)


def rule_retire(*, rule: PreventiveRule, user, reason: str = "") -> list[PreventiveRuleVersion]:
    return _retire_owner(owner=rule, user=user, reason=reason)


def _new_version(*, owner: Owner, user, note: str, **content) -> ReviewedVersion:
    """A new draft on top of the owner's history; an older pending version is withdrawn so at
    most one version waits for review and it is always the newest."""
    now = timezone.now()
    number = (owner.latest.number if owner.latest_id else 0) + 1
    for pending in owner.versions.filter(state__in=(ReviewState.DRAFT, ReviewState.IN_REVIEW)):
        _end(
            pending,
            state=ReviewState.RETIRED,
            user=user,
            reason=f"Replaced by draft v{number}",
            now=now,
        )
    model = SectionVersion if isinstance(owner, Section) else PreventiveRuleVersion
    version = model.objects.create(
        number=number,
        state=ReviewState.DRAFT,
        origin=Origin.EDIT,
        note=note[:300],
        created_by=user,
        created_at=now,
        **{_owner_field_for(owner): owner},
        **content,
    )
    owner.latest = version
    _touch(owner, "latest")
    _announce(version, action="edit", user=user)
    return version


def _owner_field_for(owner: Owner) -> str:
    return "section" if isinstance(owner, Section) else "rule"


# --------------------------------------------------------------------------------------------
# Sections
# --------------------------------------------------------------------------------------------
def _clean_section(question: str, text: str, qtype: str) -> tuple[str, str, str]:
    question, text, qtype = question.strip(), text.strip(), qtype.strip().lower()
    if not question or not text or not qtype:
        raise CurationError("A section needs a question (or heading), a text and a type.")
    return question, text, qtype


@transaction.atomic
def section_create(
    *,
    article: Article,
    external_id: str,
    question: str,
    text: str,
    qtype: str,
    author,
    note: str = "",
) -> SectionVersion:
    """A new section of an article, as draft version 1."""
    _require_curator(author)
    question, text, qtype = _clean_section(question, text, qtype)
    external_id = external_id.strip()
    if not external_id:
        raise CurationError("A section needs a stable id, e.g. GHR_0000804_Sec9.")
    if Section.objects.filter(external_id=external_id).exists():
        raise CurationError(f"A section with id {external_id} already exists.")
    section = Section.objects.create(article=article, external_id=external_id)
    return _new_version(
        owner=section, user=author, note=note, question=question, text=text, qtype=qtype
    )


@transaction.atomic
def section_edit(
    *, section: Section, question: str, text: str, qtype: str, author, note: str = ""
) -> SectionVersion:
    """An edit is a new draft version; the approved version stays the one retrieved (and cited)
    until the draft is approved."""
    _require_curator(author)
    section = (
        Section.objects.select_for_update(of=("self",)).select_related("latest").get(pk=section.pk)
    )
    question, text, qtype = _clean_section(question, text, qtype)
    if section.latest is not None and section.latest.content() == (question, text, qtype):
        raise NothingChanged(f"{section}: the text is the same as v{section.latest.number}.")
    return _new_version(
        owner=section, user=author, note=note, question=question, text=text, qtype=qtype
    )


@transaction.atomic
def article_update(*, article: Article, user, **fields: Any) -> Article:
    """Change an article's descriptive fields (focus, URL, codes). They are not versioned, but
    they travel with every indexed section, so its approved sections are re-indexed."""
    _require_curator(user)
    for name, value in fields.items():
        setattr(article, name, value)
    article.updated_at = timezone.now()
    article.save()
    with one_index_update():
        for section in article.sections.exclude(current_approved=None):
            _index_changed(section)
    return article


# --------------------------------------------------------------------------------------------
# Preventive rules
# --------------------------------------------------------------------------------------------
def canonical_rule_definition(definition: Any) -> dict[str, Any]:
    """Validate a rule with the engine itself and return its canonical JSON form, so what is
    stored is exactly what the engine will read (and equal definitions compare equal)."""

    if not isinstance(definition, dict):
        raise CurationError("A rule definition must be a JSON object.")
    try:
        return Rule.from_dict(definition).to_dict()
    except (RuleError, TypeError, ValueError, KeyError) as exc:
        raise CurationError(f"Invalid rule: {exc}") from exc


def rule_hash(definition: dict[str, Any]) -> str:
    return content_hash(definition)


@transaction.atomic
def rule_create(*, definition: dict[str, Any], author, note: str = "") -> PreventiveRuleVersion:
    _require_curator(author)
    definition = canonical_rule_definition(definition)
    key = definition["key"]
    if PreventiveRule.objects.filter(key=key).exists():
        raise CurationError(f"A rule with key {key} already exists.")
    rule = PreventiveRule.objects.create(key=key, title=definition.get("title", key))
    return _new_version(owner=rule, user=author, note=note, definition=definition)


@transaction.atomic
def rule_edit(
    *, rule: PreventiveRule, definition: dict[str, Any], author, note: str = ""
) -> PreventiveRuleVersion:
    """A new draft of the rule; patients' results keep using the approved version until the
    draft is approved."""
    _require_curator(author)
    rule = (
        PreventiveRule.objects.select_for_update(of=("self",))
        .select_related("latest")
        .get(pk=rule.pk)
    )
    definition = canonical_rule_definition(definition)
    if definition["key"] != rule.key:
        raise CurationError(f"A rule's key cannot change ({rule.key} → {definition['key']}).")
    if rule.latest is not None and rule.latest.definition == definition:
        raise NothingChanged(f"{rule.key}: the definition is the same as v{rule.latest.number}.")
    return _new_version(owner=rule, user=author, note=note, definition=definition)

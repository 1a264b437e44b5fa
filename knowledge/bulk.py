"""Bulk curation from the admin's list pages: each selected item in its own transaction (a
refused one is reported with its reason and leaves the others done), one index update for the
whole action.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction

from .models import ReviewedVersion, ReviewState, Section
from .services import (
    CurationError,
    IllegalTransition,
    Owner,
    _require_curator,
    _retire_owner,
    one_index_update,
    version_approve,
    version_reconfirm,
    version_retire,
    version_submit,
)


@dataclass
class BulkOutcome:
    """What a bulk action did: the versions it changed, and what it skipped and why."""

    done: list[ReviewedVersion] = field(default_factory=list)
    skipped: list[tuple[Any, str]] = field(default_factory=list)


def _bulk(items: Iterable[Any], step) -> BulkOutcome:
    outcome = BulkOutcome()
    with transaction.atomic(), one_index_update():
        for item in items:
            try:
                with transaction.atomic():  # a refused item leaves the others done
                    result = step(item)
            except CurationError as exc:
                outcome.skipped.append((item, str(exc)))
                continue
            if isinstance(result, list):
                outcome.done.extend(result)
            else:
                outcome.done.append(result)
    return outcome


def _pending_version(owner: Owner, state: str) -> ReviewedVersion:
    latest = owner.latest
    if latest is None or latest.state != state:
        label = ReviewState(state).label.lower()
        raise IllegalTransition(f"{owner}: no version {label}.")
    return latest


def owners_submit(*, owners: Sequence[Owner], user) -> BulkOutcome:
    """Submit each one's draft for review."""
    _require_curator(user)
    return _bulk(
        owners,
        lambda o: version_submit(version=_pending_version(o, ReviewState.DRAFT), user=user),
    )


def owners_approve(
    *, owners: Sequence[Owner], reviewer, review_by: date | None = None
) -> BulkOutcome:
    """Approve each one's version in review (sections or rules)."""
    _require_curator(reviewer)
    return _bulk(
        owners,
        lambda o: version_approve(
            version=_pending_version(o, ReviewState.IN_REVIEW),
            reviewer=reviewer,
            review_by=review_by,
        ),
    )


def owners_retire(*, owners: Sequence[Owner], user, reason: str = "") -> BulkOutcome:
    _require_curator(user)
    return _bulk(owners, lambda o: _retire_owner(owner=o, user=user, reason=reason))


def owners_reconfirm(*, owners: Sequence[Owner], reviewer) -> BulkOutcome:
    """Mark each one's approved version as re-reviewed (extends its review-by day)."""
    _require_curator(reviewer)

    def step(owner: Owner) -> ReviewedVersion:
        if owner.current_approved_id is None:
            raise IllegalTransition(f"{owner}: no approved version to re-review.")
        return version_reconfirm(version=owner.current_approved, reviewer=reviewer)

    return _bulk(owners, step)


def versions_approve(*, versions: Sequence[ReviewedVersion], reviewer) -> BulkOutcome:
    _require_curator(reviewer)
    return _bulk(versions, lambda v: version_approve(version=v, reviewer=reviewer))


def versions_retire(*, versions: Sequence[ReviewedVersion], user, reason: str = "") -> BulkOutcome:
    _require_curator(user)
    return _bulk(versions, lambda v: version_retire(version=v, user=user, reason=reason))


# Names that say what they act on, for callers that know.
def sections_approve(*, sections: Sequence[Section], reviewer) -> BulkOutcome:
    return owners_approve(owners=sections, reviewer=reviewer)


def sections_retire(*, sections: Sequence[Section], user, reason: str = "") -> BulkOutcome:
    return owners_retire(owners=sections, user=user, reason=reason)


def sections_submit(*, sections: Sequence[Section], user) -> BulkOutcome:
    return owners_submit(owners=sections, user=user)

"""What the knowledge commands share: naming the approving curator, progress, index sync."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from knowledge import selectors
from knowledge.services import index_sync


def curator_named(username: str | None):
    """The user --approve-as names, refused unless they may curate content."""
    if not username:
        return None
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"--approve-as: there is no user {username!r}.")
    if not selectors.can_curate(user):
        raise CommandError(
            f"--approve-as: {username!r} is not a content admin (needs a staff account with the "
            "knowledge.curate permission, e.g. in the 'admin' group)."
        )
    return user


def progress_bar(*, total: int | None, desc: str, enabled: bool = True, unit: str = "file"):
    from tqdm import tqdm

    # disable=None lets tqdm hide itself when stderr is not a terminal (logs, CI).
    return tqdm(
        total=total, desc=desc, unit=unit, file=sys.stderr, disable=None if enabled else True
    )


def sync_index(command: BaseCommand, section_ids: Iterable[str], *, progress: bool = True) -> None:
    """One index update for everything an import approved (never one task per section)."""

    ids = sorted(set(section_ids))
    if not ids:
        command.stdout.write("Index: nothing to update.")
        return
    started = time.perf_counter()
    try:
        with progress_bar(total=len(ids), desc="Indexing", unit="section", enabled=progress) as bar:
            outcome = index_sync(section_ids=ids, progress=bar.update)
    except Exception as exc:
        raise CommandError(
            f"The content is stored, but the index update failed ({exc}); run `manage.py reindex`."
        ) from exc
    command.stdout.write(
        f"Index: {outcome['upserted']} sections indexed, {outcome['removed']} removed "
        f"in {time.perf_counter() - started:.1f} s."
    )

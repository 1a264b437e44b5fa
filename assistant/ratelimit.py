"""Flood control for the chat.

Two layers:
- per user, counted in the database (the saved chat messages of the last window): every web and
  worker process sees the same count with no extra infrastructure, and a refused message is simply
  never saved, so refusals do not count against the patient;
- per socket, counted in memory (all frames, valid or not): a client spraying junk frames gets
  `rate_limited` too, without touching the database at all.
"""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from . import selectors

# Any frame (history, feedback, junk) counts here; generous so a normal page never meets it.
FRAME_LIMIT_FACTOR = 5


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    retry_after: int = 0  # whole seconds until the oldest counted event leaves the window


def message_rate_check(*, user) -> RateDecision:
    """May `user` send one more chat message now? (CHAT_RATE_LIMIT per CHAT_RATE_WINDOW_SECONDS)"""
    limit = settings.CHAT_RATE_LIMIT
    window = timedelta(seconds=settings.CHAT_RATE_WINDOW_SECONDS)
    now = timezone.now()
    sent = selectors.patient_messages_since(user=user, since=now - window)
    if len(sent) < limit:
        return RateDecision(True)
    # The window frees up when the oldest of the last `limit` messages leaves it.
    frees_at = sent[len(sent) - limit] + window
    return RateDecision(False, max(1, math.ceil((frees_at - now).total_seconds())))


class FrameWindow:
    """A sliding-window counter for the frames of one socket (not shared: one per connection)."""

    def __init__(self, *, limit: int | None = None, window: float | None = None) -> None:
        self.limit = limit or settings.CHAT_RATE_LIMIT * FRAME_LIMIT_FACTOR
        self.window = float(window or settings.CHAT_RATE_WINDOW_SECONDS)
        self._times: deque[float] = deque()

    def hit(self, now: float | None = None) -> RateDecision:
        now = time.monotonic() if now is None else now
        while self._times and now - self._times[0] >= self.window:
            self._times.popleft()
        if len(self._times) >= self.limit:
            return RateDecision(False, max(1, math.ceil(self._times[0] + self.window - now)))
        self._times.append(now)
        return RateDecision(True)

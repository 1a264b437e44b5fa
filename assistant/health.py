"""The health endpoint for a load balancer and a monitor: GET /health/.

200 when every part this process depends on works, 503 naming the failing parts otherwise:
- database: a query runs;
- redis: the channel layer's and the broker's Redis answer a ping (embedded mode: not used);
- index: the knowledge index's folder is there, opens and holds sections (vectors and lexical
  side);
- beat: the overdue-escalation job ran within HEALTH_BEAT_MAX_AGE_SECONDS (a dead beat means no
  overdue alerts and no sweeping of lost answers; embedded mode has no beat).
No patient data and no secrets in the answer: part names, counts, ages and error class names.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

# The module, not its names: tests and the process wiring swap its factories.
from knowledge import wiring

from .inbox.tasks import OVERDUE_JOB
from .models import JobHeartbeat

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 2


class Unhealthy(Exception):
    """A part is down; the message says how (shown to the monitor)."""


def check_database() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"vendor": connection.vendor}


def _redis_urls() -> list[str]:
    urls = [settings.REDIS_URL] if settings.REDIS_URL else []
    broker = getattr(settings, "CELERY_BROKER_URL", "") or ""
    if broker.startswith(("redis://", "rediss://")) and broker not in urls:
        urls.append(broker)
    return urls


def check_redis() -> dict[str, Any]:
    import redis

    urls = _redis_urls()
    if not urls:
        return {"skipped": "embedded mode (no REDIS_URL)"}
    for url in urls:
        client = redis.Redis.from_url(
            url, socket_connect_timeout=TIMEOUT_SECONDS, socket_timeout=TIMEOUT_SECONDS
        )
        try:
            client.ping()
        finally:
            client.close()
    return {"servers": len(urls)}


def check_index() -> dict[str, Any]:

    index = wiring.get_index()
    index.vectors_current()  # a folder rebuilt by another process is opened here too
    if index.folder_missing():
        raise Unhealthy(
            "the index folder is gone (this process serves what it had loaded):"
            " rebuild it with `manage.py reindex`"
        )
    sections, lexical = index.count(), index.lexical.count()
    if not sections or not lexical:
        raise Unhealthy(f"the index is empty ({sections} vector, {lexical} lexical sections)")
    return {"sections": sections, "lexical_sections": lexical, "generation": index.generation()}


def check_beat() -> dict[str, Any]:
    if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
        return {"skipped": "embedded mode (no beat)"}
    limit = settings.HEALTH_BEAT_MAX_AGE_SECONDS
    last = JobHeartbeat.objects.filter(name=OVERDUE_JOB).values_list("last_run_at", flat=True)
    ran = last.first()
    if ran is None:
        raise Unhealthy(f"the {OVERDUE_JOB} job has never run")
    age = (timezone.now() - ran).total_seconds()
    if age > limit:
        raise Unhealthy(f"the {OVERDUE_JOB} job last ran {age:.0f} s ago (limit {limit} s)")
    return {"last_run_seconds_ago": round(age, 1)}


CHECKS: dict[str, Callable[[], dict[str, Any]]] = {
    "database": check_database,
    "redis": check_redis,
    "index": check_index,
    "beat": check_beat,
}


def health_report() -> tuple[bool, dict[str, Any]]:
    parts: dict[str, Any] = {}
    for name, check in CHECKS.items():
        try:
            parts[name] = {"ok": True, **check()}
        except Unhealthy as exc:
            parts[name] = {"ok": False, "error": str(exc)}
        except Exception as exc:
            log.warning("health check %s failed: %s", name, exc)
            parts[name] = {"ok": False, "error": f"{type(exc).__name__}: {str(exc)[:200]}"}
    failing = [name for name, part in parts.items() if not part["ok"]]
    return not failing, {"status": "fail" if failing else "ok", "failing": failing, "checks": parts}


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    ok, report = health_report()
    return JsonResponse(report, status=200 if ok else 503)

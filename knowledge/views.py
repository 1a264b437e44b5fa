"""The "try a question" panel: what retrieval returns for a typed question, and why.

For content admins checking their curation: every result shows the section id and version it
came from, whether that is still the live version in the database, and the per-signal scores
the ranking was built from (Passage.scores).
"""

from __future__ import annotations

import logging
import time

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from .forms import TryQuestionForm
from .models import Section
from .selectors import can_curate

logger = logging.getLogger(__name__)


def _score_rows(passages) -> list[dict]:
    """Each result's signals with a bar length relative to the best value of that signal."""
    names = list(dict.fromkeys(name for p in passages for name in p.scores))
    best = {
        name: max((abs(p.scores.get(name, 0.0)) for p in passages), default=0.0) for name in names
    }
    rows = []
    for p in passages:
        rows.append(
            [
                {
                    "name": name,
                    "value": p.scores[name],
                    "percent": round(100 * abs(p.scores[name]) / best[name]) if best[name] else 0,
                }
                for name in names
                if name in p.scores
            ]
        )
    return rows


@require_GET
def try_question(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not can_curate(request.user):
        raise PermissionDenied("Only content admins can try questions against the index.")

    form = TryQuestionForm(request.GET or None)
    context: dict = {"form": form, "results": None, "error": ""}
    if form.is_bound and form.is_valid():
        question = form.cleaned_data["question"]
        k = form.cleaned_data.get("k") or 10
        started = time.perf_counter()
        try:
            from .wiring import get_retriever

            passages = get_retriever().search(question, k=k, topics=form.topic_list())
        except Exception as exc:  # an empty or missing index: say so instead of failing
            logger.warning("try-a-question search failed: %s", exc)
            context["error"] = (
                f"The search failed ({exc}). If the index is empty, run `manage.py reindex`."
            )
            passages = []
        elapsed_ms = (time.perf_counter() - started) * 1000
        live = {
            sid: (pk, number)
            for sid, pk, number in Section.objects.filter(
                external_id__in=[p.section_id for p in passages]
            ).values_list("external_id", "pk", "current_approved__number")
        }
        results = []
        for passage, scores in zip(passages, _score_rows(passages), strict=True):
            pk, live_number = live.get(passage.section_id, (None, None))
            results.append(
                {
                    "passage": passage,
                    "scores": scores,
                    "is_live": live_number == passage.version,
                    "live_number": live_number,
                    "admin_url": (
                        reverse("admin:knowledge_section_change", args=[pk]) if pk else ""
                    ),
                }
            )
        context.update(
            results=results,
            question=question,
            topics=form.topic_list(),
            elapsed_ms=elapsed_ms,
        )
    return render(request, "knowledge/try.html", context)

"""Curated content: articles made of sections, and preventive-care rules, each kept as versions.

Every answer cites a section id *and* a version, so versions are never edited once they leave the
draft state and never deleted: an edit makes a new version, approving it supersedes the previous
one, retiring takes it out of retrieval. Only the one approved version of a section (at most one,
enforced by a constraint) is ever indexed.

The state changes live in knowledge/services.py; these models only hold the data and the rules
about a single object (who may see what state as what).
"""

from __future__ import annotations

import hashlib
import json
from datetime import date

from django.conf import settings
from django.db import models
from django.utils import timezone

CURATE_PERMISSION = "knowledge.curate"


class ReviewState(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    APPROVED = "approved", "Approved"
    SUPERSEDED = "superseded", "Superseded"  # replaced by a newer approved version
    RETIRED = "retired", "Retired"  # withdrawn on purpose (or a pending draft that was replaced)


# States a version can never leave: they are history, kept for the citations that name them.
FINAL_STATES = frozenset({ReviewState.SUPERSEDED, ReviewState.RETIRED})
PENDING_STATES = frozenset({ReviewState.DRAFT, ReviewState.IN_REVIEW})


class Origin(models.TextChoices):
    IMPORT = "import", "Imported"
    EDIT = "edit", "Edited by a curator"


def content_hash(*parts: object) -> str:
    """A stable fingerprint of some content, to tell an unchanged re-import from an edit."""
    payload = json.dumps(parts, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class Article(models.Model):
    """A topic written by one organisation: a condition, test, drug or subject."""

    external_id = models.CharField(max_length=120, unique=True, help_text="e.g. GHR_0000804")
    source = models.CharField(max_length=40, db_index=True, help_text="e.g. GHR, NIDDK, CDC")
    document_id = models.CharField(max_length=80)
    focus = models.CharField(max_length=300, help_text="The condition or subject")
    url = models.URLField(max_length=500, blank=True)
    cuis = models.JSONField("UMLS CUIs", default=list, blank=True)
    semantic_types = models.JSONField(default=list, blank=True)
    synonyms = models.JSONField(default=list, blank=True, help_text="Other names of the focus")
    origin_file = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["external_id"]

    def __str__(self) -> str:
        return f"{self.focus} ({self.source})"


class Section(models.Model):
    """One question (or heading) of an article; its wording and text live in its versions."""

    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="sections")
    external_id = models.CharField(
        max_length=140, unique=True, help_text="Stable id cited by answers, e.g. GHR_0000804_Sec2"
    )
    pid = models.PositiveIntegerField(null=True, blank=True)
    # Both pointers are kept in step by the services (one place writes them): they make the
    # changelist's filters and the index sync single joins instead of per-row lookups.
    current_approved = models.ForeignKey(
        "SectionVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    latest = models.ForeignKey(
        "SectionVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    import_hash = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["external_id"]
        permissions = [("curate", "Can edit, review, approve and retire curated content")]

    def __str__(self) -> str:
        return self.external_id


class ReviewedVersion(models.Model):
    """What sections and preventive rules share: a numbered version moving through review."""

    number = models.PositiveIntegerField()
    state = models.CharField(
        max_length=12, choices=ReviewState.choices, default=ReviewState.DRAFT, db_index=True
    )
    origin = models.CharField(max_length=8, choices=Origin.choices, default=Origin.EDIT)
    note = models.CharField("change note", max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_by = models.DateField(
        null=True, blank=True, help_text="After this day the content is flagged for re-review"
    )
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True, help_text="When retired or superseded")
    end_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        abstract = True
        ordering = ["-number"]

    @property
    def owner(self) -> Section | PreventiveRule:  # pragma: no cover - overridden
        raise NotImplementedError

    @property
    def is_pending(self) -> bool:
        return self.state in PENDING_STATES

    def needs_review(self, *, on: date | None = None) -> bool:
        """An approved version past its review-by day stays live but is flagged."""
        on = on or timezone.localdate()
        return (
            self.state == ReviewState.APPROVED
            and self.review_by is not None
            and self.review_by < on
        )


class SectionVersion(ReviewedVersion):
    section = models.ForeignKey(Section, on_delete=models.PROTECT, related_name="versions")
    question = models.TextField(help_text="The question or heading this section answers")
    text = models.TextField()
    qtype = models.CharField(
        "type", max_length=60, help_text="information, symptoms, causes, treatment, prevention…"
    )

    class Meta(ReviewedVersion.Meta):
        constraints = [
            models.UniqueConstraint(fields=["section", "number"], name="section_version_number"),
            models.UniqueConstraint(
                fields=["section"],
                condition=models.Q(state=ReviewState.APPROVED),
                name="one_approved_version_per_section",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.section.external_id} v{self.number}"

    @property
    def owner(self) -> Section:
        return self.section

    def content(self) -> tuple[str, str, str]:
        return (self.question, self.text, self.qtype)


class PreventiveRule(models.Model):
    """A preventive-care recommendation (screening, vaccine, counselling) known by its key."""

    key = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=200)
    current_approved = models.ForeignKey(
        "PreventiveRuleVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    latest = models.ForeignKey(
        "PreventiveRuleVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    import_hash = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.title or self.key


class PreventiveRuleVersion(ReviewedVersion):
    rule = models.ForeignKey(PreventiveRule, on_delete=models.PROTECT, related_name="versions")
    definition = models.JSONField(help_text="The rule as read by knowledge.preventive.Rule")

    class Meta(ReviewedVersion.Meta):
        constraints = [
            models.UniqueConstraint(fields=["rule", "number"], name="rule_version_number"),
            models.UniqueConstraint(
                fields=["rule"],
                condition=models.Q(state=ReviewState.APPROVED),
                name="one_approved_version_per_rule",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule.key} v{self.number}"

    @property
    def owner(self) -> PreventiveRule:
        return self.rule

    def content(self) -> tuple[str]:
        return (json.dumps(self.definition, sort_keys=True),)

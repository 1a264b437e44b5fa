"""What the database itself guarantees, whatever code writes to it."""

from __future__ import annotations

import pytest
from curation_fixtures import needs_corpus
from django.db import IntegrityError, transaction

from knowledge.models import ReviewState, SectionVersion

pytestmark = [needs_corpus, pytest.mark.django_db]


def test_a_section_can_never_have_two_approved_versions(section):
    with pytest.raises(IntegrityError), transaction.atomic():
        SectionVersion.objects.create(
            section=section,
            number=2,
            question="q",
            text="t",
            qtype="information",
            state=ReviewState.APPROVED,
        )
    assert section.versions.filter(state=ReviewState.APPROVED).count() == 1


def test_version_numbers_are_unique_per_section(section):
    with pytest.raises(IntegrityError), transaction.atomic():
        SectionVersion.objects.create(
            section=section, number=1, question="q", text="t", qtype="information"
        )


def test_versions_cannot_be_deleted_while_their_section_exists(section):
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        section.article.delete()
    assert section.versions.count() == 1

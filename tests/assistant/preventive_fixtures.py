"""The 30 Synthea demo patients imported into the database, with the shipped rules approved.

Import the fixtures a module uses from here. The import is module-scoped and committed (outside
each test's transaction), and removed again at the end of the module.
"""

from __future__ import annotations

import json
from datetime import date
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings

from tests.knowledge.synthea_facts import bundle_paths, load_bundle

TODAY = date(2026, 11, 24)
# Synthea wrote these records in Central European time (+01:00 in winter, +02:00 in summer, as
# Europe/Berlin had it in each year): the clinic's time zone, in which a dose given at 00:30
# belongs to that day and not to the day before in UTC.
CLINIC_TIME_ZONE = "Europe/Berlin"
assert ZoneInfo(CLINIC_TIME_ZONE)


def patient_name(path) -> str:
    return path.name.removesuffix("-bundle.json")


@pytest.fixture(scope="module")
def clinic_time_zone():
    with override_settings(TIME_ZONE=CLINIC_TIME_ZONE):
        yield CLINIC_TIME_ZONE


@pytest.fixture(scope="module")
def knowledge_index(tmp_path_factory):
    """An index folder of this module's own (empty until content is approved): the tests never
    search the developer's index, and cached education links never leak between modules."""
    from django.core.cache import cache

    directory = tmp_path_factory.mktemp("preventive-index")
    with override_settings(KNOWLEDGE_INDEX_DIR=directory):
        cache.clear()
        yield directory
        cache.clear()


@pytest.fixture(scope="module")
def bundles() -> dict[str, dict]:
    paths = bundle_paths()
    assert len(paths) == 30, "the demo data folder should hold the 30 Synthea bundles"
    return {patient_name(path): load_bundle(path) for path in paths}


@pytest.fixture(scope="module")
def content_admin(django_db_setup, django_db_blocker):
    from portal import roles
    from tests.support import make_user

    with django_db_blocker.unblock():
        user = make_user("rules.admin", roles.ADMIN, is_staff=True, first_name="Rhea")
        yield user
        user.delete()


@pytest.fixture(scope="module")
def demo_patients(
    django_db_setup, django_db_blocker, clinic_time_zone, knowledge_index, content_admin
):
    """{bundle name: Patient} for all 30 bundles, imported through the portal's import service,
    and the shipped rule set loaded and approved as curated content."""
    from knowledge.importers import load_rules
    from knowledge.models import PreventiveRule, PreventiveRuleVersion
    from knowledge.preventive import DEFAULT_RULES_PATH
    from portal.models import Patient
    from portal.services import patient_import_bundle

    with django_db_blocker.unblock():
        patients = {}
        for path in bundle_paths():
            result = patient_import_bundle(path=path)
            patients[patient_name(path)] = Patient.objects.get(pk=result.patient_id)
        document = json.loads(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))
        load_rules(document["rules"], approve_as=content_admin)
        yield patients
        PreventiveRule.objects.update(current_approved=None, latest=None)
        PreventiveRuleVersion.objects.all().delete()
        PreventiveRule.objects.all().delete()
        Patient.objects.all().delete()

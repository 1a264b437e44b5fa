"""Helpers and fixtures for the portal tests: real Synthea bundles, read with the json module
(independently of portal/fhir.py). Import the fixtures a module uses from here."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

SYNTHEA_DIR = Path(settings.PORTAL_DATA_DIR) / "synthea"

SEMANTIC_TAG = re.compile(
    r" \((disorder|finding|situation|procedure|record artifact|regime/therapy)\)$"
)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # PBKDF2 is deliberately slow; the tests create dozens of logins.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def bundle_files() -> list[Path]:
    return sorted(SYNTHEA_DIR.glob("*.json"))


@cache
def raw_bundle(path: Path) -> dict:
    return json.loads(path.read_text())


def resources(path: Path, kind: str) -> list[dict]:
    return [
        e["resource"] for e in raw_bundle(path)["entry"] if e["resource"]["resourceType"] == kind
    ]


def patient_resource(path: Path) -> dict:
    return resources(path, "Patient")[0]


def is_living(path: Path) -> bool:
    return "deceasedDateTime" not in patient_resource(path)


def active_condition_names(path: Path) -> list[str]:
    """Active conditions as a patient should read them: no SNOMED semantic tag."""
    names = []
    for condition in resources(path, "Condition"):
        if condition["clinicalStatus"]["coding"][0]["code"] == "active":
            names.append(SEMANTIC_TAG.sub("", condition["code"]["text"]))
    return names


def plain_name(path: Path) -> tuple[str, str]:
    """(given, family) with Synthea's digits removed, read straight from the JSON."""
    name = next(n for n in patient_resource(path)["name"] if n.get("use") == "official")
    return re.sub(r"\d+", "", name["given"][0]), re.sub(r"\d+", "", name["family"])


def import_bundles(*paths: Path) -> None:
    call_command("import_fhir", *map(str, paths), no_progress=True, verbosity=0)


@pytest.fixture
def two_patients(db):
    """Two living patients with different active conditions, imported, each with a login."""
    from portal.models import Patient
    from portal.services import patient_login_ensure

    living = [p for p in bundle_files() if is_living(p) and len(active_condition_names(p)) >= 3]
    first = living[0]
    second = next(
        p for p in living[1:] if set(active_condition_names(p)) - set(active_condition_names(first))
    )
    import_bundles(first, second)
    logins = []
    for path in (first, second):
        patient = Patient.objects.get(fhir_id=patient_resource(path)["id"])
        patient_login_ensure(patient=patient, password="pw-Portal-2026!")
        patient.refresh_from_db()
        logins.append((path, patient))
    return logins

"""A broken bundle is named with its reason, leaves nothing behind, and stops nothing else."""

from __future__ import annotations

import copy
import json
import shutil
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from portal.fhir import BundleError
from portal.models import Condition, Observation, Patient
from portal.services import patient_import_bundle
from tests.portal.portal_fixtures import bundle_files, patient_resource, raw_bundle, resources


def _ids_of(path) -> set[str]:
    return {e["resource"]["id"] for e in raw_bundle(path)["entry"]}


@pytest.fixture
def mixed_folder(tmp_path):
    """Two good bundles, one truncated mid-file, one valid JSON with an invalid Condition."""
    good, truncated_src, invalid_src, *_ = bundle_files()[3:]
    shutil.copy(good, tmp_path / good.name)
    shutil.copy(bundle_files()[0], tmp_path / bundle_files()[0].name)

    raw = truncated_src.read_bytes()
    (tmp_path / "truncated-bundle.json").write_bytes(raw[: len(raw) // 2])

    bundle = copy.deepcopy(raw_bundle(invalid_src))
    # The last Condition of the bundle, so that everything before it would be importable.
    condition = [e for e in bundle["entry"] if e["resource"]["resourceType"] == "Condition"][-1]
    condition["resource"]["clinicalStatus"] = "active"  # must be a CodeableConcept
    (tmp_path / "invalid-bundle.json").write_text(json.dumps(bundle))
    return {
        "good": [good, bundle_files()[0]],
        "truncated": truncated_src,
        "invalid": invalid_src,
        "bad_condition_id": condition["resource"]["id"],
        "folder": tmp_path,
    }


@pytest.mark.django_db
def test_broken_files_are_reported_and_left_out_while_the_others_import(mixed_folder):
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="2 of 4 bundle file"):
        call_command(
            "import_fhir", str(mixed_folder["folder"]), no_progress=True, stdout=out, stderr=err
        )
    report = err.getvalue()
    assert "truncated-bundle.json: not valid JSON" in report
    assert "invalid-bundle.json: not a valid FHIR R4 Bundle" in report
    assert "clinicalStatus" in report and mixed_folder["bad_condition_id"] in report

    # The good ones are in, completely.
    for path in mixed_folder["good"]:
        patient = Patient.objects.get(fhir_id=patient_resource(path)["id"])
        assert patient.conditions.count() == len(resources(path, "Condition"))
    # Nothing of the broken ones.
    for path in (mixed_folder["truncated"], mixed_folder["invalid"]):
        ids = _ids_of(path)
        assert not Patient.objects.filter(fhir_id__in=ids).exists()
        assert not Condition.objects.filter(fhir_id__in=ids).exists()
        assert not Observation.objects.filter(fhir_id__in=ids).exists()
    assert "Imported 2 of 4 bundle(s)" in out.getvalue()


@pytest.mark.django_db
def test_a_broken_reimport_keeps_the_previous_good_record(tmp_path):
    source = bundle_files()[1]
    patient_import_bundle(path=source)
    conditions_before = Condition.objects.count()

    broken = tmp_path / source.name
    broken.write_bytes(source.read_bytes()[:-200])
    with pytest.raises(BundleError, match="not valid JSON"):
        patient_import_bundle(path=broken)
    assert Condition.objects.count() == conditions_before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "the file is empty"),
        (b'{"resourceType": "Patient", "id": "x"}', "not a valid FHIR R4 Bundle"),
        (
            b'{"resourceType": "Bundle", "type": "transaction", "entry": []}',
            "the bundle holds no Patient",
        ),
    ],
)
def test_files_that_are_not_patient_bundles_say_why(tmp_path, content, reason):
    path = tmp_path / "odd.json"
    path.write_bytes(content)
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_fhir", str(path), no_progress=True, stdout=StringIO(), stderr=err)
    assert f"odd.json: {reason}" in err.getvalue()
    assert Patient.objects.count() == 0


@pytest.mark.django_db
def test_a_missing_path_is_an_error_not_a_crash(tmp_path):
    err = StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import_fhir",
            str(tmp_path / "nope.json"),
            no_progress=True,
            stdout=StringIO(),
            stderr=err,
        )
    assert "nope.json: cannot read the file" in err.getvalue()

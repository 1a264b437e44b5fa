"""The public entry points: load or parse a bundle, validate it, and say what is wrong with it in
words a person can act on.
"""

from __future__ import annotations

import json
from pathlib import Path

from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError

from portal.fhir.data import BundleError, PatientBundle
from portal.fhir.extract import _extract


def bundle_load(path: Path | str) -> PatientBundle:
    """Read and parse one bundle file. Raises BundleError (with the reason) on any problem."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BundleError(f"cannot read the file: {exc.strerror or exc}") from exc
    return bundle_parse(raw)


def bundle_parse(raw: bytes | str) -> PatientBundle:
    """Validate `raw` as an R4 Bundle and extract the one patient's record from it."""
    if not raw or not raw.strip():
        raise BundleError("the file is empty")
    try:
        bundle = Bundle.model_validate_json(raw)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        resource = _resource_at(raw, tuple(errors[0].get("loc", ()))) if errors else ""
        raise BundleError(describe_validation_error(exc, raw=raw), resource=resource) from exc
    except ValueError as exc:  # e.g. a resourceType the library does not know
        raise BundleError(" ".join(f"not a valid FHIR R4 Bundle: {exc}".split())) from exc
    return _extract(bundle)


def describe_validation_error(exc: ValidationError, *, raw: bytes | str | None = None) -> str:
    """One line that says what is wrong: broken JSON, or which field of which resource."""
    errors = exc.errors(include_url=False)
    if not errors:
        return "not a valid FHIR R4 Bundle"
    first = errors[0]
    loc = tuple(first.get("loc", ()))
    if first.get("type") == "json_invalid" and not loc:
        detail = first.get("ctx", {}).get("error") or first.get("msg", "")
        return f"not valid JSON (truncated or corrupt file?): {detail}"
    where = ".".join(str(part) for part in loc) or "bundle"
    resource = _resource_at(raw, loc)
    if resource:
        where = f"{where} ({resource})"
    msg = first.get("msg", "")
    if first.get("type") == "json_invalid":  # pydantic tried to read a bare string as an object
        msg = f"expected a structure, got {first.get('input')!r}"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return " ".join(f"not a valid FHIR R4 Bundle: {where}: {msg}{more}".split())


def _resource_at(raw: bytes | str | None, loc: tuple) -> str:
    """ "Condition 977961cb-…" for an error located in entry N of the raw bundle, else ""."""
    if raw is None or len(loc) < 2 or loc[0] != "entry" or not isinstance(loc[1], int):
        return ""
    try:
        resource = json.loads(raw)["entry"][loc[1]]["resource"]
        return f"{resource['resourceType']} {resource.get('id', '')}".strip()
    except (ValueError, KeyError, IndexError, TypeError):
        return ""

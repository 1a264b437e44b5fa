"""Browser tests: Playwright driving Debian's Chromium against Django's live server.

Run them in a pytest call of their own (`pytest tests/e2e`): Playwright's event loop and
pytest-asyncio do not share a process well. Fixtures here are for every browser test:
`demo_patient`, `nurse_user`, `login`, `screenshot`.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings

# The live server runs in a thread next to Playwright's event loop; Django's ORM would refuse to be
# called from the test otherwise (SynchronousOnlyOperation).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
]
SCREENSHOT_DIR = Path(settings.VAR_DIR) / "screenshots"
SYNTHEA_DIR = Path(settings.PORTAL_DATA_DIR) / "synthea"
DEMO_PASSWORD = "demo-patient-2026"
NURSE_PASSWORD = "demo-nurse-2026"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
_SEMANTIC_TAG = re.compile(r" \((disorder|finding|situation)\)$")


def pytest_collection_modifyitems(items):
    # Everything under tests/e2e is a browser test, marked or not.
    for item in items:
        item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium instead of a downloaded browser (`playwright install` cannot run here)."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class DemoPatient:
    username: str
    password: str
    patient: object
    bundle: Path
    given_name: str
    active_conditions: list[str] = field(default_factory=list)  # plain names, from the raw JSON


def _active_condition_names(bundle: dict) -> list[str]:
    return [
        _SEMANTIC_TAG.sub("", e["resource"]["code"]["text"])
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "Condition"
        and e["resource"]["clinicalStatus"]["coding"][0]["code"] == "active"
    ]


def demo_bundle(min_conditions: int = 4) -> tuple[Path, dict]:
    """The first (sorted) living patient with several active conditions, medicines and a plan."""
    for path in sorted(SYNTHEA_DIR.glob("*.json")):
        bundle = json.loads(path.read_text())
        kinds = [e["resource"] for e in bundle["entry"]]
        patient = kinds[0]
        active_meds = [
            r for r in kinds if r["resourceType"] == "MedicationRequest" and r["status"] == "active"
        ]
        active_plans = [
            r for r in kinds if r["resourceType"] == "CarePlan" and r["status"] == "active"
        ]
        if (
            "deceasedDateTime" not in patient
            and len(_active_condition_names(bundle)) >= min_conditions
            and active_meds
            and active_plans
        ):
            return path, bundle
    raise LookupError(
        f"no living patient with {min_conditions}+ active conditions in {SYNTHEA_DIR}"
    )


@pytest.fixture
def demo_patient(transactional_db) -> DemoPatient:
    """One real Synthea patient imported (committed, so the live server sees it), with a login."""
    from portal.models import Patient
    from portal.services import patient_import_bundle, patient_login_ensure

    path, bundle = demo_bundle()
    patient_import_bundle(path=path)
    patient = Patient.objects.get(fhir_id=bundle["entry"][0]["resource"]["id"])
    user = patient_login_ensure(patient=patient, password=DEMO_PASSWORD).user
    return DemoPatient(
        username=user.username,
        password=DEMO_PASSWORD,
        patient=patient,
        bundle=path,
        given_name=patient.given_name,
        active_conditions=_active_condition_names(bundle),
    )


@dataclass
class Account:
    username: str
    password: str
    user: object


@pytest.fixture
def nurse_user(transactional_db) -> Account:
    from portal import roles
    from portal.services import staff_user_ensure

    user = staff_user_ensure(
        username="nurse.e2e",
        password=NURSE_PASSWORD,
        role_names=(roles.NURSE,),
        first_name="Nora",
        last_name="Quinn",
    ).user
    return Account(username="nurse.e2e", password=NURSE_PASSWORD, user=user)


def _login(page, live_server, username: str, password: str) -> None:
    """Sign in through the real form, the way a person does, and wait for the next page."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()


def _screenshot(page, name: str, *, full_page: bool = True) -> Path:
    """Save var/screenshots/<name>.png (whole page) and return its path."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


@pytest.fixture
def login():
    """`login(page, live_server, username, password)`."""
    return _login


@pytest.fixture
def screenshot():
    """`screenshot(page, name)` -> var/screenshots/<name>.png."""
    return _screenshot


# --- the whole ASGI site (HTTP + websockets) for browser tests --------------------------------


@dataclass(frozen=True)
class AsgiLiveServer:
    url: str


@pytest.fixture(scope="session")
def asgi_live_server(django_db_setup, django_db_blocker) -> AsgiLiveServer:
    """The whole ASGI site (HTTP, websockets, static files) on Daphne in a background thread.

    pytest-django's `live_server` speaks WSGI only: no websockets. Daphne runs Twisted's reactor,
    which can start once per process, hence one server for the session. It shares the test
    database like `live_server` does (the in-memory SQLite test database is shared between
    threads; data committed by `transactional_db` tests is visible to the server).
    """
    from daphne.endpoints import build_endpoint_description_strings
    from daphne.server import Server
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    from portal.asgi import application

    server = Server(
        application=ASGIStaticFilesHandler(application),
        endpoints=build_endpoint_description_strings(host="127.0.0.1", port=0),
        signal_handlers=False,
        verbosity=0,
    )
    thread = threading.Thread(target=server.run, name="daphne-live-server", daemon=True)
    with django_db_blocker.unblock():
        thread.start()
        deadline = time.monotonic() + 15
        while not server.listening_addresses and time.monotonic() < deadline:
            time.sleep(0.05)
    if not server.listening_addresses:
        raise RuntimeError("Daphne did not start listening within 15 s")
    host, port = server.listening_addresses[0]
    yield AsgiLiveServer(url=f"http://{host}:{port}")
    server.stop()

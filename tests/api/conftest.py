"""Fixtures for every test in this folder (api_fixtures.py here, and the chat and inbox
fixtures of tests/assistant, which api_fixtures puts on the path)."""

from __future__ import annotations

from api_fixtures import (  # noqa: F401 - fixtures for this folder
    approved_sections,
    fast_password_hashing,
)
from chat_fixtures import (  # noqa: F401 - fixtures for this folder
    conversation,
    other_conversation,
    other_patient_user,
    patient_user,
    small_retriever,
)
from inbox_fixtures import (  # noqa: F401 - fixtures for this folder
    admin_client,
    charge_client,
    emergency,
    nurse_client,
    patient_client,
    plain_nurse,
    second_nurse,
    small_retriever_inbox,
    urgent,
)

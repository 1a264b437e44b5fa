"""Fixtures for every test in this folder (defined in the *_fixtures.py modules beside it)."""

from __future__ import annotations

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
from preventive_fixtures import (  # noqa: F401 - fixtures for this folder
    bundles,
    clinic_time_zone,
    content_admin,
    demo_patients,
    knowledge_index,
)

"""manage.py bench_patients — patient accounts for the websocket load benchmark (bench/ws_load.py).

The demo has 22 living patients; a load of 200 needs 200 people, each with their own sign-in,
socket and per-person rate limit. Accounts `bench.p001` ... are made once (idempotent), each
with a patient record holding one active condition (hypertension), so that answers are
personalised as a real patient's are. `--reset` deletes their conversations (messages and
escalations with them) so that every run starts from an empty chat and an empty queue of theirs.
Prints the accounts as JSON: [{"username", "name"}, ...].
"""

from __future__ import annotations

import json

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from assistant.models import Conversation
from portal import roles
from portal.models import Condition, Patient

PREFIX = "bench.p"
PASSWORD = "bench-patient-2026"  # noqa: S105 - the benchmark's own accounts, like the demo's


class Command(BaseCommand):
    help = "Create (or reset) the load benchmark's patient accounts; prints them as JSON."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=200)
        parser.add_argument("--password", default=PASSWORD)
        parser.add_argument("--reset", action="store_true", help="Delete their conversations first")

    @transaction.atomic
    def handle(self, *args, count: int, password: str, reset: bool, **options):
        User = get_user_model()
        group, _ = Group.objects.get_or_create(name=roles.PATIENT)
        existing = set(
            User.objects.filter(username__startswith=PREFIX).values_list("username", flat=True)
        )
        accounts = []
        hashed = None  # one hash for all: PBKDF2 per account would take minutes for 200
        for n in range(1, count + 1):
            username = f"{PREFIX}{n:03d}"
            family = f"P{n:03d}"
            if username not in existing:
                user = User(username=username, first_name="Bench", last_name=family)
                if hashed is None:
                    user.set_password(password)
                    hashed = user.password
                user.password = hashed
                user.save()
                user.groups.add(group)
                patient = Patient.objects.create(
                    fhir_id=f"bench-{username}", user=user, given_name="Bench", family_name=family
                )
                Condition.objects.create(
                    patient=patient,
                    fhir_id=f"bench-{username}-htn",
                    display="Hypertension",
                    clinical_status="active",
                )
            accounts.append({"username": username, "name": f"Bench {family}"})
        if reset:
            Conversation.objects.filter(patient__user__username__startswith=PREFIX).delete()
        self.stdout.write(json.dumps(accounts))

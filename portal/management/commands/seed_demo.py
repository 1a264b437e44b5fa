"""manage.py seed_demo: the demo patients, their logins, the staff accounts and the knowledge base.

Safe to run again: nothing changes on a second run, and passwords someone changed are kept
unless --reset-passwords.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from portal import roles
from portal.models import Patient
from portal.services import (
    groups_ensure,
    patient_login_ensure,
    staff_user_ensure,
)

PATIENT_PASSWORD = "demo-patient-2026"  # noqa: S105 - published demo credentials
STAFF_ACCOUNTS = (
    # username, password, roles, first name, last name, is_staff, is_superuser
    ("admin", "demo-admin-2026", (roles.ADMIN,), "Ada", "Admin", True, True),
    ("nurse", "demo-nurse-2026", (roles.NURSE,), "Nora", "Quinn", False, False),
    (
        "charge",
        "demo-charge-2026",
        (roles.NURSE, roles.CHARGE_NURSE),
        "Carla",
        "Reyes",
        False,
        False,
    ),
)
# Apps whose models the admin role curates in the Django admin.
ADMIN_APPS = ("knowledge",)


class Command(BaseCommand):
    help = "Load the 30 Synthea demo patients, create demo logins, then build the knowledge base."

    def add_arguments(self, parser):
        parser.add_argument(
            "--patients",
            type=int,
            default=None,
            metavar="N",
            help="import only the first N bundles (sorted by file name)",
        )
        parser.add_argument(
            "--reset-passwords",
            action="store_true",
            help="set every demo account back to its demo password",
        )
        parser.add_argument(
            "--skip-knowledge",
            action="store_true",
            help="do not run settings.SEED_DEMO_KNOWLEDGE_STEPS",
        )
        parser.add_argument(
            "--data-dir",
            type=Path,
            default=None,
            help="folder of Synthea bundles (default: PORTAL_DATA_DIR/synthea)",
        )

    def handle(self, *args, **options):
        data_dir: Path = options["data_dir"] or Path(settings.PORTAL_DATA_DIR) / "synthea"
        files = sorted(data_dir.glob("*.json"))
        if not files:
            raise CommandError(f"No Synthea bundles in {data_dir}")
        if options["patients"] is not None:
            files = files[: max(0, options["patients"])]
        reset = options["reset_passwords"]

        groups = groups_ensure()
        admin_permissions = Permission.objects.filter(content_type__app_label__in=ADMIN_APPS)
        groups[roles.ADMIN].permissions.add(*admin_permissions)
        groups[roles.ADMIN].permissions.add(
            *Permission.objects.filter(
                content_type__app_label="portal", codename__startswith="view_"
            )
        )

        self.stdout.write(f"Importing {len(files)} patient bundle(s) from {data_dir} …")
        call_command("import_fhir", *map(str, files), no_progress=True, verbosity=0)

        rows = []
        for account in STAFF_ACCOUNTS:
            username, password, role_names, first, last, is_staff, is_superuser = account
            outcome = staff_user_ensure(
                username=username,
                password=password,
                role_names=role_names,
                first_name=first,
                last_name=last,
                is_staff=is_staff,
                is_superuser=is_superuser,
                reset_password=reset,
            )
            rows.append(
                (
                    username,
                    password,
                    ", ".join(role_names),
                    f"{first} {last}",
                    _state(outcome.created, outcome.password_set, outcome.user.is_active),
                )
            )

        patients = Patient.objects.filter(source_file__in=[p.name for p in files])
        for patient in patients.select_related("user").order_by("family_name", "given_name"):
            outcome = patient_login_ensure(
                patient=patient, password=PATIENT_PASSWORD, reset_password=reset
            )
            if patient.is_deceased:
                rows.append(
                    (
                        outcome.user.username,
                        "—",
                        "patient",
                        patient.full_name,
                        "deceased: login inactive",
                    )
                )
                continue
            rows.append(
                (
                    outcome.user.username,
                    PATIENT_PASSWORD,
                    "patient",
                    patient.full_name,
                    _state(outcome.created, outcome.password_set, outcome.user.is_active),
                )
            )

        self._print_table(rows)

        if options["skip_knowledge"]:
            self.stdout.write("Knowledge steps skipped (--skip-knowledge).")
            return
        for step in getattr(settings, "SEED_DEMO_KNOWLEDGE_STEPS", []):
            name, *step_args = [step] if isinstance(step, str) else list(step)
            self.stdout.write(f"Running {name} {' '.join(step_args)}".rstrip())
            call_command(name, *step_args, stdout=self.stdout, stderr=self.stderr)

    def _print_table(self, rows: list[tuple[str, ...]]) -> None:
        header = ("username", "password", "roles", "name", "account")
        widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
        line = "  ".join("-" * w for w in widths)
        self.stdout.write("")
        self.stdout.write("Demo accounts (sign in at /accounts/login/):")
        self.stdout.write(
            "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()
        )
        self.stdout.write(line)
        for row in rows:
            cells = (str(c).ljust(w) for c, w in zip(row, widths, strict=True))
            self.stdout.write("  ".join(cells).rstrip())
        self.stdout.write("")


def _state(created: bool, password_set: bool, active: bool) -> str:
    if not active:
        return "inactive"
    if created:
        return "created"
    if password_set:
        return "password reset"
    return "exists (password kept)"

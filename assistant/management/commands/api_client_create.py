"""manage.py api_client_create NAME --scopes triage answers ... [--user NURSE] [--rate 120/min]

Creates an OAuth2 client of the API (client-credentials grant) and prints its client id and
secret, once: only a hash of the secret is kept. See docs/api.md.
"""

from __future__ import annotations

import json

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from assistant.api.scopes import SCOPES
from assistant.api.services import ClientError, api_client_create


class Command(BaseCommand):
    help = "Create an API client (OAuth2 client credentials) allowed the given scopes."

    def add_arguments(self, parser):
        parser.add_argument("name", help="A name for the integration, e.g. 'call-centre'")
        parser.add_argument(
            "--scopes",
            nargs="+",
            required=True,
            metavar="SCOPE",
            help=f"Scopes it may be granted: {', '.join(s for s in SCOPES if s != 'patient')}",
        )
        parser.add_argument(
            "--user",
            help="Username of the nurse the client acts as (needed for escalations.*)",
        )
        parser.add_argument("--rate", default="", help="Its rate limit, e.g. 600/min")
        parser.add_argument("--json", action="store_true", help="Print JSON")

    def handle(self, *args, **opts):
        user = None
        if opts["user"]:
            user = get_user_model().objects.filter(username=opts["user"]).first()
            if user is None:
                raise CommandError(f"No user named {opts['user']!r}.")
        scopes = [s for part in opts["scopes"] for s in part.replace(",", " ").split()]
        try:
            made = api_client_create(name=opts["name"], scopes=scopes, user=user, rate=opts["rate"])
        except ClientError as exc:
            raise CommandError(str(exc)) from exc
        out = {
            "client_id": made.client_id,
            "client_secret": made.client_secret,
            "scopes": made.client.scopes.split(),
            "token_url": "/o/token/",
        }
        if opts["json"]:
            self.stdout.write(json.dumps(out))
            return
        self.stdout.write(f"client_id:     {out['client_id']}")
        self.stdout.write(f"client_secret: {out['client_secret']}  (shown once; keep it safe)")
        self.stdout.write(f"scopes:        {' '.join(out['scopes'])}")
        self.stdout.write("token:         POST /o/token/ with grant_type=client_credentials")

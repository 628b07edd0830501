"""``frontdesk apikey list``: every key with its prefix, role, locations and state (never the secret)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from frontdesk.accounts.apikeys import apikey_list


class Command(BaseCommand):
    help = "List API keys (name, prefix, role, locations, last use, state)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--active", action="store_true", help="Only keys that have not been revoked."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        keys = list(apikey_list(include_revoked=not options["active"]))
        if not keys:
            self.stdout.write("No API keys.")
            return
        for key in keys:
            user = key.service_user
            codes = sorted(a.location.code for a in user.location_assignments.all())
            state = f"revoked {key.revoked_at:%Y-%m-%d %H:%M}Z" if key.revoked_at else "active"
            last_used = f"{key.last_used_at:%Y-%m-%d %H:%M}Z" if key.last_used_at else "never"
            self.stdout.write(
                f"{key.prefix}  {key.name}  role={user.role}  "
                f"locations={','.join(codes) or '-'}  last_used={last_used}  {state}"
            )

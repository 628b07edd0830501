"""``frontdesk apikey revoke NAME_OR_PREFIX``: the key stops working at once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from frontdesk.accounts.apikeys import apikey_get_by_name_or_prefix, apikey_revoke


class Command(BaseCommand):
    help = "Revoke an API key by its name or prefix."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("key", help="The key's name or its public prefix.")

    def handle(self, *args: Any, **options: Any) -> None:
        api_key = apikey_get_by_name_or_prefix(identifier=options["key"])
        if api_key is None:
            raise CommandError("No API key has that name or prefix.")
        if api_key.revoked_at is not None:
            self.stdout.write(f"API key {api_key.name!r} was already revoked.")
            return
        apikey_revoke(actor=None, api_key=api_key)
        self.stdout.write(f"Revoked API key {api_key.name!r} (prefix {api_key.prefix}).")

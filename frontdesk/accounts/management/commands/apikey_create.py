"""``frontdesk apikey create --name NAME --role ROLE [--location CODE ...]``: print a new key once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from frontdesk.accounts.apikeys import apikey_create
from frontdesk.accounts.choices import Role
from frontdesk.core.errors import ValidationFailed
from frontdesk.practice.models import Location


class Command(BaseCommand):
    help = "Create an API key bound to a role (and optionally to locations); prints the key once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True, help="Which integration uses the key.")
        parser.add_argument("--role", required=True, choices=Role.values, help="The key's role.")
        parser.add_argument(
            "--location",
            action="append",
            default=[],
            metavar="CODE",
            help="Bind the key to a location by its code (repeat for several).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        codes: list[str] = options["location"]
        locations = {
            location.code: location.pk for location in Location.objects.filter(code__in=codes)
        }
        unknown = sorted(set(codes) - set(locations))
        if unknown:
            raise CommandError(f"Unknown location code(s): {', '.join(unknown)}")
        try:
            api_key, plaintext = apikey_create(
                actor=None,
                name=options["name"],
                role=options["role"],
                location_ids=[locations[code] for code in codes],
            )
        except ValidationFailed as error:
            messages = "; ".join(
                f"{field}: {' '.join(texts)}" for field, texts in sorted(error.fields.items())
            )
            raise CommandError(messages or error.message) from None
        bound = ", ".join(sorted(set(codes))) or "none (all locations only for practice-wide roles)"
        self.stdout.write(
            f"Created API key {api_key.name!r} (prefix {api_key.prefix}, role {options['role']})."
        )
        self.stdout.write(f"Locations: {bound}")
        self.stdout.write("")
        self.stdout.write(plaintext)
        self.stdout.write("")
        self.stdout.write(
            self.style.WARNING(
                "Store this key now: it cannot be shown again. Use it as 'Authorization: Bearer <key>'."
            )
        )

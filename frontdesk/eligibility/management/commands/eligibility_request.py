"""``frontdesk eligibility request --coverage ID --date YYYY-MM-DD --out FILE``: write the 270 that
would be sent for a coverage and a date of service (nothing is sent)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from frontdesk.core.errors import DomainError
from frontdesk.eligibility.services import eligibility_request_270, eligibility_system_user
from frontdesk.patients.models import Coverage


class Command(BaseCommand):
    help = "Write the 270 eligibility inquiry for a coverage and a date of service (not sent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--coverage", required=True, type=int, help="The coverage id.")
        parser.add_argument("--date", required=True, help="The date of service, YYYY-MM-DD.")
        parser.add_argument("--out", required=True, type=Path, help="Where to write the 270.")
        parser.add_argument(
            "--user", help="Write as this user; default: the eligibility system user."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            day = dt.date.fromisoformat(options["date"])
        except ValueError:
            raise CommandError(f"Not a date (YYYY-MM-DD): {options['date']!r}.") from None
        coverage = (
            Coverage.objects.select_related("payer", "patient", "subscriber_patient")
            .filter(pk=options["coverage"])
            .first()
        )
        if coverage is None:
            raise CommandError(f"No coverage with id {options['coverage']}.")
        actor = _actor(options["user"])
        try:
            payload = eligibility_request_270(actor=actor, coverage=coverage, date_of_service=day)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        out = Path(options["out"]).expanduser()
        out.write_text(payload, encoding="utf-8")
        self.stdout.write(
            f"Wrote the 270 for coverage {coverage.pk} on {day.isoformat()} to {out}."
        )


def _actor(username: str | None) -> Any:
    if not username:
        return eligibility_system_user()
    actor = get_user_model().objects.filter(username=username, is_active=True).first()
    if actor is None:
        raise CommandError(f"No active user {username!r}.")
    return actor

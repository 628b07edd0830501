"""``frontdesk audit verify``: check the audit hash chain; exit 1 naming the first bad sequence number."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from frontdesk.audit.verify import DEFAULT_BATCH_SIZE, chain_verify


class Command(BaseCommand):
    help = (
        "Verify the tamper-evident audit log. Exits 0 when the chain is intact; otherwise exits 1 and "
        "names the first sequence number that was edited, deleted, inserted or reordered."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size",
            type=int,
            default=DEFAULT_BATCH_SIZE,
            help=f"Rows read per query (default {DEFAULT_BATCH_SIZE}).",
        )
        parser.add_argument(
            "--database", default="default", help="Database alias to check (default: default)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.", returncode=2)
        result = chain_verify(batch_size=options["batch_size"], using=options["database"])
        if not result.ok:
            raise CommandError(result.summary(), returncode=1)
        self.stdout.write(result.summary())

"""``frontdesk statements run [--dry-run]``: one statement run, now, in this process."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone

from frontdesk.statements.models import StatementRun
from frontdesk.statements.services import statement_run_execute, statements_system_user


class Command(BaseCommand):
    help = "Make this cycle's patient statements (accounts over the threshold, once per cycle)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Count the statements without making them."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        system = statements_system_user()
        with transaction.atomic():
            run = StatementRun.objects.create(
                dry_run=options["dry_run"], cycle_date=timezone.localdate(), started_by=system
            )
        run = statement_run_execute(run_id=run.pk)
        verb = "would be made" if run.dry_run else "made"
        self.stdout.write(
            f"Statement run {run.pk}: {run.total} accounts over the threshold, "
            f"{run.created} statements {verb}, {run.skipped} already stated this cycle."
        )

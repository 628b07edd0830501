"""``frontdesk demo [--patients N] [--seed S] [--reset]``: load the synthetic demo practice."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from frontdesk.core.errors import DomainError
from frontdesk.demo.practice import DEMO_LOGINS, DemoLogin
from frontdesk.demo.services import DEFAULT_PATIENTS, DEFAULT_SEED, demo_exists, demo_load


def logins_table(logins: tuple[DemoLogin, ...]) -> str:
    """The demo logins as aligned text lines (printed by ``demo`` and ``serve``)."""
    width = max(len(login.username) for login in logins)
    lines = ["Demo logins (synthetic practice; MFA optional in the demo):"]
    for login in logins:
        lines.append(f"  {login.username:<{width}}  {login.password:<26}  {login.role}")
    return "\n".join(lines)


class Command(BaseCommand):
    help = "Load the synthetic demo practice (idempotent; --reset rebuilds it)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--patients", type=int, default=DEFAULT_PATIENTS)
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
        parser.add_argument(
            "--reset",
            "--force",
            action="store_true",
            dest="reset",
            help="Delete every patient and build the demo again (demo databases only).",
        )
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")
        parser.add_argument("--no-logins", action="store_true", help="Do not print the logins.")

    def handle(self, *args: Any, **options: Any) -> None:
        count: int = options["patients"]
        if count < 0:
            raise CommandError("--patients must be zero or more.")
        if demo_exists() and not options["reset"]:
            self.stdout.write(
                "The demo practice is already loaded; nothing to do (--reset rebuilds it)."
            )
            if not options["no_logins"]:
                self.stdout.write(logins_table(DEMO_LOGINS))
            return
        console = Console(file=self.stdout._out)  # type: ignore[attr-defined, arg-type]
        show = not options["no_progress"] and options["verbosity"] > 0
        progress = Progress(
            TextColumn("[bold]Demo patients"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeRemainingColumn(),
            console=console,
            disable=not show,
            transient=False,
        )
        with progress:
            task_id = progress.add_task("patients", total=count, rate="")

            def advance(step: int) -> None:
                progress.advance(task_id, step)
                elapsed = progress.tasks[0].elapsed or 0.0
                if elapsed:
                    done = progress.tasks[0].completed
                    progress.update(task_id, rate=f"{done / elapsed:,.0f}/s")

            try:
                result = demo_load(
                    patients=count,
                    seed=options["seed"],
                    reset=options["reset"],
                    on_progress=advance,
                )
            except DomainError as exc:
                raise CommandError(exc.message) from exc
        stats = result.stats
        self.stdout.write(
            f"Demo practice loaded in {result.seconds:.1f}s: {stats.patients} patients, "
            f"{stats.phones} phones, {stats.coverages} coverages, {stats.restricted} restricted records."
        )
        schedule, activity = result.schedule, result.activity
        self.stdout.write(
            f"Schedule: {schedule.appointment_types} appointment types, {schedule.templates} "
            f"template windows, {schedule.appointments} appointments; {activity.messages} messages "
            f"logged, {activity.replies} SMS replies, {activity.tasks} call-back tasks, "
            f"{activity.waitlist_entries} patients on the waitlist, {activity.visits} visits on the flow history."
        )
        money = result.money
        self.stdout.write(
            f"Money: {money.charges} copays charged, {money.payments} payments taken "
            f"({money.voids} voided, {money.refunds} refunded), {money.closed_days} days closed; "
            "today's drawers are open."
        )
        billing = result.billing
        self.stdout.write(
            f"Billing: {billing.encounters} visits with charges, {billing.claims_sent} claims sent "
            f"in {billing.batches} batches to the simulated payer ({billing.remittance_files} "
            f"remittances posted; the last batch's answers arrive at the next inbox poll), "
            f"{billing.held} held by the scrubber, {billing.eligibility_checks} eligibility checks."
        )
        self.stdout.write(
            f"Documents: {result.documents.received} faxes and scans in the first location's inbox; "
            "the background worker reads them (those certain of their patient file themselves, the rest wait for review)."
        )
        if not options["no_logins"]:
            self.stdout.write(logins_table(result.logins))

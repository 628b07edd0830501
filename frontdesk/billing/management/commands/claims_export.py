"""``frontdesk claims export --out FILE [--payer P] [--user USERNAME]``: the 837P of the ready claims."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from frontdesk.billing.batch_services import claims_export
from frontdesk.core.errors import DomainError
from frontdesk.practice.models import Payer


class Command(BaseCommand):
    help = (
        "Write an 837P batch of the claims ready to send (all payers, or one) to FILE; the claims "
        "become 'sent' (exported) and a disclosure for payment is recorded per patient."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", type=Path, required=True, help="Where to write the 837P.")
        parser.add_argument("--payer", help="Only this payer's claims (electronic payer ID or id).")
        parser.add_argument(
            "--user", help="Export as this user (needs claim submit); default: system."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        out: Path = options["out"].expanduser()
        if out.exists():
            raise CommandError(f"{out} exists; pick a new file name.")
        payer = None
        if options["payer"]:
            raw = str(options["payer"]).strip()
            payer = Payer.objects.filter(payer_id=raw).first()
            if payer is None and raw.isdigit():
                payer = Payer.objects.filter(pk=int(raw)).first()
            if payer is None:
                raise CommandError(f"No payer with payer ID or id {raw!r}.")
        actor = None
        if options["user"]:
            actor = (
                get_user_model().objects.filter(username=options["user"], is_active=True).first()
            )
            if actor is None:
                raise CommandError(f"No active user {options['user']!r}.")
        try:
            built = claims_export(actor=actor, payer=payer)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        out.write_text(built.payload, encoding="utf-8")
        claims = sum(batch.claim_count for batch in built.batches)
        self.stdout.write(f"Wrote {claims} claim(s) in {len(built.batches)} batch(es) to {out}.")

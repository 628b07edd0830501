"""``frontdesk clearinghouse poll``: collect the clearinghouse inbox now and dispatch what arrived."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from frontdesk.clearinghouse.services import inbox_poll
from frontdesk.clearinghouse.transports import TransportError, get_transport


class Command(BaseCommand):
    help = "Collect the clearinghouse inbox (999, 277CA, 835, 271 files), record and process them."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            name = get_transport().name
        except TransportError as exc:
            raise CommandError(exc.reason) from None
        exchanges = inbox_poll(actor=None)
        self.stdout.write(f"{name}: {len(exchanges)} new file{'s' if len(exchanges) != 1 else ''}.")
        for exchange in exchanges:
            line = f"  {exchange.pk} {exchange.kind} {exchange.filename} {exchange.status}"
            if exchange.error:
                line += f": {exchange.error}"
            self.stdout.write(line)

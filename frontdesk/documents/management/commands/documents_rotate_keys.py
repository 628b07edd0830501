"""``frontdesk documents rotate-keys``: re-encrypt stored documents under the current key."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from frontdesk.documents.services import document_keys_rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored document not yet under the current key (the first of "
        "FRONTDESK_DOCUMENT_KEYS). Keep the old keys listed until this reports no failures."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        result = document_keys_rotate(actor=None)
        self.stdout.write(
            f"{result.rotated} re-encrypted, {result.already_current} already under the current key, "
            f"{len(result.failed)} failed."
        )
        for message in result.failed:
            self.stdout.write(f"  {message}")
        if result.failed:
            raise CommandError("Some documents could not be verified; they were left as they were.")

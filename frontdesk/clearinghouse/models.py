"""The log of every X12 file exchanged with the clearinghouse, sent or received.

An ``Exchange`` is one file: a 270 or 837P we sent, a 271 answering a real-time 270, a 999 / 277CA /
835 collected from the inbox. Its bytes are kept encrypted (core Fernet helpers) in the file storage
under a random name, with their SHA-256; an inbound file collected twice (same SHA-256) is recorded
once. Status: ``sent`` / ``failed`` (outbound, with the transport's reason), ``received`` (inbound,
waiting for its handler), ``processed`` (the handler took it), ``error`` (the handler refused it; the
message says why and the file is kept).
"""

from __future__ import annotations

from typing import Self

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import models
from django.db.models import Q

from frontdesk.clearinghouse.choices import Direction, ExchangeStatus, Kind
from frontdesk.core import crypto
from frontdesk.core.queryset import Actor, RestrictedQuerySet


class ExchangeQuerySet(RestrictedQuerySet):
    def scope_for(self, user: Actor) -> Self:
        # Files naming a confidential (restricted) patient stay hidden from roles that may not see
        # restricted records, like the records themselves.
        if user.can("patient.view_restricted"):
            return self
        hidden = Q(patients__is_restricted=True) | Q(request__patients__is_restricted=True)
        return self.exclude(pk__in=self.model.objects.filter(hidden).values("pk"))


class Exchange(models.Model):
    """One X12 file sent to or received from the clearinghouse."""

    direction = models.CharField(max_length=3, choices=Direction.choices)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    filename = models.CharField(max_length=200, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    size = models.PositiveIntegerField(default=0)
    control_number = models.CharField(max_length=9, blank=True)  # ISA13
    stored_name = models.CharField(max_length=200, blank=True)  # the encrypted file in storage
    status = models.CharField(max_length=10, choices=ExchangeStatus.choices)
    error = models.TextField(blank=True)
    transport = models.CharField(max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    processed_at = models.DateTimeField(null=True, blank=True)
    # The 271's 270 (a real-time answer points at its question).
    request = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="responses"
    )
    # The patients the file is about, when we know them (the ones we sent).
    patients = models.ManyToManyField("patients.Patient", blank=True, related_name="+")

    objects = ExchangeQuerySet.as_manager()

    class Meta:
        ordering = ("-created_at", "-pk")
        indexes = [
            models.Index(fields=["kind", "status"]),
            models.Index(fields=["created_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(direction__in=Direction.values), name="exchange_direction_valid"
            ),
            models.CheckConstraint(condition=Q(kind__in=Kind.values), name="exchange_kind_valid"),
            models.CheckConstraint(
                condition=Q(status__in=ExchangeStatus.values), name="exchange_status_valid"
            ),
            models.CheckConstraint(
                condition=(
                    Q(direction=Direction.OUT, status__in=["sent", "failed"])
                    | Q(
                        direction=Direction.IN,
                        status__in=["received", "processed", "error", "failed"],
                    )
                ),
                name="exchange_status_by_direction",
            ),
            # A file collected from the inbox is recorded once, however often it is collected.
            models.UniqueConstraint(
                fields=["sha256"],
                condition=Q(direction="in", request__isnull=True) & ~Q(sha256=""),
                name="exchange_inbound_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.kind} {self.pk}"

    def read_bytes(self) -> bytes:
        """The file as it was sent or received (decrypted); b"" when nothing was stored."""
        if not self.stored_name:
            return b""
        with default_storage.open(self.stored_name, "rb") as handle:
            return crypto.decrypt_bytes(handle.read())

    def read_text(self) -> str:
        data = self.read_bytes()
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return data.decode("latin-1")

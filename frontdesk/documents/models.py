"""The document inbox: every file that arrives, and the encrypted, de-duplicated bytes behind it.

A ``Blob`` is one distinct file content, identified by the SHA-256 of its plaintext: the same file
arriving twice is one blob. Its bytes live encrypted (AES-256-GCM, ``blobs.py``) in the default file
storage under a generated name that says nothing about the file or the patient.

An ``InboxItem`` is one arrival: where it came from (upload, watched folder, scanner, e-mail, fax,
command line), when, who handed it over (nobody for machine sources), the name it came with (made
safe for display; never used to store anything), the location whose inbox it belongs to, and its
blob. Nothing that arrives is ever lost: a quarantined arrival keeps its original bytes too, and says
why in words. The second arrival of the same content in a location points at the first.
"""

from __future__ import annotations

from typing import Self

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length
from django.db.models.lookups import Exact

from frontdesk.core.models import TimeStampedModel
from frontdesk.core.queryset import Actor, RestrictedQuerySet
from frontdesk.documents.choices import ItemStatus, Kind, QuarantineCode, Source


class Blob(models.Model):
    """One distinct file content, stored encrypted once however often it arrives."""

    sha256 = models.CharField(max_length=64, unique=True)  # of the plaintext, lowercase hex
    size = models.PositiveBigIntegerField()  # plaintext bytes
    kind = models.CharField(max_length=8, choices=Kind.choices)
    pages = models.PositiveIntegerField(default=0)  # 0 when unknown (quarantined before counting)
    width = models.PositiveIntegerField(null=True, blank=True)  # first page, images only
    height = models.PositiveIntegerField(null=True, blank=True)
    stored_name = models.CharField(max_length=200, unique=True)  # generated; in default_storage
    key_id = models.CharField(max_length=16)  # which document key encrypted it (rotation)
    created_at = models.DateTimeField(auto_now_add=True, editable=False)

    class Meta:
        ordering = ("pk",)
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=Kind.values), name="blob_kind_valid"),
            models.CheckConstraint(
                condition=Exact(Length("sha256"), 64), name="blob_sha256_length"
            ),
            models.CheckConstraint(condition=~Q(stored_name=""), name="blob_stored_name_given"),
            models.CheckConstraint(condition=~Q(key_id=""), name="blob_key_id_given"),
            # An accepted kind has its page count; an unknown one has none.
            models.CheckConstraint(
                condition=Q(kind=Kind.UNKNOWN, pages=0) | ~Q(kind=Kind.UNKNOWN),
                name="blob_unknown_has_no_pages",
            ),
        ]

    def __str__(self) -> str:
        return f"Blob {self.pk} ({self.kind}, {self.sha256[:12]})"


class InboxItemQuerySet(RestrictedQuerySet):
    def scope_for(self, user: Actor) -> Self:
        # An item belongs to one location's inbox: staff see the inboxes of their locations.
        from frontdesk.practice.models import Location

        return self.filter(location__in=Location.objects.scope_for(user).values("pk"))


class InboxItem(TimeStampedModel):
    """One arrival in a location's document inbox, with its original file kept unchanged."""

    location = models.ForeignKey(
        "practice.Location", on_delete=models.PROTECT, related_name="inbox_items"
    )
    source = models.CharField(max_length=8, choices=Source.choices)
    display_name = models.CharField(max_length=200)  # sanitised uploader's name, display only
    received_at = models.DateTimeField()
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    blob = models.ForeignKey(Blob, on_delete=models.PROTECT, related_name="items")
    status = models.CharField(max_length=12, choices=ItemStatus.choices)
    quarantine_code = models.CharField(max_length=16, choices=QuarantineCode.choices, blank=True)
    quarantine_reason = models.TextField(blank=True)
    # The first arrival of the same content in the same location ("the second arrival says so").
    duplicate_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="duplicates"
    )

    objects = InboxItemQuerySet.as_manager()

    class Meta:
        ordering = ("-received_at", "-pk")
        indexes = [
            models.Index(fields=["location", "status", "received_at"]),
            models.Index(fields=["blob", "location"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(source__in=Source.values), name="inbox_item_source_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ItemStatus.values), name="inbox_item_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(display_name=""), name="inbox_item_display_name_given"
            ),
            # Quarantined exactly when there is a reason, in words and as a code.
            models.CheckConstraint(
                condition=(
                    Q(
                        status=ItemStatus.QUARANTINED,
                        quarantine_code__in=QuarantineCode.values,
                    )
                    & ~Q(quarantine_reason="")
                )
                | (~Q(status=ItemStatus.QUARANTINED) & Q(quarantine_code="", quarantine_reason="")),
                name="inbox_item_quarantined_iff_reason",
            ),
            # A browser upload is always somebody's; machine sources may have nobody.
            models.CheckConstraint(
                condition=~Q(source=Source.UPLOAD) | Q(received_by__isnull=False),
                name="inbox_item_upload_has_user",
            ),
            models.CheckConstraint(
                condition=~Q(duplicate_of=F("pk")), name="inbox_item_not_own_duplicate"
            ),
        ]

    def __str__(self) -> str:
        return f"Inbox item {self.pk} ({self.status})"

    @property
    def is_quarantined(self) -> bool:
        return self.status == ItemStatus.QUARANTINED

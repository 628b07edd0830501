"""Encounter-form (superbill) configuration: the favourite codes a provider or specialty ticks; and
the background batches that print a location's whole day of forms into one stored PDF."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from frontdesk.core.models import TimeStampedModel
from frontdesk.core.queryset import RestrictedQuerySet
from frontdesk.practice.models import LocationScopedQuerySet
from frontdesk.printing.choices import BatchStatus


class EncounterFormConfig(TimeStampedModel):
    """The checkbox sections printed on an encounter form, for one provider or for one specialty.

    A provider's own configuration wins over the one of their specialty (matched case-insensitively
    to ``Provider.specialty``). ``sections`` is a list of
    ``{"kind": "procedure"|"diagnosis", "title": str, "codes": [{"code", "label", "modifier"}]}``,
    validated by ``services.parse_code_lines`` before it is stored.
    """

    provider = models.OneToOneField(
        "practice.Provider",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="encounter_form_config",
    )
    specialty = models.CharField(max_length=80, blank=True)
    sections = models.JSONField(default=list)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["specialty", "provider_id"]
        constraints = [
            # Exactly one owner: a provider, or a specialty.
            models.CheckConstraint(
                condition=(models.Q(provider__isnull=False) & models.Q(specialty=""))
                | (models.Q(provider__isnull=True) & ~models.Q(specialty="")),
                name="encounterformconfig_one_owner",
            ),
            models.UniqueConstraint(
                Lower("specialty"),
                condition=models.Q(provider__isnull=True),
                name="encounterformconfig_unique_specialty",
            ),
        ]

    def __str__(self) -> str:
        return f"Encounter form {self.pk}"

    @property
    def owner_label(self) -> str:
        if self.provider_id is not None:
            provider: Any = self.provider
            return f"Provider: {provider.display_name}"
        return f"Specialty: {self.specialty}"


class EncounterFormBatch(TimeStampedModel):
    """A request to print every encounter form of one location's day into one PDF, built by a
    background task and kept for a short time (``expires_at``) for its download.

    The PDF is stored through Django's storage API (local disk or S3), Fernet-encrypted at rest
    (``core.crypto``); ``file_name`` is its storage name (random, no PHI), ``sha256`` the digest of
    the plain PDF, checked on download. ``appointment_ids`` are the forms printed, in page order.
    """

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    location = models.ForeignKey("practice.Location", on_delete=models.PROTECT, related_name="+")
    day = models.DateField(help_text="The location's local day whose forms are printed.")
    status = models.CharField(
        max_length=10, choices=BatchStatus.choices, default=BatchStatus.QUEUED
    )
    form_count = models.PositiveIntegerField(default=0)
    forms_done = models.PositiveIntegerField(default=0)
    page_count = models.PositiveIntegerField(default=0)
    appointment_ids = models.JSONField(default=list, blank=True)
    error = models.CharField(max_length=200, blank=True)
    file_name = models.CharField(max_length=255, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(db_index=True)

    objects = LocationScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(forms_done__lte=models.F("form_count")),
                name="encounterformbatch_progress_within_count",
            ),
            # One batch in the making per requester, location and day: a double click (or two
            # tabs) joins the batch already queued instead of drawing the day twice.
            models.UniqueConstraint(
                fields=["requested_by", "location", "day"],
                condition=models.Q(status__in=["queued", "running"]),
                name="encounterformbatch_one_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"Encounter form batch {self.pk}"

    @property
    def is_pending(self) -> bool:
        return self.status in (BatchStatus.QUEUED, BatchStatus.RUNNING)

    @property
    def percent(self) -> int:
        if self.status == BatchStatus.READY:
            return 100
        if not self.form_count:
            return 0
        return min(99, self.forms_done * 100 // self.form_count)

"""Code sets and fees.

ICD-10-CM codes are not rows: the full code set is read into memory per process (see
``frontdesk.standards.icd10cm`` and docs/codes.md). ``IcdRelease`` records the releases a practice
imported from CMS order files (the text kept, compressed, so every process can rebuild the same code
set); the release bundled with FrontDesk needs no row.

``ProcedureCode`` holds the CPT codes the practice imported under its AMA licence and any HCPCS Level
II codes it imported or edited (the common HCPCS codes FrontDesk ships live in ``tables.py``).

A ``FeeSchedule`` is one price list in effect over a date range: with a payer, that payer's allowed
amounts; without one, the practice's standard charges. ``FeeScheduleEntry`` is the price of one code,
optionally for one modifier (26, TC, ...).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from frontdesk.coding.choices import ProcedureKind
from frontdesk.core.models import TimeStampedModel
from frontdesk.core.money import MoneyField
from frontdesk.core.queryset import RestrictedQuerySet


class IcdRelease(models.Model):
    """An ICD-10-CM release imported from a CMS order file, valid for dates of service in a range."""

    name = models.CharField(max_length=60, unique=True, help_text="e.g. 'FY2027'.")
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True)
    file_name = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    # The order file as imported, gzip-compressed (about 1.6 MB for a full release).
    content = models.BinaryField()
    code_count = models.PositiveIntegerField()
    billable_count = models.PositiveIntegerField()
    imported_at = models.DateTimeField()
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["effective_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_from__lte=F("effective_to")),
                name="icd_release_dates_ordered",
            )
        ]

    def __str__(self) -> str:
        return f"ICD-10-CM {self.name}"


class ProcedureCode(TimeStampedModel):
    """A CPT or HCPCS Level II code the practice bills, with the practice's own description."""

    code = models.CharField(max_length=5, unique=True)
    kind = models.CharField(max_length=5, choices=ProcedureKind.choices)
    description = models.CharField(max_length=300)
    is_active = models.BooleanField(default=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ProcedureKind.values), name="procedure_code_kind_valid"
            )
        ]

    def __str__(self) -> str:
        return self.code


class FeeSchedule(TimeStampedModel):
    """A price list in effect from one date to another: a payer's allowed amounts, or (no payer) the
    practice's standard charges."""

    name = models.CharField(max_length=120)
    payer = models.ForeignKey(
        "practice.Payer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="fee_schedules",
        help_text="Empty: the practice's standard charges.",
    )
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True)
    notes = models.CharField(max_length=300, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["payer__name", "-effective_from", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_from__lte=F("effective_to")),
                name="fee_schedule_dates_ordered",
            )
        ]
        indexes = [models.Index(fields=["payer", "effective_from"])]

    def __str__(self) -> str:
        return self.name

    @property
    def is_standard(self) -> bool:
        return self.payer_id is None


class FeeScheduleEntry(TimeStampedModel):
    """The price of one code (with one modifier, or none) in one fee schedule."""

    schedule = models.ForeignKey(FeeSchedule, on_delete=models.CASCADE, related_name="entries")
    code = models.CharField(max_length=5)
    modifier = models.CharField(max_length=2, blank=True, default="")
    amount = MoneyField()

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["code", "modifier"]
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "code", "modifier"], name="fee_entry_once_per_code_modifier"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="fee_entry_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.code}{'-' + self.modifier if self.modifier else ''} {self.amount}"

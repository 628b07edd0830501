"""Drawer closes, day closes, their stored reports, and card settlement imports.

Imported at the bottom of ``payments/models.py`` (the models belong to the payments app). Everything
here is written once and then only read: a close report's PDF is stored with its SHA-256 and every
download checks it; a day close row stays when the day is reopened (it records the reopen), so the
history shows every close and reopen; a settlement file is imported once (its SHA-256 is unique).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from frontdesk.core.money import MoneyField
from frontdesk.payments.models import LocationScoped

__all__ = [
    "DayClose",
    "DrawerClose",
    "MatchResult",
    "ReportKind",
    "SettlementImport",
    "SettlementLine",
    "StoredReport",
]


class ReportKind(models.TextChoices):
    DRAWER_CLOSE = "drawer_close", "Drawer close report"
    DEPOSIT_SLIP = "deposit_slip", "Deposit slip"
    DAY_CLOSE = "day_close", "Day close report"


class StoredReport(models.Model):
    """An immutable PDF in the file storage, with the SHA-256 it had when it was written."""

    kind = models.CharField(max_length=20, choices=ReportKind.choices)
    location = models.ForeignKey("practice.Location", on_delete=models.PROTECT, related_name="+")
    file_name = models.CharField(max_length=200, unique=True)  # the storage name
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    objects = LocationScoped.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ReportKind.values), name="stored_report_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.pk}"


class DrawerClose(models.Model):
    """The count of one drawer: who counted, the checks listed, expected vs counted per tender."""

    drawer = models.OneToOneField(
        "payments.DrawerSession", on_delete=models.PROTECT, related_name="close_record"
    )
    counted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    counted_at = models.DateTimeField()
    checks = models.JSONField(default=list)  # [{"number": "1042", "amount": "25.00"}, ...]
    # {"cash": {"expected": "..", "counted": "..", "variance": ".."}, "check": ..., "card": ...}
    tenders = models.JSONField(default=dict)
    approval_note = models.CharField(max_length=300, blank=True)
    report = models.OneToOneField(
        StoredReport, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    deposit_slip = models.OneToOneField(
        StoredReport, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"Close of drawer {self.drawer_id}"


class DayClose(models.Model):
    """One close of a location's business day (a reopen is recorded on the close it undid)."""

    location = models.ForeignKey("practice.Location", on_delete=models.PROTECT, related_name="+")
    date = models.DateField()
    closed_at = models.DateTimeField()
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # {"tenders": {...}, "staff": [...], "providers": [...], "drawers": [...], "net": ".."}
    totals = models.JSONField(default=dict)
    net_collected = MoneyField()
    payment_count = models.PositiveIntegerField(default=0)
    report = models.OneToOneField(
        StoredReport, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reopened_at = models.DateTimeField(null=True, blank=True)
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reopen_reason = models.CharField(max_length=200, blank=True)

    objects = LocationScoped.as_manager()

    class Meta:
        constraints = [
            # At most one standing (not reopened) close per location-day.
            models.UniqueConstraint(
                fields=["location", "date"],
                condition=Q(reopened_at__isnull=True),
                name="day_close_one_standing",
            ),
            models.CheckConstraint(
                condition=Q(reopened_at__isnull=True) | ~Q(reopen_reason=""),
                name="day_close_reopen_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["location", "date"])]

    def __str__(self) -> str:
        return f"Day close {self.location_id} {self.date}"


class SettlementImport(models.Model):
    """One processor settlement file, imported once (its SHA-256 is unique), with its match counts."""

    location = models.ForeignKey(
        "practice.Location", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    sha256 = models.CharField(max_length=64, unique=True)
    file_name = models.CharField(max_length=200)
    imported_at = models.DateTimeField()
    # None when imported from the command line (``frontdesk settlement import``) without --user.
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    first_date = models.DateField(null=True, blank=True)
    last_date = models.DateField(null=True, blank=True)
    rows = models.PositiveIntegerField(default=0)
    summary = models.JSONField(default=dict)  # {"matched": n, "missing_in_frontdesk": n, ...}
    errors = models.JSONField(default=list)  # [{"line": 7, "message": "..."}]

    def __str__(self) -> str:
        return f"Settlement import {self.pk}"


class MatchResult(models.TextChoices):
    MATCHED = "matched", "Matched"
    MISSING_IN_FRONTDESK = "missing_in_frontdesk", "Missing in FrontDesk"
    MISSING_AT_PROCESSOR = "missing_at_processor", "Missing at the processor"
    AMOUNT_MISMATCH = "amount_mismatch", "Amount mismatch"


class SettlementLine(models.Model):
    """One result of a settlement import: a file row (with its line number) or a FrontDesk tender
    the file did not contain (missing at the processor; no line number)."""

    settlement = models.ForeignKey(SettlementImport, on_delete=models.CASCADE, related_name="lines")
    line_number = models.PositiveIntegerField(null=True, blank=True)
    result = models.CharField(max_length=24, choices=MatchResult.choices)
    settlement_date = models.DateField(null=True, blank=True)
    transaction_id = models.CharField(max_length=80, blank=True)
    reference = models.CharField(max_length=64, blank=True)
    txn_type = models.CharField(max_length=10, blank=True)
    amount = MoneyField(null=True, blank=True)  # the processor's (signed: refunds negative)
    frontdesk_amount = MoneyField(null=True, blank=True)
    card_brand = models.CharField(max_length=20, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)
    tender = models.ForeignKey(
        "payments.Tender", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    card_attempt = models.ForeignKey(
        "payments.CardAttempt", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(result__in=MatchResult.values), name="settlement_line_result_valid"
            ),
            models.CheckConstraint(
                condition=Q(card_last4="") | Q(card_last4__regex=r"^[0-9]{4}$"),
                name="settlement_line_last4_digits",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.result} line {self.line_number}"

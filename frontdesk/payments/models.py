"""Money taken at the desk: payments split across tenders, card attempts, refunds, cash drawers.

A ``Payment`` is one patient payment: an idempotency key (the same request twice is one payment), the
drawer session it was taken into, its tenders, its receipt number (gapless per location: allocated in
the same transaction as the payment), and the ledger entry it posted (a PAYMENT credit for the new
money; a tender of patient credit moves existing credit and posts nothing new). A void is a reversal
entry in the ledger; the payment row keeps who, when and why.

``CardAttempt`` is the journal of every call to the card processor, written and committed *before* the
call, so a crash between the processor's approval and our commit leaves a pending attempt that the
reconciliation completes (asking the processor by our reference) instead of charging again.

Only the processor's token, the card brand, last four and the authorization code are stored: never a
card number or security code (PCI DSS; tests scan for Luhn-valid numbers).
"""

from __future__ import annotations

from typing import Self

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Round

from frontdesk.core.models import TimeStampedModel
from frontdesk.core.money import MoneyField
from frontdesk.core.queryset import Actor, RestrictedQuerySet
from frontdesk.payments.choices import (
    CardAttemptStatus,
    DrawerStatus,
    PaymentStatus,
    RefundMethod,
    TenderKind,
)

LAST4 = Q(card_last4="") | Q(card_last4__regex=r"^[0-9]{4}$")


class LocationScoped(RestrictedQuerySet):
    def scope_for(self, user: Actor) -> Self:
        from frontdesk.practice.models import Location

        return self.filter(location__in=Location.objects.scope_for(user).values("pk"))


class DrawerSession(TimeStampedModel):
    """One staff member's cash drawer at one workstation, from the counted opening float to the close."""

    location = models.ForeignKey("practice.Location", on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    workstation = models.CharField(max_length=60)
    business_date = models.DateField()
    status = models.CharField(
        max_length=20, choices=DrawerStatus.choices, default=DrawerStatus.OPEN
    )
    opened_at = models.DateTimeField()
    opening_counts = models.JSONField(default=dict)  # {"20.00": 3, ...} denomination -> count
    opening_float = MoneyField()
    # The close: what was counted, what FrontDesk expected (per tender), the variance and its approval.
    counted_at = models.DateTimeField(null=True, blank=True)
    closing_counts = models.JSONField(default=dict, blank=True)
    counted_cash = MoneyField(null=True, blank=True)
    counted_checks = MoneyField(null=True, blank=True)
    card_batch_total = MoneyField(null=True, blank=True)
    expected = models.JSONField(default=dict, blank=True)  # {"cash": "123.00", "check": ...}
    variance = MoneyField(null=True, blank=True)  # counted - expected, all tenders
    variance_reason = models.CharField(max_length=300, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = LocationScoped.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=DrawerStatus.values), name="drawer_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(opening_float__gte=0), name="drawer_float_not_negative"
            ),
            # One open drawer per person per location, and one per workstation.
            models.UniqueConstraint(
                fields=["location", "user"],
                condition=Q(status=DrawerStatus.OPEN),
                name="drawer_one_open_per_user",
            ),
            models.UniqueConstraint(
                fields=["location", "workstation"],
                condition=Q(status=DrawerStatus.OPEN),
                name="drawer_one_open_per_workstation",
            ),
            models.CheckConstraint(
                condition=~Q(status=DrawerStatus.CLOSED) | Q(closed_at__isnull=False),
                name="drawer_closed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"Drawer {self.pk} ({self.workstation}, {self.status})"


class Payment(TimeStampedModel):
    """One payment by or for a patient account, possibly split across several tenders."""

    account = models.ForeignKey("ledger.Account", on_delete=models.PROTECT, related_name="payments")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    appointment = models.ForeignKey(
        "scheduling.Appointment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
    )
    location = models.ForeignKey("practice.Location", on_delete=models.PROTECT, related_name="+")
    drawer = models.ForeignKey(DrawerSession, on_delete=models.PROTECT, related_name="payments")
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    taken_at = models.DateTimeField()
    business_date = models.DateField()
    amount = MoneyField()
    status = models.CharField(
        max_length=12, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    idempotency_key = models.CharField(max_length=100, unique=True)
    request_digest = models.CharField(max_length=64)  # SHA-256 of the canonical request
    response = models.JSONField(default=dict, blank=True)  # the answer replayed for the same key
    entry = models.OneToOneField(
        "ledger.LedgerEntry",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payment",
    )
    receipt_number = models.PositiveIntegerField(null=True, blank=True)
    receipt_printed_at = models.DateTimeField(null=True, blank=True)  # later prints are copies
    memo = models.CharField(max_length=200, blank=True)
    void_entry = models.OneToOneField(
        "ledger.LedgerEntry",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="voided_payment",
    )
    voided_at = models.DateTimeField(null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    void_reason = models.CharField(max_length=200, blank=True)
    # The drawer the void was taken out of (the voiding user's open drawer; may be a later day's).
    void_drawer = models.ForeignKey(
        DrawerSession,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="voided_payments",
    )
    # The void's own receipt (same per-location sequence as payments and refunds).
    void_receipt_number = models.PositiveIntegerField(null=True, blank=True)
    # What the payment applies to, kept from the request so a payment completed later (after a card
    # timeout or crash) applies exactly as asked: {"targets": [[charge_id, "12.00"], ...] or None,
    # "credit": "5.00"} (credit = the patient-credit tender).
    apply_plan = models.JSONField(default=dict, blank=True)

    objects = LocationScoped.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(status__in=PaymentStatus.values), name="payment_status_valid"
            ),
            models.UniqueConstraint(
                fields=["location", "receipt_number"], name="payment_receipt_unique_per_location"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=[PaymentStatus.COMPLETED, PaymentStatus.VOIDED])
                | Q(receipt_number__isnull=False),
                name="payment_completed_has_receipt",
            ),
            models.CheckConstraint(
                condition=~Q(status=PaymentStatus.VOIDED)
                | (Q(voided_at__isnull=False) & ~Q(void_reason="")),
                name="payment_void_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["location", "business_date"])]

    def __str__(self) -> str:
        return f"Payment {self.pk} ({self.amount}, {self.status})"


class Tender(models.Model):
    """One part of a payment by one means: cash (with change), check, card, HSA/FSA, patient credit."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="tenders")
    kind = models.CharField(max_length=10, choices=TenderKind.choices)
    amount = MoneyField()
    cash_tendered = MoneyField(null=True, blank=True)
    change_given = MoneyField(null=True, blank=True)
    check_number = models.CharField(max_length=20, blank=True)
    check_bank = models.CharField(max_length=80, blank=True)
    card_brand = models.CharField(max_length=20, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)
    card_token = models.CharField(max_length=80, blank=True)  # the processor's token, never a PAN
    card_auth_code = models.CharField(max_length=20, blank=True)
    processor_transaction_id = models.CharField(max_length=80, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=TenderKind.values), name="tender_kind_valid"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="tender_amount_positive"),
            models.CheckConstraint(condition=LAST4, name="tender_last4_digits"),
            models.CheckConstraint(
                condition=Q(kind=TenderKind.CASH)
                | (Q(cash_tendered__isnull=True) & Q(change_given__isnull=True)),
                name="tender_cash_fields_only_for_cash",
            ),
            models.CheckConstraint(
                condition=~Q(kind=TenderKind.CASH)
                | Q(cash_tendered__isnull=True)
                | (
                    Q(cash_tendered__gte=models.F("amount"))
                    # Rounded to cents: SQLite subtracts its decimals as floats (20.00 - 19.99).
                    & Q(change_given=Round(models.F("cash_tendered") - models.F("amount"), 2))
                ),
                name="tender_cash_change_adds_up",
            ),
            models.CheckConstraint(
                condition=~Q(kind=TenderKind.CHECK) | ~Q(check_number=""),
                name="tender_check_has_number",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount}"


class CardAttempt(models.Model):
    """One call to the card processor, journalled before the call (crash-safe reconciliation)."""

    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="card_attempts"
    )
    refund = models.ForeignKey(
        "payments.Refund",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="card_attempts",
    )
    reference = models.CharField(max_length=64, unique=True)  # ours, sent as the processor's key
    amount = MoneyField()
    token = models.CharField(max_length=80)
    status = models.CharField(
        max_length=10, choices=CardAttemptStatus.choices, default=CardAttemptStatus.PENDING
    )
    processor_transaction_id = models.CharField(max_length=80, blank=True)
    auth_code = models.CharField(max_length=20, blank=True)
    card_brand = models.CharField(max_length=20, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)
    decline_reason = models.CharField(max_length=120, blank=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=CardAttemptStatus.values), name="card_attempt_status_valid"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="card_attempt_amount_positive"),
            models.CheckConstraint(condition=LAST4, name="card_attempt_last4_digits"),
        ]

    def __str__(self) -> str:
        return f"Card attempt {self.reference} ({self.status})"


class Refund(TimeStampedModel):
    """Money given back to a patient: cash from a drawer, a mailed check, or back to the card."""

    account = models.ForeignKey("ledger.Account", on_delete=models.PROTECT, related_name="refunds")
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="refunds"
    )
    location = models.ForeignKey("practice.Location", on_delete=models.PROTECT, related_name="+")
    drawer = models.ForeignKey(
        DrawerSession, on_delete=models.PROTECT, null=True, blank=True, related_name="refunds"
    )
    method = models.CharField(max_length=10, choices=RefundMethod.choices)
    amount = MoneyField()
    reason = models.CharField(max_length=200)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField()
    business_date = models.DateField()
    idempotency_key = models.CharField(max_length=100, unique=True)
    request_digest = models.CharField(max_length=64)
    entry = models.OneToOneField(
        "ledger.LedgerEntry", on_delete=models.PROTECT, related_name="refund_record"
    )
    receipt_number = models.PositiveIntegerField()
    check_number = models.CharField(max_length=20, blank=True)
    processor_transaction_id = models.CharField(max_length=80, blank=True)

    objects = LocationScoped.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
            models.CheckConstraint(
                condition=Q(method__in=RefundMethod.values), name="refund_method_valid"
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="refund_has_reason"),
            models.CheckConstraint(
                condition=~Q(method=RefundMethod.CASH) | Q(drawer__isnull=False),
                name="refund_cash_from_a_drawer",
            ),
            models.UniqueConstraint(
                fields=["location", "receipt_number"], name="refund_receipt_unique_per_location"
            ),
        ]

    def __str__(self) -> str:
        return f"Refund {self.pk} ({self.amount})"


from frontdesk.payments.drawer_models import *  # noqa: E402,F403

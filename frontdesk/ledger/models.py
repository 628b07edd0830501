"""Patient accounts on a ledger: balances are sums of entries, and entries are never changed.

An ``Account`` is held by the patient responsible for paying (the guarantor: the patient themself, or
another patient whose account carries a dependant's visits). Every money movement is a ``LedgerEntry``
with a signed amount (+ raises what is owed, - lowers it) in a responsibility bucket (patient or
insurance). Corrections are reversal entries that point at the original (at most one each), carry a
reason and the user, and are posted on the day they are made. ``Allocation`` says which credit (payment,
credit adjustment) paid which debit (charge); an allocation whose credit or debit has been reversed no
longer counts. ``LedgerDay`` is a location's business day; once closed, nothing more is posted into it.

The database enforces the rules it can: non-zero amounts with the right sign per kind, one reversal
per entry, reversals of the same kind and opposite sign (checked by the service, which alone writes),
positive allocations, one day row per location and date, and (triggers, migration 0002) no UPDATE or
DELETE of entries or allocations on PostgreSQL and no INSERT into a closed day on either database.
"""

from __future__ import annotations

from typing import Self

from django.conf import settings
from django.db import models
from django.db.models import Q

from frontdesk.core.models import TimeStampedModel
from frontdesk.core.money import MoneyField
from frontdesk.core.queryset import Actor, RestrictedQuerySet
from frontdesk.ledger.choices import Bucket, DayState, EntryKind


class AccountQuerySet(RestrictedQuerySet):
    def scope_for(self, user: Actor) -> Self:
        # An account is visible exactly when its holder's record is (restricted records stay hidden).
        from frontdesk.patients.models import Patient

        return self.filter(holder__in=Patient.objects.scope_for(user).values("pk"))


class Account(TimeStampedModel):
    """A guarantor's account: the patient who holds it and the number printed on statements."""

    holder = models.OneToOneField(
        "patients.Patient", on_delete=models.PROTECT, related_name="ledger_account"
    )
    number = models.CharField(max_length=20, unique=True)
    currency = models.CharField(max_length=3, default="USD")

    objects = AccountQuerySet.as_manager()

    def __str__(self) -> str:
        return f"Account {self.number}"


class EntryQuerySet(RestrictedQuerySet):
    def scope_for(self, user: Actor) -> Self:
        return self.filter(account__in=Account.objects.scope_for(user).values("pk"))


def _sign_rule() -> Q:
    """Originals: charge and refund positive, payment negative; reversals the opposite; never zero."""
    original = Q(reverses__isnull=True)
    reversal = Q(reverses__isnull=False)
    positive, negative = Q(amount__gt=0), Q(amount__lt=0)
    return (
        (Q(kind=EntryKind.CHARGE) & ((original & positive) | (reversal & negative)))
        | (Q(kind=EntryKind.REFUND) & ((original & positive) | (reversal & negative)))
        | (Q(kind=EntryKind.PAYMENT) & ((original & negative) | (reversal & positive)))
        | (Q(kind__in=[EntryKind.ADJUSTMENT, EntryKind.TRANSFER]) & ~Q(amount=0))
    )


class LedgerEntry(models.Model):
    """One money movement on an account. Append-only: never updated, never deleted."""

    # No single-column index on account or location: the (account, posted_at) and
    # (location, posting_date) indexes below lead with them and serve those lookups too; every index
    # is work on each of the tens of thousands of entries an 835 posts.
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="entries", db_index=False
    )
    # The patient whose care the entry is for (a dependant on a parent's account); None for
    # account-level money such as a payment on account.
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    location = models.ForeignKey(
        "practice.Location", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    kind = models.CharField(max_length=12, choices=EntryKind.choices)
    # ChargeCode / AdjustmentCode / PaymentSource / RefundCode / TransferCode, by kind.
    code = models.CharField(max_length=20)
    bucket = models.CharField(max_length=10, choices=Bucket.choices, default=Bucket.PATIENT)
    amount = MoneyField()
    currency = models.CharField(max_length=3, default="USD")
    posting_date = models.DateField()  # the location's business day it was posted in
    posted_at = models.DateTimeField()
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    service_date = models.DateField(null=True, blank=True)  # the date of service, for charges
    appointment = models.ForeignKey(
        "scheduling.Appointment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_entries",
    )
    description = models.CharField(max_length=200, blank=True)
    reason = models.CharField(max_length=200, blank=True)  # required for reversals and adjustments
    memo = models.CharField(max_length=200, blank=True)
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversal"
    )
    # The other half of a transfer between buckets (both halves point at each other's first half).
    transfer_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = EntryQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=EntryKind.values), name="entry_kind_valid"),
            models.CheckConstraint(
                condition=Q(bucket__in=Bucket.values), name="entry_bucket_valid"
            ),
            models.CheckConstraint(condition=_sign_rule(), name="entry_sign_by_kind"),
            models.CheckConstraint(
                condition=Q(reverses__isnull=True) | ~Q(reason=""),
                name="entry_reversal_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(kind=EntryKind.ADJUSTMENT) | ~Q(reason=""),
                name="entry_adjustment_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["account", "posted_at"]),
            models.Index(fields=["location", "posting_date"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} on {self.account_id}"

    @property
    def is_reversal(self) -> bool:
        return self.reverses_id is not None


class AllocationQuerySet(RestrictedQuerySet):
    def scope_for(self, user: Actor) -> Self:
        return self.filter(credit__account__in=Account.objects.scope_for(user).values("pk"))


class Allocation(models.Model):
    """This much of a credit (a payment or credit adjustment) paid this debit (a charge). Append-only."""

    credit = models.ForeignKey(LedgerEntry, on_delete=models.PROTECT, related_name="applied_to")
    debit = models.ForeignKey(LedgerEntry, on_delete=models.PROTECT, related_name="paid_by")
    amount = MoneyField()
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    objects = AllocationQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_amount_positive"),
            models.CheckConstraint(
                condition=~Q(credit=models.F("debit")), name="allocation_not_to_itself"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} of {self.credit_id} to {self.debit_id}"


class LedgerDayQuerySet(RestrictedQuerySet):
    def scope_for(self, user: Actor) -> Self:
        from frontdesk.practice.models import Location

        return self.filter(location__in=Location.objects.scope_for(user).values("pk"))


class LedgerDay(models.Model):
    """A location's business day: open until the day close, then nothing more is posted into it."""

    # (The unique (location, date) index below serves lookups by location: no index of its own.)
    location = models.ForeignKey(
        "practice.Location", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    date = models.DateField()
    state = models.CharField(max_length=8, choices=DayState.choices, default=DayState.OPEN)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reopen_count = models.PositiveIntegerField(default=0)

    objects = LedgerDayQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["location", "date"], name="ledger_day_unique"),
            models.CheckConstraint(condition=Q(state__in=DayState.values), name="day_state_valid"),
            models.CheckConstraint(
                condition=Q(state=DayState.OPEN) | Q(closed_at__isnull=False),
                name="day_closed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.location_id} {self.date} {self.state}"

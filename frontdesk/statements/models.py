"""Patient statements, statement runs and payment plans.

A ``Statement`` is a snapshot of a guarantor's account for one cycle: what was owed at the start of
the period, every patient-responsibility line posted in it, the amount due and the due date; its PDF
is stored (encrypted) through Django storage with the SHA-256 of the PDF bytes. An account gets at
most one statement per cycle: the service checks the last one under the account's row lock, and a
unique (account, cycle date) constraint stops two the same day whatever happens.

A ``StatementRun`` is one background pass over the accounts over the threshold, with its progress.

A ``PaymentPlan`` splits a balance into ``Instalment`` rows. Whether an instalment is paid is not
stored: it is computed from the ledger (payments since the plan started cover the instalments in
due-date order), so it can never drift from the money actually received.
"""

from __future__ import annotations

from typing import Self

from django.conf import settings
from django.db import models
from django.db.models import Q

from frontdesk.core.models import TimeStampedModel
from frontdesk.core.money import MoneyField
from frontdesk.core.queryset import Actor, RestrictedQuerySet
from frontdesk.statements.choices import Delivery, PlanFrequency, PlanStatus, RunStatus


class AccountScoped(RestrictedQuerySet):
    def scope_for(self, user: Actor) -> Self:
        from frontdesk.ledger.models import Account

        return self.filter(account__in=Account.objects.scope_for(user).values("pk"))


def _statement_path(instance: Statement, filename: str) -> str:
    import uuid

    return f"statements/{uuid.uuid4().hex}"


class StatementRun(TimeStampedModel):
    """One pass of the statement generator (background task) and how far it got."""

    status = models.CharField(max_length=8, choices=RunStatus.choices, default=RunStatus.QUEUED)
    dry_run = models.BooleanField(default=False)
    cycle_date = models.DateField()
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    total = models.PositiveIntegerField(default=0)  # accounts considered
    processed = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)  # statements made (or that would be, dry run)
    skipped = models.PositiveIntegerField(default=0)  # already had one this cycle
    error = models.CharField(max_length=200, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=RunStatus.values), name="statement_run_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Statement run {self.pk} {self.status}"

    @property
    def percent(self) -> int:
        return 100 if not self.total else int(self.processed * 100 / self.total)


class Statement(models.Model):
    """A guarantor's statement for one cycle; never changed once written (delivery aside)."""

    account = models.ForeignKey("ledger.Account", on_delete=models.PROTECT, related_name="+")
    run = models.ForeignKey(
        StatementRun, on_delete=models.PROTECT, null=True, blank=True, related_name="statements"
    )
    cycle_date = models.DateField()  # the day the statement was produced
    period_start = models.DateField()
    period_end = models.DateField()
    opening_balance = MoneyField()
    amount_due = MoneyField()
    due_date = models.DateField()
    # [{"date", "kind", "description", "bucket", "amount"}] as posted: the statement stays as sent.
    lines = models.JSONField(default=list)
    pdf = models.FileField(upload_to=_statement_path)
    pdf_sha256 = models.CharField(max_length=64)
    delivery = models.CharField(max_length=8, choices=Delivery.choices)
    delivered_to = models.CharField(max_length=254, blank=True)  # the consented e-mail address
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    objects = AccountScoped.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "cycle_date"], name="statement_once_per_account_day"
            ),
            models.CheckConstraint(
                condition=Q(delivery__in=Delivery.values), name="statement_delivery_valid"
            ),
            models.CheckConstraint(
                condition=Q(period_start__lte=models.F("period_end")),
                name="statement_period_ordered",
            ),
        ]
        indexes = [models.Index(fields=["account", "cycle_date"])]

    def __str__(self) -> str:
        return f"Statement {self.pk} {self.cycle_date}"


class PaymentPlan(TimeStampedModel):
    """An agreement to pay ``total`` in scheduled instalments."""

    account = models.ForeignKey("ledger.Account", on_delete=models.PROTECT, related_name="+")
    total = MoneyField()
    instalment_count = models.PositiveSmallIntegerField()
    frequency = models.CharField(max_length=10, choices=PlanFrequency.choices)
    start_date = models.DateField()
    status = models.CharField(max_length=10, choices=PlanStatus.choices, default=PlanStatus.ACTIVE)
    # Payments posted from this instant on count towards the plan.
    counts_from = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancel_reason = models.CharField(max_length=200, blank=True)

    objects = AccountScoped.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(total__gt=0), name="plan_total_positive"),
            models.CheckConstraint(
                condition=Q(instalment_count__gte=2, instalment_count__lte=60),
                name="plan_instalments_2_to_60",
            ),
            models.CheckConstraint(
                condition=Q(frequency__in=PlanFrequency.values), name="plan_frequency_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=PlanStatus.values), name="plan_status_valid"
            ),
            # One active plan per account.
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(status=PlanStatus.ACTIVE),
                name="plan_one_active_per_account",
            ),
        ]

    def __str__(self) -> str:
        return f"Plan {self.pk} {self.total} x{self.instalment_count}"


class InstalmentQuerySet(RestrictedQuerySet):
    def scope_for(self, user: Actor) -> Self:
        return self.filter(plan__in=PaymentPlan.objects.scope_for(user).values("pk"))


class Instalment(models.Model):
    """One scheduled part of a plan. Paid or not is computed from the ledger (see module doc)."""

    plan = models.ForeignKey(PaymentPlan, on_delete=models.PROTECT, related_name="instalments")
    number = models.PositiveSmallIntegerField()
    due_date = models.DateField()
    amount = MoneyField()
    reminded_at = models.DateTimeField(null=True, blank=True)

    objects = InstalmentQuerySet.as_manager()

    class Meta:
        ordering = ["plan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="instalment_number_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="instalment_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"Instalment {self.number} of plan {self.plan_id}"

"""Eligibility checks (one 270 sent, its 271 answer) and the structured benefits the answer carried.

An ``EligibilityCheck`` asks one payer whether one coverage is in force on one date of service (the
appointment's local date, never the policy's effective date) and keeps the answer: the summary the
screens use (active, plan, group, coverage dates, the payer's rejections in plain words) and one
``EligibilityBenefit`` row per EB loop and service type. The 270 sent and the 271 received are kept
encrypted for audit, and the clearinghouse's Exchange rows of both files are linked. A check that could not be completed (clearinghouse down, garbage answer, a 271 for a
different member) is ``failed`` with the reason in plain words and a time to retry.

``EligibilityBatch`` is one run of the nightly batch (the next days' booked appointments), with the
counts the progress page shows.
"""

from __future__ import annotations

from typing import Self

from django.conf import settings
from django.db import models
from django.db.models import Q

from frontdesk.core.fields import EncryptedTextField
from frontdesk.core.money import MoneyField
from frontdesk.core.queryset import Actor, RestrictedQuerySet
from frontdesk.eligibility.choices import (
    TIME_PERIODS,
    BatchStatus,
    BenefitKind,
    CheckSource,
    CheckStatus,
    CoverageLevel,
    Network,
)


class CheckQuerySet(RestrictedQuerySet):
    def scope_for(self, user: Actor) -> Self:
        # A check is scoped by its patient: the restricted-chart rule applies to its insurance too.
        from frontdesk.patients.models import Patient

        return self.filter(patient__in=Patient.objects.scope_for(user).values("pk"))


class EligibilityBatch(models.Model):
    """One run of the eligibility batch: which days it covered and how far it got."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    first_day = models.DateField()
    last_day = models.DateField()
    status = models.CharField(
        max_length=10, choices=BatchStatus.choices, default=BatchStatus.QUEUED
    )
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)  # checked recently: not asked again
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    error = models.CharField(max_length=300, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=BatchStatus.values), name="elig_batch_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(last_day__gte=models.F("first_day")), name="elig_batch_days_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"Eligibility batch {self.pk} ({self.first_day}–{self.last_day})"

    @property
    def finished_count(self) -> int:
        return self.done + self.failed + self.skipped

    @property
    def percent(self) -> int:
        if not self.total:
            return 100 if self.status == BatchStatus.DONE else 0
        return min(100, round(100 * self.finished_count / self.total))


class EligibilityCheck(models.Model):
    """One eligibility inquiry (270) for one coverage and date of service, and its answer (271)."""

    coverage = models.ForeignKey(
        "patients.Coverage", on_delete=models.PROTECT, related_name="eligibility_checks"
    )
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    appointment = models.ForeignKey(
        "scheduling.Appointment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="eligibility_checks",
    )
    batch = models.ForeignKey(
        EligibilityBatch, on_delete=models.PROTECT, null=True, blank=True, related_name="checks"
    )
    date_of_service = models.DateField()
    status = models.CharField(
        max_length=10, choices=CheckStatus.choices, default=CheckStatus.QUEUED
    )
    source = models.CharField(
        max_length=10, choices=CheckSource.choices, default=CheckSource.REALTIME
    )
    trace_number = models.CharField(max_length=50, unique=True)  # TRN02, echoed in the 271
    requested_at = models.DateTimeField()
    responded_at = models.DateTimeField(null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The clearinghouse's log of the files sent and received (it holds them encrypted too).
    request_exchange = models.ForeignKey(
        "clearinghouse.Exchange",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    response_exchange = models.ForeignKey(
        "clearinghouse.Exchange",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    request_x12 = EncryptedTextField(blank=True)  # the 270 as sent
    response_x12 = EncryptedTextField(blank=True)  # the 271 as received (audit)
    failure_reason = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_retry_at = models.DateTimeField(null=True, blank=True)
    # The answer, summarised (None: not known).
    active = models.BooleanField(null=True, blank=True)
    plan_name = models.CharField(max_length=120, blank=True)
    group_number = models.CharField(max_length=50, blank=True)
    group_name = models.CharField(max_length=120, blank=True)
    coverage_begin = models.DateField(null=True, blank=True)
    coverage_end = models.DateField(null=True, blank=True)
    payer_name = models.CharField(max_length=120, blank=True)  # as the 271 names it
    member_id = models.CharField(max_length=80, blank=True)  # as the 271 returns it
    rejections = models.JSONField(
        default=list, blank=True
    )  # [{"code", "follow_up", "loop", "message"}]

    objects = CheckQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-pk"]
        indexes = [
            models.Index(fields=["coverage", "date_of_service", "-requested_at"]),
            models.Index(fields=["status", "next_retry_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=CheckStatus.values), name="elig_check_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(source__in=CheckSource.values), name="elig_check_source_valid"
            ),
            models.CheckConstraint(condition=~Q(trace_number=""), name="elig_check_trace_required"),
            models.CheckConstraint(
                condition=~Q(status=CheckStatus.FAILED) | ~Q(failure_reason=""),
                name="elig_check_failed_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=[CheckStatus.COMPLETE, CheckStatus.REJECTED])
                | Q(responded_at__isnull=False),
                name="elig_check_answered_has_time",
            ),
            models.CheckConstraint(
                condition=Q(coverage_end__isnull=True)
                | Q(coverage_begin__isnull=True)
                | Q(coverage_end__gte=models.F("coverage_begin")),
                name="elig_check_coverage_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"Eligibility check {self.pk} ({self.status})"

    @property
    def is_answered(self) -> bool:
        return self.status in (CheckStatus.COMPLETE, CheckStatus.REJECTED)


class EligibilityBenefit(models.Model):
    """One benefit of a 271 (an EB loop, one row per service type it names)."""

    # "check" would shadow ``Model.check`` (Django's system checks).
    eligibility_check = models.ForeignKey(
        EligibilityCheck, on_delete=models.CASCADE, related_name="benefits"
    )
    service_type = models.CharField(max_length=3, blank=True)  # EB03 ("" when none was named)
    code = models.CharField(max_length=2)  # EB01 as returned
    kind = models.CharField(max_length=24, choices=BenefitKind.choices)
    coverage_level = models.CharField(
        max_length=3, choices=CoverageLevel.choices, blank=True, default=CoverageLevel.UNSPECIFIED
    )
    network = models.CharField(max_length=8, choices=Network.choices, default=Network.UNKNOWN)
    time_period = models.CharField(max_length=2, blank=True)  # EB06
    amount = MoneyField(null=True, blank=True)  # EB07
    percent = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True)  # EB08
    insurance_type = models.CharField(max_length=3, blank=True)  # EB04
    plan_description = models.CharField(max_length=120, blank=True)  # EB05
    quantity_qualifier = models.CharField(max_length=2, blank=True)
    quantity = models.DecimalField(max_digits=15, decimal_places=3, null=True, blank=True)
    authorization_required = models.CharField(max_length=1, blank=True)  # EB11
    procedure_code = models.CharField(max_length=48, blank=True)  # EB13-2
    messages = models.JSONField(default=list, blank=True)  # MSG01s

    class Meta:
        ordering = ["eligibility_check", "service_type", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=BenefitKind.values), name="elig_benefit_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(coverage_level__in=CoverageLevel.values),
                name="elig_benefit_level_valid",
            ),
            models.CheckConstraint(
                condition=Q(network__in=Network.values), name="elig_benefit_network_valid"
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gte=0),
                name="elig_benefit_amount_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(percent__isnull=True) | (Q(percent__gte=0) & Q(percent__lte=1)),
                name="elig_benefit_percent_fraction",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.service_type or 'all'})"

    @property
    def service_type_label(self) -> str:
        try:
            from frontdesk.standards.x12.eligibility import SERVICE_TYPES
        except ImportError:  # the codec is optional for reading stored rows
            return ""
        return str(SERVICE_TYPES.get(self.service_type, ""))

    @property
    def time_period_label(self) -> str:
        return TIME_PERIODS.get(self.time_period, self.time_period)

    @property
    def percent_text(self) -> str:
        """ "20" for a percent of 0.2 ("" when none)."""
        if self.percent is None:
            return ""
        return format((self.percent * 100).normalize(), "f")

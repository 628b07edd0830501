"""Scheduling: appointment types, provider availability templates, exceptions, appointments, holds.

Times are aware datetimes stored in UTC; calendar rules (templates) are local wall times evaluated in the
location's timezone. Intervals are half-open [start, end). On PostgreSQL, exclusion constraints (migration
0002) guarantee that active appointments of one provider, room, piece of equipment or patient never overlap.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Self

from django.conf import settings
from django.db import models

from frontdesk.core.models import TimeStampedModel
from frontdesk.core.queryset import RestrictedQuerySet
from frontdesk.practice.choices import RoomKind
from frontdesk.practice.models import LocationScopedQuerySet
from frontdesk.scheduling.choices import (
    ACTIVE_STATUSES,
    AppointmentStatus,
    CancellationReason,
    CancelledBy,
    ConfirmationStatus,
    EventKind,
    ExceptionReason,
    Modality,
    PatientKind,
    TemplateKind,
)


class AppointmentType(TimeStampedModel):
    """What can be booked: duration, who may take it, what it needs, buffers and a daily cap."""

    name = models.CharField(max_length=100)
    code = models.SlugField(max_length=40, unique=True)
    duration_minutes = models.PositiveIntegerField()
    color = models.CharField(max_length=7, default="#4a90d9", help_text="Hex colour, #rrggbb.")
    patient_kind = models.CharField(
        max_length=12, choices=PatientKind.choices, default=PatientKind.ANY
    )
    modality = models.CharField(max_length=12, choices=Modality.choices, default=Modality.IN_PERSON)
    providers = models.ManyToManyField(
        "practice.Provider",
        blank=True,
        related_name="appointment_types",
        help_text="Blank: any provider whose specialty is listed (or any provider at all).",
    )
    specialties = models.JSONField(default=list, blank=True)
    required_room_kind = models.CharField(
        max_length=20, choices=RoomKind.choices, blank=True, default=""
    )
    required_equipment_kind = models.CharField(max_length=40, blank=True, default="")
    buffer_before_minutes = models.PositiveIntegerField(default=0)
    buffer_after_minutes = models.PositiveIntegerField(default=0)
    daily_cap_per_provider = models.PositiveIntegerField(null=True, blank=True)
    instructions = models.TextField(blank=True, help_text="Patient-facing; no PHI.")
    requires_referral = models.BooleanField(default=False)
    requires_prior_auth = models.BooleanField(default=False)
    estimate_codes = models.CharField(
        max_length=200,
        blank=True,
        default="",
        help_text="Procedure codes the visit is expected to bill, e.g. 99213, 36415 x2 (the "
        "patient cost estimate shown at scheduling and check-in). Blank: none planned.",
    )
    is_active = models.BooleanField(default=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(duration_minutes__gt=0, duration_minutes__lte=720),
                name="apptype_duration_range",
            ),
            models.CheckConstraint(
                condition=models.Q(color__regex=r"^#[0-9a-fA-F]{6}$"), name="apptype_color_hex"
            ),
            models.CheckConstraint(
                condition=models.Q(patient_kind__in=PatientKind.values),
                name="apptype_patient_kind_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(modality__in=Modality.values), name="apptype_modality_valid"
            ),
            models.CheckConstraint(
                # Bounded so a visit plus its buffers never spans more than 24 hours: slot search
                # relies on that to read busy time through a short index range.
                condition=models.Q(
                    buffer_before_minutes__gte=0,
                    buffer_after_minutes__gte=0,
                    buffer_before_minutes__lte=240,
                    buffer_after_minutes__lte=240,
                ),
                name="apptype_buffers_range",
            ),
            models.CheckConstraint(
                condition=models.Q(daily_cap_per_provider__isnull=True)
                | models.Q(daily_cap_per_provider__gt=0),
                name="apptype_daily_cap_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def duration(self) -> timedelta:
        return timedelta(minutes=self.duration_minutes)

    @property
    def buffer_before(self) -> timedelta:
        return timedelta(minutes=self.buffer_before_minutes)

    @property
    def buffer_after(self) -> timedelta:
        return timedelta(minutes=self.buffer_after_minutes)


class AvailabilityTemplate(TimeStampedModel):
    """A weekly recurring window of a provider at a location: open, blocked or reserved."""

    provider = models.ForeignKey(
        "practice.Provider", on_delete=models.CASCADE, related_name="availability_templates"
    )
    location = models.ForeignKey(
        "practice.Location", on_delete=models.CASCADE, related_name="availability_templates"
    )
    weekday = models.PositiveSmallIntegerField(help_text="0 = Monday … 6 = Sunday.")
    start_time = models.TimeField()
    end_time = models.TimeField()
    effective_from = models.DateField()
    effective_until = models.DateField(null=True, blank=True, help_text="Inclusive.")
    kind = models.CharField(max_length=10, choices=TemplateKind.choices, default=TemplateKind.OPEN)
    appointment_types = models.ManyToManyField(
        AppointmentType,
        blank=True,
        related_name="templates",
        help_text="Blank: every type may be booked in this window.",
    )
    release_minutes_before = models.PositiveIntegerField(null=True, blank=True)
    label = models.CharField(max_length=60, blank=True)

    objects = LocationScopedQuerySet.as_manager()

    class Meta:
        ordering = ["provider", "location", "weekday", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_time__gt=models.F("start_time")),
                name="template_end_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(weekday__gte=0, weekday__lte=6), name="template_weekday_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=TemplateKind.values), name="template_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(effective_until__isnull=True)
                | models.Q(effective_until__gte=models.F("effective_from")),
                name="template_effective_range_valid",
            ),
        ]
        indexes = [models.Index(fields=["provider", "location", "weekday"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.weekday} {self.start_time}-{self.end_time}"


class ScheduleException(TimeStampedModel):
    """Time off or a one-off block: removes availability of a provider and/or a location."""

    provider = models.ForeignKey(
        "practice.Provider",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="schedule_exceptions",
        help_text="Blank: the whole location.",
    )
    location = models.ForeignKey(
        "practice.Location",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="schedule_exceptions",
        help_text="Blank: all of the provider's locations.",
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(
        max_length=10, choices=ExceptionReason.choices, default=ExceptionReason.OTHER
    )
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="exception_end_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(provider__isnull=False) | models.Q(location__isnull=False),
                name="exception_has_provider_or_location",
            ),
            models.CheckConstraint(
                condition=models.Q(reason__in=ExceptionReason.values),
                name="exception_reason_valid",
            ),
        ]
        indexes = [models.Index(fields=["starts_at", "ends_at"])]


class AppointmentSeries(TimeStampedModel):
    """A recurring series (weekly every N weeks, COUNT occurrences); each occurrence is its own row."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="appointment_series"
    )
    provider = models.ForeignKey(
        "practice.Provider", on_delete=models.PROTECT, related_name="appointment_series"
    )
    location = models.ForeignKey(
        "practice.Location", on_delete=models.PROTECT, related_name="appointment_series"
    )
    appointment_type = models.ForeignKey(
        AppointmentType, on_delete=models.PROTECT, related_name="series"
    )
    interval_weeks = models.PositiveSmallIntegerField(default=1)
    count = models.PositiveSmallIntegerField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    objects = LocationScopedQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "appointment series"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(interval_weeks__gt=0), name="series_interval_positive"
            ),
            models.CheckConstraint(condition=models.Q(count__gt=0), name="series_count_positive"),
        ]


class AppointmentQuerySet(LocationScopedQuerySet):
    def active(self) -> Self:
        return self.filter(status__in=ACTIVE_STATUSES)

    def overlapping(self, start: object, end: object) -> Self:
        """Rows whose [starts_at, ends_at) intersects [start, end) (half-open: touching is fine)."""
        return self.filter(starts_at__lt=end, ends_at__gt=start)


class Appointment(TimeStampedModel):
    """One booked visit: patient, provider, location, type, time, and the resources it takes."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="appointments"
    )
    provider = models.ForeignKey(
        "practice.Provider", on_delete=models.PROTECT, related_name="appointments"
    )
    location = models.ForeignKey(
        "practice.Location", on_delete=models.PROTECT, related_name="appointments"
    )
    appointment_type = models.ForeignKey(
        AppointmentType, on_delete=models.PROTECT, related_name="appointments"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(
        max_length=20, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED
    )
    room = models.ForeignKey(
        "practice.Room",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appointments",
    )
    equipment = models.ForeignKey(
        "practice.Equipment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appointments",
    )
    series = models.ForeignKey(
        AppointmentSeries,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appointments",
    )
    link_group = models.UUIDField(null=True, blank=True, db_index=True)
    is_overbook = models.BooleanField(default=False)
    overbook_reason = models.CharField(max_length=200, blank=True)
    cancellation_reason = models.CharField(
        max_length=30, choices=CancellationReason.choices, blank=True
    )
    cancelled_by = models.CharField(max_length=10, choices=CancelledBy.choices, blank=True)
    is_late_cancel = models.BooleanField(default=False)
    confirmation_status = models.CharField(
        max_length=24, choices=ConfirmationStatus.choices, default=ConfirmationStatus.UNCONFIRMED
    )
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="booked_appointments",
    )
    # Client-chosen key that makes a repeated POST return the first booking instead of a second one.
    idempotency_key = models.CharField(max_length=80, blank=True)

    objects = AppointmentQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="appointment_end_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=AppointmentStatus.values),
                name="appointment_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(is_overbook=False) | ~models.Q(overbook_reason=""),
                name="appointment_overbook_has_reason",
            ),
            models.CheckConstraint(
                condition=models.Q(cancelled_by__in=[*CancelledBy.values, ""]),
                name="appointment_cancelled_by_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(confirmation_status__in=ConfirmationStatus.values),
                name="appointment_confirmation_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=AppointmentStatus.CANCELLED)
                | (~models.Q(cancellation_reason="") & ~models.Q(cancelled_by="")),
                name="appointment_cancel_has_reason",
            ),
            models.UniqueConstraint(
                fields=["booked_by", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="appointment_idempotency_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["provider", "starts_at"]),
            models.Index(fields=["location", "starts_at"]),
            models.Index(fields=["patient", "starts_at"]),
        ]

    def __str__(self) -> str:
        return f"Appointment {self.pk} at {self.starts_at:%Y-%m-%d %H:%M}Z"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class AppointmentEvent(models.Model):
    """Append-only history of one appointment (booked, moved, cancelled, no-show)."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    old_starts_at = models.DateTimeField(null=True, blank=True)
    new_starts_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=200, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=EventKind.values), name="appt_event_kind_valid"
            )
        ]


class SlotHold(models.Model):
    """A few minutes' claim on a slot for a caller; busy for everyone else until it expires."""

    provider = models.ForeignKey(
        "practice.Provider", on_delete=models.CASCADE, related_name="slot_holds"
    )
    location = models.ForeignKey(
        "practice.Location", on_delete=models.CASCADE, related_name="slot_holds"
    )
    appointment_type = models.ForeignKey(
        AppointmentType, on_delete=models.CASCADE, related_name="holds"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    held_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="slot_holds"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    released_at = models.DateTimeField(null=True, blank=True)

    objects = LocationScopedQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="hold_end_after_start",
            ),
        ]
        indexes = [models.Index(fields=["provider", "expires_at"])]

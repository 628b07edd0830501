"""Chart prep: what a visit needs on file before the day (authorizations, consents, outside records),
the computed readiness of each upcoming appointment, and the follow-up of no-shows and late cancels.
"""

from __future__ import annotations

from typing import Self

from django.conf import settings
from django.db import models

from frontdesk.chartprep.choices import (
    AuthorizationKind,
    AuthorizationStatus,
    CaseKind,
    CaseOutcome,
    CaseStatus,
    ConsentKind,
    ConsentMethod,
    OutreachChannel,
    OutreachOutcome,
)
from frontdesk.core.models import TimeStampedModel
from frontdesk.core.queryset import Actor, RestrictedQuerySet
from frontdesk.practice.models import LocationScopedQuerySet


class PatientScopedQuerySet(RestrictedQuerySet):
    """Rows about a patient: visible when the patient is (confidential charts stay hidden)."""

    def scope_for(self, user: Actor) -> Self:
        from frontdesk.patients.models import Patient

        visible = Patient.objects.all().scope_for(user)
        return self.filter(patient__in=visible.values("pk"))


class Authorization(TimeStampedModel):
    """A referral or a payer's prior authorization on file for a patient (FHIR ServiceRequest /
    CoverageEligibilityResponse.authorization): who referred, how long it is good for, how many
    visits (units) it allows and which appointment types it covers."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="authorizations"
    )
    kind = models.CharField(max_length=12, choices=AuthorizationKind.choices)
    payer = models.ForeignKey(
        "practice.Payer", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    plan = models.ForeignKey(
        "practice.Plan", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    number = models.CharField(
        max_length=40, blank=True, help_text="The payer's or referral number."
    )
    referring_provider_name = models.CharField(max_length=120, blank=True)
    referring_provider_npi = models.CharField(max_length=10, blank=True)
    valid_from = models.DateField()
    valid_until = models.DateField(null=True, blank=True, help_text="Inclusive; blank: open-ended.")
    units_approved = models.PositiveIntegerField(
        null=True, blank=True, help_text="Visits allowed; blank: not limited."
    )
    units_used = models.PositiveIntegerField(default=0)
    appointment_types = models.ManyToManyField(
        "scheduling.AppointmentType",
        blank=True,
        related_name="+",
        help_text="Blank: covers every appointment type.",
    )
    cpt_codes = models.JSONField(default=list, blank=True, help_text="CPT/HCPCS codes covered.")
    status = models.CharField(
        max_length=10, choices=AuthorizationStatus.choices, default=AuthorizationStatus.ACTIVE
    )
    note = models.CharField(max_length=200, blank=True, help_text="Administrative only.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    objects = PatientScopedQuerySet.as_manager()

    class Meta:
        ordering = ["patient", "-valid_from", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_until__isnull=True)
                | models.Q(valid_until__gte=models.F("valid_from")),
                name="authorization_dates_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(units_used__gte=0), name="authorization_used_nonnegative"
            ),
            models.CheckConstraint(
                condition=models.Q(units_approved__isnull=True)
                | models.Q(units_approved__gte=0, units_used__lte=models.F("units_approved")),
                name="authorization_used_within_approved",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=AuthorizationKind.values),
                name="authorization_kind_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=AuthorizationStatus.values),
                name="authorization_status_valid",
            ),
        ]
        indexes = [models.Index(fields=["patient", "kind", "status"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.pk}"

    @property
    def units_left(self) -> int | None:
        if self.units_approved is None:
            return None
        return self.units_approved - self.units_used


class ConsentAcknowledgement(models.Model):
    """A patient's signature or acknowledgement of a form (privacy notice, financial policy, consent)."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="consent_acknowledgements"
    )
    kind = models.CharField(max_length=30, choices=ConsentKind.choices)
    acknowledged_at = models.DateTimeField()
    method = models.CharField(max_length=12, choices=ConsentMethod.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PatientScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-acknowledged_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=ConsentKind.values), name="consent_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(method__in=ConsentMethod.values), name="consent_method_valid"
            ),
        ]
        indexes = [models.Index(fields=["patient", "kind", "acknowledged_at"])]


class RecordsRequest(TimeStampedModel):
    """Outside records or results asked for before a visit, and when (if) they arrived."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="records_requests"
    )
    requested_from = models.CharField(max_length=120, help_text="Practice, hospital or lab.")
    requested_at = models.DateTimeField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    received_at = models.DateTimeField(null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = PatientScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(received_at__isnull=True)
                | models.Q(received_at__gte=models.F("requested_at"), received_by__isnull=False),
                name="records_received_after_requested",
            ),
            models.CheckConstraint(
                condition=~models.Q(requested_from=""), name="records_requested_from_required"
            ),
        ]
        indexes = [models.Index(fields=["patient", "received_at"])]


class Readiness(models.Model):
    """The computed chart-prep checklist of one upcoming appointment (recomputed, never edited).

    ``items`` is a list of ``{"key", "label", "status", "message"}``; ``owners`` maps an item key to
    who works it: ``{"user_id": 7, "name": "..."}`` or ``{"role": "billing"}``. ``location`` and
    ``starts_at`` are copied from the appointment so the worklist filters on one indexed table.
    """

    appointment = models.OneToOneField(
        "scheduling.Appointment", on_delete=models.CASCADE, related_name="readiness"
    )
    location = models.ForeignKey("practice.Location", on_delete=models.CASCADE, related_name="+")
    starts_at = models.DateTimeField()
    is_ready = models.BooleanField()
    missing = models.JSONField(default=list, help_text="Keys of the missing items.")
    items = models.JSONField(default=list)
    owners = models.JSONField(default=dict, blank=True)
    computed_at = models.DateTimeField()

    objects = LocationScopedQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "pk"]
        indexes = [models.Index(fields=["location", "starts_at"])]


class NoShowCase(models.Model):
    """A missed visit (no-show) or a same-day / late cancellation the desk follows up until the
    patient is rebooked or the case is closed with an outcome."""

    appointment = models.OneToOneField(
        "scheduling.Appointment", on_delete=models.PROTECT, related_name="noshow_case"
    )
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey("practice.Location", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=CaseKind.choices)
    status = models.CharField(max_length=10, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    outcome = models.CharField(max_length=20, choices=CaseOutcome.choices, blank=True)
    rebooked_appointment = models.ForeignKey(
        "scheduling.Appointment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.CharField(
        max_length=200, blank=True, help_text="Scheduling only; nothing clinical."
    )

    objects = LocationScopedQuerySet.as_manager()

    class Meta:
        ordering = ["opened_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=CaseKind.values), name="noshow_case_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status=CaseStatus.OPEN, closed_at__isnull=True, outcome="")
                | (
                    models.Q(status=CaseStatus.CLOSED, closed_at__isnull=False)
                    & ~models.Q(outcome="")
                ),
                name="noshow_case_closed_has_outcome",
            ),
            models.CheckConstraint(
                condition=models.Q(outcome__in=[*CaseOutcome.values, ""]),
                name="noshow_case_outcome_valid",
            ),
        ]
        indexes = [models.Index(fields=["location", "status", "opened_at"])]


class OutreachAttempt(models.Model):
    """One call or message to a patient about a no-show case, and what came of it."""

    case = models.ForeignKey(NoShowCase, on_delete=models.CASCADE, related_name="attempts")
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=10, choices=OutreachChannel.choices)
    outcome = models.CharField(max_length=20, choices=OutreachOutcome.choices)
    note = models.CharField(
        max_length=200, blank=True, help_text="Scheduling only; nothing clinical."
    )

    class Meta:
        ordering = ["at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(channel__in=OutreachChannel.values),
                name="outreach_channel_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(outcome__in=OutreachOutcome.values),
                name="outreach_outcome_valid",
            ),
        ]

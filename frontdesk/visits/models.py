"""Today's visit at the front desk: the check-in record and the patient's flow through the office.

A ``Visit`` exists once a patient is checked in (before that the appointment itself is "expected"). Its
state is mirrored onto the appointment's FHIR status by the services (checked-in while in the office,
fulfilled when done, booked again when a check-in is undone). ``FlowEvent`` is the append-only history
of every move; ``CheckIn`` what was confirmed at the desk; ``RunningLateNotice`` a provider's delay.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from frontdesk.core.models import TimeStampedModel
from frontdesk.practice.models import LocationScopedQuerySet
from frontdesk.visits.choices import FlowState, IdentityMethod

_IN_OFFICE = [FlowState.ARRIVED, FlowState.ROOMED, FlowState.CHECKOUT, FlowState.DONE]


class Visit(TimeStampedModel):
    """One appointment's trip through the office today: its flow state, room and transition times."""

    appointment = models.OneToOneField(
        "scheduling.Appointment", on_delete=models.PROTECT, related_name="visit"
    )
    # Copied from the appointment: scoping and the one-patient-per-room rule read it without a join.
    location = models.ForeignKey("practice.Location", on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=10, choices=FlowState.choices, default=FlowState.EXPECTED)
    state_since = models.DateTimeField()
    room = models.ForeignKey(
        "practice.Room", on_delete=models.PROTECT, null=True, blank=True, related_name="visits"
    )
    arrived_at = models.DateTimeField(null=True, blank=True)
    roomed_at = models.DateTimeField(null=True, blank=True)
    checkout_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    objects = LocationScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=FlowState.values), name="visit_state_valid"
            ),
            # A room is held only while the patient is in it.
            models.CheckConstraint(
                condition=(models.Q(state=FlowState.ROOMED) & models.Q(room__isnull=False))
                | (~models.Q(state=FlowState.ROOMED) & models.Q(room__isnull=True)),
                name="visit_room_iff_roomed",
            ),
            # One patient per room at a time.
            models.UniqueConstraint(
                fields=["room"],
                condition=models.Q(state=FlowState.ROOMED),
                name="visit_one_patient_per_room",
            ),
            models.CheckConstraint(
                condition=~models.Q(state__in=_IN_OFFICE) | models.Q(arrived_at__isnull=False),
                name="visit_in_office_has_arrival",
            ),
        ]
        indexes = [models.Index(fields=["location", "state"])]

    def __str__(self) -> str:
        return f"Visit {self.pk} ({self.state})"


class FlowEvent(models.Model):
    """Append-only: one move of a visit on the board (who, when, from, to, room, and why if backwards)."""

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="events")
    from_state = models.CharField(max_length=10, choices=FlowState.choices)
    to_state = models.CharField(max_length=10, choices=FlowState.choices)
    room = models.ForeignKey(
        "practice.Room", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    is_backward = models.BooleanField(default=False)
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(from_state__in=FlowState.values, to_state__in=FlowState.values),
                name="flow_event_states_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(is_backward=False) | ~models.Q(reason=""),
                name="flow_event_backward_has_reason",
            ),
        ]


class CheckIn(models.Model):
    """What the desk confirmed when the patient arrived: identity, demographics, insurance, money due.

    At most one standing check-in per visit; an undone one keeps its row (with who, when and why).
    """

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="check_ins")
    checked_in_at = models.DateTimeField()
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    identity_method = models.CharField(max_length=10, choices=IdentityMethod.choices)
    demographics_confirmed = models.BooleanField(default=False)
    changed_fields = models.JSONField(default=list, blank=True)
    insurance_confirmed = models.BooleanField(default=False)
    coverage = models.ForeignKey(
        "patients.Coverage", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    verification = models.ForeignKey(
        "patients.Verification",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The per-visit verification written with this check-in.",
    )
    copay_due = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    is_self_pay = models.BooleanField(default=False)
    override_reason = models.CharField(max_length=200, blank=True)
    override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    undo_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["checked_in_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["visit"],
                condition=models.Q(undone_at__isnull=True),
                name="checkin_one_standing_per_visit",
            ),
            models.CheckConstraint(
                condition=models.Q(identity_method__in=IdentityMethod.values),
                name="checkin_identity_method_valid",
            ),
            models.CheckConstraint(
                condition=(models.Q(override_reason="") & models.Q(override_by__isnull=True))
                | (~models.Q(override_reason="") & models.Q(override_by__isnull=False)),
                name="checkin_override_has_reason_and_manager",
            ),
            models.CheckConstraint(
                condition=models.Q(undone_at__isnull=True)
                | (~models.Q(undo_reason="") & models.Q(undone_by__isnull=False)),
                name="checkin_undo_has_reason",
            ),
            models.CheckConstraint(
                condition=models.Q(copay_due__isnull=True) | models.Q(copay_due__gte=0),
                name="checkin_copay_not_negative",
            ),
        ]


class RunningLateNotice(models.Model):
    """A provider running N minutes late on a day at a location, and how many patients were told."""

    provider = models.ForeignKey("practice.Provider", on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey("practice.Location", on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    delay_minutes = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    patients_notified = models.PositiveIntegerField(default=0)
    messages_sent = models.PositiveIntegerField(default=0)

    objects = LocationScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "location", "day", "delay_minutes"],
                name="late_notice_once_per_delay",
            ),
            models.CheckConstraint(
                condition=models.Q(delay_minutes__gte=5, delay_minutes__lte=240),
                name="late_notice_delay_range",
            ),
        ]

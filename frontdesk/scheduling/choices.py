"""Vocabularies of the scheduling app (FHIR Appointment.status and friends)."""

from __future__ import annotations

from django.db import models


class PatientKind(models.TextChoices):
    NEW = "new", "New patient"
    ESTABLISHED = "established", "Established patient"
    ANY = "any", "Any patient"


class Modality(models.TextChoices):
    IN_PERSON = "in_person", "In person"
    TELEHEALTH = "telehealth", "Telehealth"


class TemplateKind(models.TextChoices):
    OPEN = "open", "Open"
    BLOCK = "block", "Block"
    RESERVED = "reserved", "Reserved"


class ExceptionReason(models.TextChoices):
    VACATION = "vacation", "Vacation"
    HOLIDAY = "holiday", "Holiday"
    CME = "cme", "Continuing medical education"
    MEETING = "meeting", "Meeting"
    ADMIN = "admin", "Administrative time"
    OTHER = "other", "Other"


class AppointmentStatus(models.TextChoices):
    """FHIR R4 Appointment.status."""

    PROPOSED = "proposed", "Proposed"
    PENDING = "pending", "Pending"
    BOOKED = "booked", "Booked"
    ARRIVED = "arrived", "Arrived"
    FULFILLED = "fulfilled", "Fulfilled"
    CANCELLED = "cancelled", "Cancelled"
    NOSHOW = "noshow", "No-show"
    ENTERED_IN_ERROR = "entered-in-error", "Entered in error"
    CHECKED_IN = "checked-in", "Checked in"
    WAITLIST = "waitlist", "Waitlist"


# Statuses that occupy the provider, the room, the equipment and the patient (count as busy).
ACTIVE_STATUSES: tuple[str, ...] = (
    AppointmentStatus.PROPOSED,
    AppointmentStatus.PENDING,
    AppointmentStatus.BOOKED,
    AppointmentStatus.ARRIVED,
    AppointmentStatus.CHECKED_IN,
    AppointmentStatus.FULFILLED,
)

# Statuses from which an appointment may still be cancelled, rescheduled or marked a no-show.
OPEN_STATUSES: tuple[str, ...] = (
    AppointmentStatus.PROPOSED,
    AppointmentStatus.PENDING,
    AppointmentStatus.BOOKED,
)


class CancelledBy(models.TextChoices):
    PATIENT = "patient", "Patient"
    PRACTICE = "practice", "Practice"


class CancellationReason(models.TextChoices):
    PATIENT_REQUEST = "patient_request", "Patient request"
    PATIENT_ILL = "patient_ill", "Patient ill"
    TRANSPORTATION = "transportation", "Transportation"
    SCHEDULING_CONFLICT = "scheduling_conflict", "Scheduling conflict"
    PROVIDER_UNAVAILABLE = "provider_unavailable", "Provider unavailable"
    WEATHER = "weather", "Weather / office closed"
    INSURANCE = "insurance", "Insurance issue"
    DUPLICATE = "duplicate", "Duplicate booking"
    OTHER = "other", "Other"


class ConfirmationStatus(models.TextChoices):
    UNCONFIRMED = "unconfirmed", "Unconfirmed"
    CONFIRMED = "confirmed", "Confirmed"
    RESCHEDULE_REQUESTED = "reschedule_requested", "Reschedule requested"
    CANCEL_REQUESTED = "cancel_requested", "Cancel requested"


class EventKind(models.TextChoices):
    BOOKED = "booked", "Booked"
    RESCHEDULED = "rescheduled", "Rescheduled"
    CANCELLED = "cancelled", "Cancelled"
    NO_SHOW = "no_show", "Marked no-show"
    STATUS_CHANGED = "status_changed", "Status changed"

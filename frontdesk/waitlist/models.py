"""Waitlist: patients waiting for an earlier (or a specific) time, and the offers made when one opens.

An entry belongs to the location where it was taken (``location``: staff of that location manage it);
its preferences (providers, locations, weekdays, a time window, a date window) say which openings fit.
When a slot opens, ``services.waitlist_slot_opened`` offers it to the best-matching entries; the first
offer accepted books the slot and the sibling offers become "gone".

Invariants held by the database: at most one open offer per entry, and a slot (provider, start) is
accepted at most once.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models

from frontdesk.practice.models import LocationScopedQuerySet


class EntryStatus(models.TextChoices):
    ACTIVE = "active", "Waiting"
    OFFERED = "offered", "Offer out"
    BOOKED = "booked", "Booked"
    CANCELLED = "cancelled", "Cancelled"
    EXPIRED = "expired", "Expired"


class OfferStatus(models.TextChoices):
    OFFERED = "offered", "Offered"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    EXPIRED = "expired", "Expired"
    GONE = "gone", "Gone (taken by someone else)"


OPEN_ENTRY_STATUSES = (EntryStatus.ACTIVE, EntryStatus.OFFERED)


def new_token() -> str:
    return secrets.token_urlsafe(24)


class WaitlistEntry(models.Model):
    """One patient waiting for a time that fits their preferences (blank preference = any)."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="waitlist_entries"
    )
    location = models.ForeignKey(
        "practice.Location",
        on_delete=models.PROTECT,
        related_name="waitlist_entries",
        help_text="Where the entry was taken; staff of this location manage it.",
    )
    appointment_type = models.ForeignKey(
        "scheduling.AppointmentType", on_delete=models.PROTECT, related_name="waitlist_entries"
    )
    providers = models.ManyToManyField(
        "practice.Provider", blank=True, related_name="waitlist_entries"
    )
    locations = models.ManyToManyField(
        "practice.Location", blank=True, related_name="waitlist_preferences"
    )
    weekdays = models.JSONField(default=list, blank=True, help_text="0 = Monday; empty = any day.")
    earliest_time = models.TimeField(null=True, blank=True)
    latest_time = models.TimeField(null=True, blank=True)
    available_from = models.DateField(null=True, blank=True)
    wanted_before = models.DateField(null=True, blank=True)
    current_appointment = models.ForeignKey(
        "scheduling.Appointment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="waitlist_entries",
        help_text="The later appointment the patient wants to move from (cancelled on accept).",
    )
    priority = models.PositiveSmallIntegerField(default=0, help_text="Higher is offered first.")
    status = models.CharField(max_length=10, choices=EntryStatus.choices, default="active")
    note = models.CharField(max_length=200, blank=True, help_text="Scheduling notes only.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    objects = LocationScopedQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name_plural = "waitlist entries"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=EntryStatus.values), name="waitlist_entry_status"
            ),
            models.CheckConstraint(
                condition=models.Q(earliest_time__isnull=True)
                | models.Q(latest_time__isnull=True)
                | models.Q(latest_time__gt=models.F("earliest_time")),
                name="waitlist_entry_time_window",
            ),
            models.CheckConstraint(
                condition=models.Q(available_from__isnull=True)
                | models.Q(wanted_before__isnull=True)
                | models.Q(wanted_before__gt=models.F("available_from")),
                name="waitlist_entry_date_window",
            ),
            models.CheckConstraint(
                condition=models.Q(priority__lte=9), name="waitlist_entry_priority_range"
            ),
        ]
        indexes = [models.Index(fields=["appointment_type", "status"])]


class WaitlistOffer(models.Model):
    """One opened slot offered to one entry, until it is accepted, declined, expires or is gone."""

    entry = models.ForeignKey(WaitlistEntry, on_delete=models.CASCADE, related_name="offers")
    provider = models.ForeignKey("practice.Provider", on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(
        "practice.Location", on_delete=models.PROTECT, related_name="waitlist_offers"
    )
    appointment_type = models.ForeignKey(
        "scheduling.AppointmentType", on_delete=models.PROTECT, related_name="+"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    rank = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=10, choices=OfferStatus.choices, default="offered")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    responded_at = models.DateTimeField(null=True, blank=True)
    delivery = models.CharField(
        max_length=10, default="pending", help_text="sent, or pending (no notifications app)."
    )
    message_ids = models.JSONField(default=list, blank=True)
    appointment = models.ForeignKey(
        "scheduling.Appointment", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    token = models.CharField(max_length=40, unique=True, default=new_token)

    objects = LocationScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "rank", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=OfferStatus.values), name="waitlist_offer_status"
            ),
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="waitlist_offer_end_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")),
                name="waitlist_offer_expiry_after_creation",
            ),
            models.UniqueConstraint(
                fields=["entry"],
                condition=models.Q(status="offered"),
                name="waitlist_one_open_offer_per_entry",
            ),
            models.UniqueConstraint(
                fields=["provider", "starts_at"],
                condition=models.Q(status="accepted"),
                name="waitlist_slot_accepted_once",
            ),
        ]
        indexes = [models.Index(fields=["provider", "starts_at"])]

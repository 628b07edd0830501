"""The practice: organization, locations with hours, rooms and equipment, providers, payers and plans.

Fields follow FHIR R4 / US Core Organization, Location, Practitioner and PractitionerRole, so the FHIR
adapter is a mapping.
"""

from __future__ import annotations

import zoneinfo
from typing import Self

from django.conf import settings
from django.db import models

from frontdesk.core.models import TimeStampedModel
from frontdesk.core.queryset import Actor, RestrictedQuerySet
from frontdesk.practice.choices import PayerType, PlanType, RoomKind, Weekday

TIMEZONE_CHOICES = sorted((name, name) for name in zoneinfo.available_timezones() if "/" in name)


class Address(models.Model):
    """A US postal address (FHIR Address: line, city, state, postalCode, country)."""

    address_line1 = models.CharField("address line 1", max_length=100, blank=True)
    address_line2 = models.CharField("address line 2", max_length=100, blank=True)
    city = models.CharField(max_length=60, blank=True)
    state = models.CharField(max_length=2, blank=True, help_text="Two-letter USPS code.")
    postal_code = models.CharField(max_length=10, blank=True, help_text="ZIP or ZIP+4.")
    country = models.CharField(max_length=2, default="US")

    class Meta:
        abstract = True


class Organization(Address, TimeStampedModel):
    """The practice as a legal entity (billing provider): name, group NPI (type 2), tax id."""

    name = models.CharField(max_length=200)
    npi = models.CharField("group NPI", max_length=10, blank=True)
    tax_id = models.CharField("tax id (EIN)", max_length=10, blank=True)
    phone = models.CharField(max_length=20, blank=True)

    def __str__(self) -> str:
        return self.name


class LocationQuerySet(RestrictedQuerySet):
    def scope_for(self, user: Actor) -> Self:
        from frontdesk.accounts.policy import ALL_LOCATION_ROLES

        if user.role in ALL_LOCATION_ROLES:
            return self
        return self.filter(staff_assignments__user_id=user.pk)


class Location(Address, TimeStampedModel):
    """A place where the practice sees patients, with its own timezone, hours, rooms and equipment."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="locations"
    )
    name = models.CharField(max_length=100, unique=True)
    code = models.SlugField(
        max_length=20, unique=True, help_text="Short code used in lists and URLs."
    )
    timezone = models.CharField(max_length=64, choices=TIMEZONE_CHOICES, default="America/New_York")
    phone = models.CharField(max_length=20, blank=True)
    fax = models.CharField(max_length=20, blank=True)
    npi = models.CharField("location NPI", max_length=10, blank=True)
    place_of_service = models.CharField(
        max_length=2, default="11", help_text="CMS place-of-service code."
    )
    is_active = models.BooleanField(default=True)

    objects = LocationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


class OpeningHours(models.Model):
    """One opening interval of a location on a weekday (several per day allowed, e.g. split shifts)."""

    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens_at = models.TimeField()
    closes_at = models.TimeField()

    class Meta:
        ordering = ["location", "weekday", "opens_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opens_at")),
                name="hours_close_after_open",
            ),
            models.CheckConstraint(
                condition=models.Q(weekday__gte=0, weekday__lte=6), name="hours_weekday_valid"
            ),
            models.UniqueConstraint(
                fields=["location", "weekday", "opens_at"], name="hours_unique_start"
            ),
        ]


class StaffLocation(models.Model):
    """A staff member (or API key's service user) assigned to work at a location."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="location_assignments"
    )
    location = models.ForeignKey(
        Location, on_delete=models.CASCADE, related_name="staff_assignments"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "location"], name="staff_location_unique")
        ]


class LocationScopedQuerySet(RestrictedQuerySet):
    """Rows that belong to a location: visible to staff of that location (or of every location)."""

    def scope_for(self, user: Actor) -> Self:
        from frontdesk.accounts.policy import ALL_LOCATION_ROLES

        if user.role in ALL_LOCATION_ROLES:
            return self
        return self.filter(location__staff_assignments__user_id=user.pk)


class Room(TimeStampedModel):
    """A bookable room at a location (scheduling books rooms of a kind)."""

    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="rooms")
    name = models.CharField(max_length=60)
    kind = models.CharField(max_length=20, choices=RoomKind.choices, default=RoomKind.EXAM)
    is_active = models.BooleanField(default=True)

    objects = LocationScopedQuerySet.as_manager()

    class Meta:
        ordering = ["location", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["location", "name"], name="room_name_unique_per_location"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.location.code})"


class Equipment(TimeStampedModel):
    """A bookable piece of equipment at a location (ECG machine, spirometer, ultrasound)."""

    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="equipment")
    name = models.CharField(max_length=60)
    kind = models.CharField(max_length=40, help_text="What it is, e.g. 'ecg', 'spirometer'.")
    is_active = models.BooleanField(default=True)

    objects = LocationScopedQuerySet.as_manager()

    class Meta:
        ordering = ["location", "name"]
        verbose_name_plural = "equipment"
        constraints = [
            models.UniqueConstraint(
                fields=["location", "name"], name="equipment_name_unique_per_location"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Provider(TimeStampedModel):
    """A clinician who sees patients (FHIR Practitioner + PractitionerRole): NPI, taxonomy, locations."""

    first_name = models.CharField(max_length=60)
    middle_name = models.CharField(max_length=60, blank=True)
    last_name = models.CharField(max_length=60)
    suffix = models.CharField(max_length=20, blank=True)
    credentials = models.CharField(max_length=40, blank=True, help_text="e.g. MD, DO, NP, PA-C.")
    npi = models.CharField("NPI", max_length=10, unique=True)
    taxonomy_code = models.CharField(
        max_length=10, blank=True, help_text="NUCC provider taxonomy, e.g. 207Q00000X."
    )
    specialty = models.CharField(max_length=80, blank=True)
    locations = models.ManyToManyField(Location, related_name="providers", blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="provider",
    )
    allows_overbooking = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)

    # Practice-wide reference data: the role check in ``restrict`` is the whole rule.
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["last_name", "first_name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(npi__regex=r"^[12][0-9]{9}$"), name="provider_npi_format"
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        name = f"{self.first_name} {self.last_name}"
        return f"{name}, {self.credentials}" if self.credentials else name


class Payer(TimeStampedModel):
    """An insurance company or program that pays claims, identified by its clearinghouse payer ID."""

    name = models.CharField(max_length=120)
    payer_id = models.CharField(
        "payer ID", max_length=20, unique=True, help_text="Electronic payer ID (clearinghouse)."
    )
    payer_type = models.CharField(
        max_length=24, choices=PayerType.choices, default=PayerType.COMMERCIAL
    )
    phone = models.CharField(max_length=20, blank=True)
    is_active = models.BooleanField(default=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(payer_type__in=PayerType.values), name="payer_type_valid"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Plan(TimeStampedModel):
    """A benefit plan offered by a payer (e.g. 'Acme Gold PPO')."""

    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="plans")
    name = models.CharField(max_length=120)
    plan_type = models.CharField(max_length=8, choices=PlanType.choices, default=PlanType.PPO)
    requires_referral = models.BooleanField(
        default=False, help_text="Specialist visits need a referral (HMO-style)."
    )
    is_active = models.BooleanField(default=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["payer__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["payer", "name"], name="plan_name_unique_per_payer")
        ]

    def __str__(self) -> str:
        return f"{self.payer.name} — {self.name}"

"""factory_boy factories for every model tests need. Synthetic data only: fake names, example.com."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from frontdesk.accounts.choices import Role
from frontdesk.accounts.models import User
from frontdesk.patients.models import Coverage, Patient, PatientPhone
from frontdesk.payments.models import DrawerSession
from frontdesk.practice.models import (
    Equipment,
    Location,
    Organization,
    Payer,
    Plan,
    Provider,
    Room,
    StaffLocation,
)
from frontdesk.scheduling.models import (
    Appointment,
    AppointmentType,
    AvailabilityTemplate,
    ScheduleException,
    SlotHold,
)
from frontdesk.standards import npi

TEST_PASSWORD = "correct horse battery staple 42"
_HASHED_TEST_PASSWORD = make_password(TEST_PASSWORD)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"staff{n}")
    first_name = factory.Sequence(lambda n: f"Testy{n}")
    last_name = "Staffer"
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    role = Role.FRONT_DESK
    password = _HASHED_TEST_PASSWORD


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = "Example Family Medicine (synthetic)"
    npi = factory.LazyFunction(lambda: npi.make("123456789"))


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Test Clinic {n}")
    code = factory.Sequence(lambda n: f"loc{n}")
    timezone = "America/New_York"
    address_line1 = "1 Example Way"
    city = "Springfield"
    state = "IL"
    postal_code = "62701"


def assign(user: User, *locations: Location) -> User:
    for location in locations:
        StaffLocation.objects.get_or_create(user=user, location=location)
    return user


class RoomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Room

    location = factory.SubFactory(LocationFactory)
    name = factory.Sequence(lambda n: f"Exam {n}")


class EquipmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Equipment

    location = factory.SubFactory(LocationFactory)
    name = factory.Sequence(lambda n: f"ECG cart {n}")
    kind = "ecg"


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider

    first_name = factory.Sequence(lambda n: f"Doc{n}")
    last_name = "Example"
    credentials = "MD"
    npi = factory.Sequence(lambda n: npi.make(f"1{n:08d}"))
    taxonomy_code = "207Q00000X"
    specialty = "Family Medicine"


class PayerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payer

    name = factory.Sequence(lambda n: f"Example Health Plan {n}")
    payer_id = factory.Sequence(lambda n: f"EX{n:05d}")


class PlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Plan

    payer = factory.SubFactory(PayerFactory)
    name = factory.Sequence(lambda n: f"Gold PPO {n}")


class PatientFactory(factory.django.DjangoModelFactory):
    """A patient row written directly (no service): for tests that need data, not registration."""

    class Meta:
        model = Patient

    mrn = factory.Sequence(lambda n: f"T{n:07d}")
    first_name = factory.Sequence(lambda n: f"Testpat{n}")
    last_name = "Zzexample"
    date_of_birth = dt.date(1980, 5, 17)
    sex_at_birth = "F"
    email = factory.LazyAttribute(lambda o: f"{o.first_name.lower()}@example.com")
    first_name_key = factory.LazyAttribute(lambda o: o.first_name.lower())
    last_name_key = factory.LazyAttribute(lambda o: o.last_name.lower())


class PatientPhoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PatientPhone

    patient = factory.SubFactory(PatientFactory)
    number = factory.Sequence(lambda n: f"+1202555{n % 100:04d}")
    digits = factory.LazyAttribute(lambda o: o.number[2:])
    digits_reversed = factory.LazyAttribute(lambda o: o.digits[::-1])


class CoverageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Coverage

    patient = factory.SubFactory(PatientFactory)
    payer = factory.SubFactory(PayerFactory)
    member_id = factory.Sequence(lambda n: f"XM{n:08d}")
    member_id_key = factory.LazyAttribute(lambda o: o.member_id.lower())
    effective_on = dt.date(2026, 1, 1)


# --- scheduling ---------------------------------------------------------------------------------


class AppointmentTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AppointmentType

    name = factory.Sequence(lambda n: f"Office visit {n}")
    code = factory.Sequence(lambda n: f"visit-{n}")
    duration_minutes = 20


class AvailabilityTemplateFactory(factory.django.DjangoModelFactory):
    """An open window, Monday 09:00–12:00, effective from 2026-01-01 with no end."""

    class Meta:
        model = AvailabilityTemplate

    provider = factory.SubFactory(ProviderFactory)
    location = factory.SubFactory(LocationFactory)
    weekday = 0
    start_time = dt.time(9, 0)
    end_time = dt.time(12, 0)
    effective_from = dt.date(2026, 1, 1)
    kind = "open"


class ScheduleExceptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ScheduleException

    reason = "vacation"


class AppointmentFactory(factory.django.DjangoModelFactory):
    """An appointment row written directly (no service, no availability check)."""

    class Meta:
        model = Appointment

    patient = factory.SubFactory(PatientFactory)
    provider = factory.SubFactory(ProviderFactory)
    location = factory.SubFactory(LocationFactory)
    appointment_type = factory.SubFactory(AppointmentTypeFactory)
    starts_at = dt.datetime(2026, 12, 7, 15, 0, tzinfo=dt.UTC)
    ends_at = factory.LazyAttribute(
        lambda o: o.starts_at + dt.timedelta(minutes=o.appointment_type.duration_minutes)
    )
    status = "booked"


class SlotHoldFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SlotHold

    provider = factory.SubFactory(ProviderFactory)
    location = factory.SubFactory(LocationFactory)
    appointment_type = factory.SubFactory(AppointmentTypeFactory)
    starts_at = dt.datetime(2026, 12, 7, 15, 0, tzinfo=dt.UTC)
    ends_at = factory.LazyAttribute(
        lambda o: o.starts_at + dt.timedelta(minutes=o.appointment_type.duration_minutes)
    )
    expires_at = factory.LazyAttribute(lambda o: o.starts_at)
    held_by = factory.SubFactory(UserFactory)


# --- money ---------------------------------------------------------------------------------------


class DrawerSessionFactory(factory.django.DjangoModelFactory):
    """An open cash drawer (written directly: for tests that need one, not the opening flow)."""

    class Meta:
        model = DrawerSession

    location = factory.SubFactory(LocationFactory)
    user = factory.SubFactory(UserFactory)
    workstation = factory.Sequence(lambda n: f"Desk {n}")
    business_date = factory.LazyAttribute(
        lambda o: timezone.now().astimezone(o.location.tzinfo).date()
    )
    opened_at = factory.LazyFunction(timezone.now)
    opening_counts = factory.LazyFunction(lambda: {"20.00": 5, "1.00": 50})
    opening_float = Decimal("150.00")

"""The demo practice: complete, valid, synthetic, deterministic and idempotent."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.management import call_command
from django.core.management.base import CommandError

from frontdesk.accounts.choices import Role
from frontdesk.accounts.models import User
from frontdesk.audit.models import AuditEvent
from frontdesk.core.errors import Conflict
from frontdesk.core.models import Counter
from frontdesk.demo.patients import mrn_format
from frontdesk.demo.practice import DEMO_LOGINS
from frontdesk.demo.services import demo_exists, demo_load
from frontdesk.patients import normalize
from frontdesk.patients.models import Coverage, Patient, PatientPhone
from frontdesk.practice.choices import PayerType
from frontdesk.practice.models import (
    Equipment,
    Location,
    OpeningHours,
    Organization,
    Payer,
    Plan,
    Provider,
    Room,
)
from frontdesk.standards import npi

FICTION_PHONE = re.compile(r"^\+1[2-9]\d{2}55501\d{2}$")


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    # Argon2 costs ~0.5 s per demo login on a busy machine; the hash algorithm is not under test here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _snapshot() -> list[tuple]:
    """The seed-determined content of every patient, ordered by creation (MRNs excluded)."""
    rows = []
    for patient in Patient.objects.order_by("pk").prefetch_related("phones", "coverages"):
        rows.append(
            (
                patient.first_name,
                patient.last_name,
                patient.date_of_birth,
                patient.sex_at_birth,
                patient.address_line1,
                tuple(phone.number for phone in patient.phones.all()),
                tuple(
                    (c.priority, c.status, c.payer.payer_id, c.member_id)
                    for c in sorted(patient.coverages.all(), key=lambda c: c.pk)
                ),
            )
        )
    return rows


@pytest.mark.django_db
def test_demo_builds_a_complete_synthetic_practice():
    result = demo_load(patients=60, seed=11)

    assert result.created is True
    assert Organization.objects.count() == 1
    locations = list(Location.objects.order_by("code"))
    assert [location.code for location in locations] == ["alb", "buf", "chi"]
    assert {location.timezone for location in locations} == {"America/New_York", "America/Chicago"}
    for location in locations:
        assert OpeningHours.objects.filter(location=location).count() >= 5
        assert Room.objects.filter(location=location).count() >= 5
        assert Equipment.objects.filter(location=location).count() >= 1

    providers = list(Provider.objects.prefetch_related("locations"))
    assert len(providers) == 12
    assert len({provider.npi for provider in providers}) == 12
    for provider in providers:
        assert npi.is_valid(provider.npi), provider.npi
        assert re.fullmatch(r"[0-9]{3}[0-9A-Z]{6}X", provider.taxonomy_code)
        assert 1 <= provider.locations.count() <= 2
    assert Provider.objects.get(user__username="provider").last_name == "Testwell"

    assert Payer.objects.count() == 10
    assert set(Payer.objects.values_list("payer_type", flat=True)) == set(PayerType.values)
    assert Plan.objects.count() == 14

    assert {user.role for user in User.objects.all()} == set(Role.values)
    for login in DEMO_LOGINS:
        user = User.objects.get(username=login.username)
        assert user.check_password(login.password)
        assert sorted(user.location_assignments.values_list("location__code", flat=True)) == sorted(
            login.location_codes
        )

    patients = list(Patient.objects.order_by("pk"))
    assert len(patients) == 60
    assert [p.mrn for p in patients] == [mrn_format(n) for n in range(1, 61)]
    assert Counter.objects.get(pk="mrn").value == 60
    assert sum(p.is_restricted for p in patients) == 1
    for patient in patients:
        assert patient.last_name_key == normalize.name_key(patient.last_name)
        assert patient.first_name_phonetic == normalize.phonetic_key(patient.first_name)
        assert patient.email == "" or patient.email.endswith("@example.com")
        assert patient.emergency_contact_phone == "" or FICTION_PHONE.match(
            patient.emergency_contact_phone
        )
    for phone in PatientPhone.objects.all():
        assert FICTION_PHONE.match(phone.number), phone.number
        assert phone.digits == normalize.phone_digits(phone.number)
        assert phone.digits_reversed == phone.digits[::-1]
    for coverage in Coverage.objects.all():
        assert coverage.member_id_key == normalize.member_id_key(coverage.member_id)
    with_primary = Coverage.objects.filter(priority=1, status="active").count()
    assert with_primary >= 45  # ~90% of patients are insured
    assert Coverage.objects.filter(priority=2, status="active").exists()
    assert result.stats.patients == 60
    assert result.stats.coverages == Coverage.objects.count()
    assert result.stats.phones == PatientPhone.objects.count()

    # One summary row for the load; the money history went through the payment services, which
    # audit each charge, payment, void, refund, drawer and day close as the demo staff member.
    # The morning's faxes and scans arrived through document intake, each audited as an arrival.
    arrivals = AuditEvent.objects.filter(actor__isnull=True, object_type="inbox_item")
    assert arrivals.count() == result.documents.received == 16
    assert set(arrivals.values_list("actor_name", flat=True)) <= {
        "document intake (fax)",
        "document intake (scan)",
        "document intake (email)",
    }
    events = list(AuditEvent.objects.filter(actor__isnull=True).exclude(object_type="inbox_item"))
    assert len(events) == 1
    assert events[0].actor_name == "system (demo loader)"
    assert events[0].detail["inbox_documents"] == 16
    assert events[0].detail["patients"] == 60
    assert events[0].detail["payments"] == result.money.payments > 0
    assert events[0].detail["closed_days"] == result.money.closed_days
    assert events[0].patient_id is None
    # The billing history (charges, claims, acknowledgments, remittances, eligibility) went through
    # the billing services as the demo biller, and the inbox's handlers as their system users.
    others = AuditEvent.objects.filter(actor__isnull=False)
    assert set(others.values_list("category", flat=True)) <= {"financial", "insurance"}
    assert set(others.values_list("actor__username", flat=True)) <= {
        "frontdesk",
        "frontdesk.chicago",
        "manager",
        "billing",
        "remittance-system",
        "eligibility-system",
    }
    assert result.billing.encounters > 0


@pytest.mark.django_db
def test_second_load_does_nothing():
    demo_load(patients=25, seed=3)
    counts = (Patient.objects.count(), Coverage.objects.count(), User.objects.count())

    again = demo_load(patients=25, seed=3)

    assert again.created is False
    assert (Patient.objects.count(), Coverage.objects.count(), User.objects.count()) == counts
    assert AuditEvent.objects.filter(actor__isnull=True, object_type="demo_practice").count() == 1


@pytest.mark.django_db
def test_same_seed_gives_same_patients_and_reset_rebuilds():
    demo_load(patients=40, seed=99)
    first = _snapshot()

    demo_load(patients=40, seed=99, reset=True)

    assert _snapshot() == first
    assert Patient.objects.count() == 40
    # MRNs are never reused: the rebuilt patients continue the counter.
    assert sorted(Patient.objects.values_list("mrn", flat=True)) == [
        mrn_format(n) for n in range(41, 81)
    ]
    assert Provider.objects.count() == 12
    assert Location.objects.count() == 3
    loads = AuditEvent.objects.filter(actor__isnull=True, object_type="demo_practice")
    assert loads.count() == 2  # the two loads

    demo_load(patients=40, seed=100, reset=True)
    assert _snapshot() != first


@pytest.mark.django_db
def test_demo_is_refused_in_production(settings):
    demo_load(patients=5, seed=1)
    settings.PRODUCTION = True

    with pytest.raises(Conflict, match="not loaded in production mode"):
        demo_load(patients=5, seed=2, reset=True)
    with pytest.raises(CommandError, match="not loaded in production mode"):
        call_command("demo", "--reset", "--no-progress", stdout=StringIO())

    assert Patient.objects.count() == 5
    assert AuditEvent.objects.filter(actor__isnull=True).count() == 1


@pytest.mark.django_db
def test_demo_is_not_loaded_into_a_production_database(settings):
    settings.PRODUCTION = True

    with pytest.raises(Conflict):
        demo_load(patients=5)

    assert Organization.objects.count() == 0
    assert Patient.objects.count() == 0
    assert User.objects.count() == 0


@pytest.mark.django_db
def test_demo_passwords_pass_the_password_validators():
    demo_load(patients=0)
    for login in DEMO_LOGINS:
        validate_password(login.password, user=User.objects.get(username=login.username))


@pytest.mark.django_db
def test_command_loads_once_and_prints_logins():
    out = StringIO()
    call_command("demo", "--patients", "12", "--seed", "5", "--no-progress", stdout=out)
    text = out.getvalue()
    assert "Demo practice loaded" in text
    assert "12 patients" in text
    for login in DEMO_LOGINS:
        assert f"{login.username}" in text and login.password in text
    assert demo_exists()

    out = StringIO()
    call_command("demo", "--patients", "12", stdout=out)
    assert "already loaded; nothing to do" in out.getvalue()
    assert Patient.objects.count() == 12

    with pytest.raises(CommandError):
        call_command("demo", "--patients", "-1", stdout=StringIO())

# mypy: disable-error-code="arg-type, attr-defined, misc, operator, union-attr"
# (factory_boy's metaclass __call__ is untyped: mypy sees factory instances, not model rows.)
"""The API's authorization matrix, generated from the operation list and the policy table.

Every operation x every role: no key -> 401, revoked key -> 401, a role without the operation's action
-> 403 with nothing changed, a permitted role -> 2xx; objects outside the caller's scope (a location
the key is not bound to, a restricted chart) -> 404. An operation that declares no action, or has no
sample request below, fails the suite, so a new endpoint cannot escape the matrix.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from django.utils import timezone

from frontdesk.accounts import apikeys
from frontdesk.accounts.choices import Role
from frontdesk.accounts.policy import ALL_ACTIONS, ALL_LOCATION_ROLES, POLICY
from frontdesk.api.root import ApiOperation, operations
from frontdesk.audit.models import AuditEvent
from frontdesk.documents.models import InboxItem
from frontdesk.ledger.models import LedgerEntry
from frontdesk.patients.models import Coverage, Patient, PatientPhone
from frontdesk.payments.models import DayClose, DrawerSession, Payment, Refund
from frontdesk.scheduling.models import Appointment, AppointmentSeries, SlotHold
from frontdesk.visits.models import CheckIn, Visit
from frontdesk.waitlist.models import WaitlistEntry, WaitlistOffer
from tests.factories import (
    AppointmentFactory,
    AppointmentTypeFactory,
    AvailabilityTemplateFactory,
    CoverageFactory,
    LocationFactory,
    PatientFactory,
    PayerFactory,
    PlanFactory,
    ProviderFactory,
    SlotHoldFactory,
    UserFactory,
)

ALL_OPERATIONS = sorted(operations(), key=lambda op: (op.path, op.method))
# Public operations: no role or API key; each authenticates the caller its own way (the inbound SMS
# webhook checks an HMAC signature of the body, tested in frontdesk/notifications/tests). Explicit, so a
# new operation cannot become public by forgetting its ``auth``.
PUBLIC_OPERATIONS = {("POST", "/api/v1/notifications/sms-inbound")}
OPERATIONS = [op for op in ALL_OPERATIONS if (op.method, op.path) not in PUBLIC_OPERATIONS]
ROLES = list(Role.values)


@dataclass
class World:
    location: Any
    other_location: Any
    patient: Any
    restricted_patient: Any
    coverage: Any
    restricted_coverage: Any
    payer: Any
    plan: Any
    provider: Any
    appointment_type: Any
    appointment: Any
    other_appointment: Any
    hold: Any
    other_hold: Any
    entry: Any = None
    other_entry: Any = None
    offer: Any = None
    other_offer: Any = None
    series: Any = None
    series_occurrence: Any = None
    other_series: Any = None
    other_series_occurrence: Any = None
    today: Any = None
    other_today: Any = None
    arrived: Any = None
    other_arrived: Any = None
    account: Any = None
    restricted_account: Any = None
    payment: Any = None
    other_payment: Any = None

    def at(self, hour: int) -> str:
        """Tomorrow at ``hour`` (New York wall time), inside the provider's availability."""
        tz = self.location.tzinfo
        day = timezone.now().astimezone(tz).date() + dt.timedelta(days=1)
        return dt.datetime.combine(day, dt.time(hour), tzinfo=tz).isoformat()


def _world() -> World:
    payer = PayerFactory()
    patient = PatientFactory(first_name="Matrixa", last_name="Zzexample")
    restricted = PatientFactory(first_name="Hiddena", last_name="Zzexample", is_restricted=True)
    PatientPhone.objects.create(patient=patient, number="+12025550142", digits="2025550142")
    location, other_location = LocationFactory(), LocationFactory()
    provider = ProviderFactory()
    provider.locations.add(location, other_location)
    today = timezone.now().date()
    for place in (location, other_location):
        for weekday in range(7):
            AvailabilityTemplateFactory(
                provider=provider,
                location=place,
                weekday=weekday,
                start_time=dt.time(8),
                end_time=dt.time(18),
                effective_from=today - dt.timedelta(days=2),
            )
    visit = AppointmentTypeFactory(duration_minutes=20)
    world = World(
        location=location,
        other_location=other_location,
        patient=patient,
        restricted_patient=restricted,
        coverage=CoverageFactory(patient=patient, payer=payer),
        restricted_coverage=CoverageFactory(patient=restricted, payer=payer),
        payer=payer,
        plan=PlanFactory(payer=payer),
        provider=provider,
        appointment_type=visit,
        appointment=None,
        other_appointment=None,
        hold=None,
        other_hold=None,
    )
    tomorrow_nine = dt.datetime.fromisoformat(world.at(9))
    world.appointment = AppointmentFactory(
        patient=patient,
        provider=provider,
        location=location,
        appointment_type=visit,
        starts_at=tomorrow_nine,
    )
    world.other_appointment = AppointmentFactory(
        provider=provider,
        location=other_location,
        appointment_type=visit,
        starts_at=tomorrow_nine + dt.timedelta(hours=1),  # one provider is in one place at a time
    )
    holder = UserFactory()
    world.hold = SlotHoldFactory(
        provider=provider,
        location=location,
        appointment_type=visit,
        held_by=holder,
        starts_at=tomorrow_nine + dt.timedelta(hours=7),
        expires_at=timezone.now() + dt.timedelta(minutes=5),
    )
    world.other_hold = SlotHoldFactory(
        provider=provider,
        location=other_location,
        appointment_type=visit,
        held_by=holder,
        starts_at=tomorrow_nine + dt.timedelta(hours=7),
        expires_at=timezone.now() + dt.timedelta(minutes=5),
    )
    _waitlist(world, holder)
    _series(world, holder)
    _front_desk(world)
    _money(world)
    return world


def _money(world: World) -> None:
    """A completed cash payment at each location (the first leaves $30.00 of credit to refund)."""
    from frontdesk.ledger.services import account_for_patient
    from frontdesk.payments.services import TenderInput, payment_take
    from tests.factories import DrawerSessionFactory, assign

    for place, name, patient in (
        (world.location, "payment", world.patient),
        (world.other_location, "other_payment", world.patient),
    ):
        clerk = assign(UserFactory(role=Role.FRONT_DESK), place)
        DrawerSessionFactory(location=place, user=clerk)
        payment = payment_take(
            actor=clerk,
            patient=patient,
            location=place,
            tenders=[TenderInput(kind="cash", amount="30.00")],
            idempotency_key=f"matrix-{name}",
        )
        setattr(world, name, payment)
    world.account = account_for_patient(patient=world.patient)
    world.restricted_account = account_for_patient(patient=world.restricted_patient)


def _drawers(world: World) -> None:
    """Every user (the callers' service users included) gets an open drawer at both locations."""
    from frontdesk.accounts.models import User
    from frontdesk.payments.models import DrawerSession
    from tests.factories import DrawerSessionFactory

    for user in User.objects.all():
        for place in (world.location, world.other_location):
            if not DrawerSession.objects.filter(user=user, location=place, status="open").exists():
                DrawerSessionFactory(location=place, user=user)


def _pay(world: World) -> dict[str, Any]:
    _drawers(world)
    return {
        "patient_id": str(world.patient.pk),
        "location_id": str(world.location.pk),
        "amount": "10.00",
        "tenders": [{"kind": "cash", "amount": "10.00", "cash_tendered": "20.00"}],
    }


def _void(world: World, payment: Any) -> tuple[str, Any]:
    _drawers(world)
    return f"/api/v1/payments/{payment.pk}/void", {"reason": "Entered in error"}


def _series(world: World, staff: Any) -> None:
    """A one-occurrence weekly series at each location (17:00 tomorrow)."""
    for place, patient, name in (
        (world.location, world.patient, ""),
        (world.other_location, PatientFactory(), "other_"),
    ):
        series = AppointmentSeries.objects.create(
            patient=patient,
            provider=world.provider,
            location=place,
            appointment_type=world.appointment_type,
            count=1,
            created_by=staff,
        )
        start = dt.datetime.fromisoformat(world.at(17 if not name else 18))
        occurrence = AppointmentFactory(
            patient=patient,
            provider=world.provider,
            location=place,
            appointment_type=world.appointment_type,
            starts_at=start - dt.timedelta(minutes=40),
            series=series,
        )
        setattr(world, f"{name}series", series)
        setattr(world, f"{name}series_occurrence", occurrence)


def _series_book(world: World) -> dict[str, Any]:
    return {
        "patient_id": str(world.patient.pk),
        "appointment_type_id": str(world.appointment_type.pk),
        "provider_id": str(world.provider.pk),
        "location_id": str(world.location.pk),
        "first_start": world.at(11),
        "count": 2,
    }


def _linked(world: World) -> dict[str, Any]:
    part = {
        "appointment_type_id": str(world.appointment_type.pk),
        "provider_id": str(world.provider.pk),
        "location_id": str(world.location.pk),
    }
    return {
        "patient_id": str(world.patient.pk),
        "primary": {**part, "starts_at": world.at(13)},
        "linked": {**part, "starts_at": world.at(15)},
    }


def _series_cancel(occurrence: Any) -> dict[str, Any]:
    return {"appointment_id": str(occurrence.pk), "scope": "following", **CANCEL}


def _front_desk(world: World) -> None:
    """Today at each location: an insured patient to check in, and one checked in (waiting)."""
    from frontdesk.visits.models import Visit

    now = timezone.now().replace(second=0, microsecond=0)
    for place, prefix in ((world.location, ""), (world.other_location, "other_")):
        for name, minutes in (("today", 0), ("arrived", 1)):
            patient = PatientFactory()
            CoverageFactory(patient=patient, payer=world.payer)
            appointment = AppointmentFactory(
                patient=patient,
                provider=ProviderFactory(),
                location=place,
                appointment_type=world.appointment_type,
                starts_at=now - dt.timedelta(minutes=minutes),
            )
            if name == "arrived":
                appointment.status = "checked-in"
                appointment.save(update_fields=["status"])
                Visit.objects.create(
                    appointment=appointment,
                    location=place,
                    state="arrived",
                    state_since=now,
                    arrived_at=now,
                )
            setattr(world, f"{prefix}{name}", appointment)


def _waitlist(world: World, staff: Any) -> None:
    """A waiting entry with an open offer at each location (noon and 14:00 tomorrow)."""
    for place, patient, hour, name in (
        (world.location, world.patient, 12, ""),
        (world.other_location, PatientFactory(), 14, "other_"),
    ):
        entry = WaitlistEntry.objects.create(
            patient=patient,
            location=place,
            appointment_type=world.appointment_type,
            status="offered",
            created_by=staff,
            created_at=timezone.now(),
        )
        start = dt.datetime.fromisoformat(world.at(hour))
        offer = WaitlistOffer.objects.create(
            entry=entry,
            provider=world.provider,
            location=place,
            appointment_type=world.appointment_type,
            starts_at=start,
            ends_at=start + dt.timedelta(minutes=20),
            rank=1,
            created_at=timezone.now(),
            expires_at=timezone.now() + dt.timedelta(minutes=30),
        )
        setattr(world, f"{name}entry", entry)
        setattr(world, f"{name}offer", offer)


def _book(world: World) -> dict[str, Any]:
    return {
        "patient_id": str(world.patient.pk),
        "appointment_type_id": str(world.appointment_type.pk),
        "provider_id": str(world.provider.pk),
        "location_id": str(world.location.pk),
        "starts_at": world.at(11),
    }


def _hold(world: World) -> dict[str, Any]:
    return {
        "appointment_type_id": str(world.appointment_type.pk),
        "provider_id": str(world.provider.pk),
        "location_id": str(world.location.pk),
        "starts_at": world.at(15),
    }


CANCEL = {"reason": "patient_request", "cancelled_by": "patient"}
CHECK_IN = {"identity_confirmed": True, "identity_method": "dob", "insurance_confirmed": True}
FLOW = {"state": "checkout"}


NEW_PATIENT = {
    "first_name": "Quintessa",
    "last_name": "Yyexample",
    "date_of_birth": "1971-03-04",
    "sex_at_birth": "F",
    "phones": [{"number": "202-555-0177", "phone_type": "home"}],
}


def _new_coverage(world: World) -> dict[str, Any]:
    return {
        "payer_id": str(world.payer.pk),
        "plan_id": str(world.plan.pk),
        "member_id": "ZX998877",
        "priority": 2,
    }


# (method, path) -> (URL, body) for a request the permitted roles can make successfully.
SAMPLES: dict[tuple[str, str], Callable[[World], tuple[str, Any]]] = {
    ("GET", "/api/v1/patients"): lambda w: ("/api/v1/patients?q=matrixa", None),
    ("POST", "/api/v1/patients"): lambda w: ("/api/v1/patients", NEW_PATIENT),
    ("GET", "/api/v1/patients/{patient_id}"): lambda w: (f"/api/v1/patients/{w.patient.pk}", None),
    ("PATCH", "/api/v1/patients/{patient_id}"): lambda w: (
        f"/api/v1/patients/{w.patient.pk}",
        {"preferred_name": "Mat"},
    ),
    ("GET", "/api/v1/patients/{patient_id}/coverages"): lambda w: (
        f"/api/v1/patients/{w.patient.pk}/coverages",
        None,
    ),
    ("POST", "/api/v1/patients/{patient_id}/coverages"): lambda w: (
        f"/api/v1/patients/{w.patient.pk}/coverages",
        _new_coverage(w),
    ),
    ("GET", "/api/v1/coverages/{coverage_id}"): lambda w: (
        f"/api/v1/coverages/{w.coverage.pk}",
        None,
    ),
    ("PATCH", "/api/v1/coverages/{coverage_id}"): lambda w: (
        f"/api/v1/coverages/{w.coverage.pk}",
        {"group_number": "GRP-7"},
    ),
    ("GET", "/api/v1/locations"): lambda w: ("/api/v1/locations", None),
    ("GET", "/api/v1/locations/{location_id}"): lambda w: (
        f"/api/v1/locations/{w.location.pk}",
        None,
    ),
    ("GET", "/api/v1/providers"): lambda w: ("/api/v1/providers", None),
    ("GET", "/api/v1/payers"): lambda w: ("/api/v1/payers", None),
    ("GET", "/api/v1/appointment-types"): lambda w: ("/api/v1/appointment-types", None),
    ("GET", "/api/v1/slots"): lambda w: (
        f"/api/v1/slots?appointment_type={w.appointment_type.pk}&start={quote(w.at(8))}"
        f"&end={quote(w.at(18))}&limit=3",
        None,
    ),
    ("GET", "/api/v1/appointments"): lambda w: (
        f"/api/v1/appointments?location={w.location.pk}&date={w.at(9)[:10]}",
        None,
    ),
    ("POST", "/api/v1/appointments"): lambda w: ("/api/v1/appointments", _book(w)),
    ("POST", "/api/v1/appointments/{appointment_id}/cancel"): lambda w: (
        f"/api/v1/appointments/{w.appointment.pk}/cancel",
        CANCEL,
    ),
    ("POST", "/api/v1/appointments/{appointment_id}/reschedule"): lambda w: (
        f"/api/v1/appointments/{w.appointment.pk}/reschedule",
        {"starts_at": w.at(13)},
    ),
    ("POST", "/api/v1/holds"): lambda w: ("/api/v1/holds", _hold(w)),
    ("POST", "/api/v1/holds/{hold_id}/release"): lambda w: (
        f"/api/v1/holds/{w.hold.pk}/release",
        {},
    ),
    ("POST", "/api/v1/appointment-series"): lambda w: (
        "/api/v1/appointment-series",
        _series_book(w),
    ),
    ("GET", "/api/v1/appointment-series/{series_id}"): lambda w: (
        f"/api/v1/appointment-series/{w.series.pk}",
        None,
    ),
    ("POST", "/api/v1/appointment-series/{series_id}/cancel"): lambda w: (
        f"/api/v1/appointment-series/{w.series.pk}/cancel",
        _series_cancel(w.series_occurrence),
    ),
    ("POST", "/api/v1/appointments/linked"): lambda w: ("/api/v1/appointments/linked", _linked(w)),
    ("GET", "/api/v1/waitlist-entries"): lambda w: (
        "/api/v1/waitlist-entries?status=offered",
        None,
    ),
    ("POST", "/api/v1/waitlist-entries"): lambda w: (
        "/api/v1/waitlist-entries",
        {
            "patient_id": str(w.patient.pk),
            "location_id": str(w.location.pk),
            "appointment_type_id": str(w.appointment_type.pk),
            "weekdays": [0, 1, 2],
        },
    ),
    ("POST", "/api/v1/waitlist-entries/{entry_id}/cancel"): lambda w: (
        f"/api/v1/waitlist-entries/{w.entry.pk}/cancel",
        {},
    ),
    ("GET", "/api/v1/waitlist-offers"): lambda w: ("/api/v1/waitlist-offers?status=offered", None),
    ("GET", "/api/v1/readiness"): lambda w: (f"/api/v1/readiness?location={w.location.pk}", None),
    ("POST", "/api/v1/waitlist-offers/{offer_id}/accept"): lambda w: (
        f"/api/v1/waitlist-offers/{w.offer.pk}/accept",
        {},
    ),
    ("POST", "/api/v1/appointments/{appointment_id}/check-in"): lambda w: (
        f"/api/v1/appointments/{w.today.pk}/check-in",
        CHECK_IN,
    ),
    ("POST", "/api/v1/appointments/{appointment_id}/flow"): lambda w: (
        f"/api/v1/appointments/{w.arrived.pk}/flow",
        FLOW,
    ),
    ("GET", "/api/v1/flow-board"): lambda w: (f"/api/v1/flow-board?location={w.location.pk}", None),
    ("POST", "/api/v1/payments"): lambda w: ("/api/v1/payments", _pay(w)),
    ("POST", "/api/v1/payments/{payment_id}/void"): lambda w: _void(w, w.payment),
    ("POST", "/api/v1/refunds"): lambda w: (
        "/api/v1/refunds",
        {
            "account_id": str(w.account.pk),
            "location_id": str(w.location.pk),
            "amount": "5.00",
            "method": "check",
            "check_number": "5001",
            "reason": "Overpaid",
        },
    ),
    ("GET", "/api/v1/accounts/{account_id}"): lambda w: (f"/api/v1/accounts/{w.account.pk}", None),
}


# Cash drawers and the day close (payments). A drawer is counted by its owner: the sample drawer
# belongs to the key the test just created (the newest API key's service user).
def _callers_drawer(world: World, location: Any) -> Any:
    from frontdesk.accounts.models import ApiKey
    from frontdesk.payments.models import DrawerSession

    key = ApiKey.objects.order_by("-pk").first()
    user = key.service_user if key else UserFactory()
    already = DrawerSession.objects.filter(location=location, user=user, status="open").first()
    if already is not None:  # a walk over every sample opened it with POST /drawers
        return already
    return DrawerSession.objects.create(
        location=location,
        user=user,
        workstation=f"Matrix desk {location.pk}",
        business_date=timezone.now().astimezone(location.tzinfo).date(),
        opened_at=timezone.now(),
        opening_float=0,
    )


DRAWER_COUNT = {"cash_counts": {}, "checks": [], "card_batch_total": "0.00"}
SAMPLES.update(
    {
        ("POST", "/api/v1/drawers"): lambda w: (
            "/api/v1/drawers",
            {"location_id": str(w.location.pk), "workstation": "Desk 1", "counts": {"20.00": 5}},
        ),
        ("POST", "/api/v1/drawers/{drawer_id}/close"): lambda w: (
            f"/api/v1/drawers/{_callers_drawer(w, w.location).pk}/close",
            DRAWER_COUNT,
        ),
        ("POST", "/api/v1/day-closes"): lambda w: (
            "/api/v1/day-closes",
            {
                "location_id": str(w.location.pk),
                "date": (
                    timezone.now().astimezone(w.location.tzinfo).date() - dt.timedelta(days=1)
                ).isoformat(),
            },
        ),
    }
)

# Successful answers other than "201 for POST, 200 otherwise" (actions on an existing object).
SUCCESS_STATUS: dict[tuple[str, str], int] = {
    ("POST", "/api/v1/appointments/{appointment_id}/cancel"): 200,
    ("POST", "/api/v1/appointments/{appointment_id}/reschedule"): 200,
    ("POST", "/api/v1/holds/{hold_id}/release"): 200,
    ("POST", "/api/v1/appointment-series/{series_id}/cancel"): 200,
    ("POST", "/api/v1/waitlist-entries/{entry_id}/cancel"): 200,
    ("POST", "/api/v1/waitlist-offers/{offer_id}/accept"): 200,
    ("POST", "/api/v1/appointments/{appointment_id}/flow"): 200,
    ("POST", "/api/v1/payments/{payment_id}/void"): 200,
    ("POST", "/api/v1/drawers/{drawer_id}/close"): 200,
}

# The same operations aimed at an object outside the caller's scope.
OUT_OF_SCOPE: dict[tuple[str, str], Callable[[World], tuple[str, Any]]] = {
    ("GET", "/api/v1/patients/{patient_id}"): lambda w: (
        f"/api/v1/patients/{w.restricted_patient.pk}",
        None,
    ),
    ("PATCH", "/api/v1/patients/{patient_id}"): lambda w: (
        f"/api/v1/patients/{w.restricted_patient.pk}",
        {"preferred_name": "Mat"},
    ),
    ("GET", "/api/v1/patients/{patient_id}/coverages"): lambda w: (
        f"/api/v1/patients/{w.restricted_patient.pk}/coverages",
        None,
    ),
    ("POST", "/api/v1/patients/{patient_id}/coverages"): lambda w: (
        f"/api/v1/patients/{w.restricted_patient.pk}/coverages",
        _new_coverage(w),
    ),
    ("GET", "/api/v1/coverages/{coverage_id}"): lambda w: (
        f"/api/v1/coverages/{w.restricted_coverage.pk}",
        None,
    ),
    ("PATCH", "/api/v1/coverages/{coverage_id}"): lambda w: (
        f"/api/v1/coverages/{w.restricted_coverage.pk}",
        {"group_number": "GRP-7"},
    ),
    ("GET", "/api/v1/locations/{location_id}"): lambda w: (
        f"/api/v1/locations/{w.other_location.pk}",
        None,
    ),
    ("POST", "/api/v1/appointments/{appointment_id}/cancel"): lambda w: (
        f"/api/v1/appointments/{w.other_appointment.pk}/cancel",
        CANCEL,
    ),
    ("POST", "/api/v1/appointments/{appointment_id}/reschedule"): lambda w: (
        f"/api/v1/appointments/{w.other_appointment.pk}/reschedule",
        {"starts_at": w.at(13)},
    ),
    ("POST", "/api/v1/holds/{hold_id}/release"): lambda w: (
        f"/api/v1/holds/{w.other_hold.pk}/release",
        {},
    ),
    ("GET", "/api/v1/appointment-series/{series_id}"): lambda w: (
        f"/api/v1/appointment-series/{w.other_series.pk}",
        None,
    ),
    ("POST", "/api/v1/appointment-series/{series_id}/cancel"): lambda w: (
        f"/api/v1/appointment-series/{w.other_series.pk}/cancel",
        _series_cancel(w.other_series_occurrence),
    ),
    ("POST", "/api/v1/waitlist-entries/{entry_id}/cancel"): lambda w: (
        f"/api/v1/waitlist-entries/{w.other_entry.pk}/cancel",
        {},
    ),
    ("POST", "/api/v1/waitlist-offers/{offer_id}/accept"): lambda w: (
        f"/api/v1/waitlist-offers/{w.other_offer.pk}/accept",
        {},
    ),
    ("POST", "/api/v1/appointments/{appointment_id}/check-in"): lambda w: (
        f"/api/v1/appointments/{w.other_today.pk}/check-in",
        CHECK_IN,
    ),
    ("POST", "/api/v1/appointments/{appointment_id}/flow"): lambda w: (
        f"/api/v1/appointments/{w.other_arrived.pk}/flow",
        FLOW,
    ),
    ("POST", "/api/v1/payments/{payment_id}/void"): lambda w: _void(w, w.other_payment),
    ("GET", "/api/v1/accounts/{account_id}"): lambda w: (
        f"/api/v1/accounts/{w.restricted_account.pk}",
        None,
    ),
    ("POST", "/api/v1/drawers/{drawer_id}/close"): lambda w: (
        f"/api/v1/drawers/{_callers_drawer(w, w.other_location).pk}/close",
        DRAWER_COUNT,
    ),
}


def _key(op: ApiOperation) -> tuple[str, str]:
    return (op.method, op.path)


def _snapshot() -> dict[str, Any]:
    return {
        "patients": list(Patient.objects.order_by("pk").values()),
        "phones": list(PatientPhone.objects.order_by("pk").values()),
        "coverages": list(Coverage.objects.order_by("pk").values()),
        "appointments": list(Appointment.objects.order_by("pk").values()),
        "holds": list(SlotHold.objects.order_by("pk").values()),
        "series": list(AppointmentSeries.objects.order_by("pk").values()),
        "waitlist_entries": list(WaitlistEntry.objects.order_by("pk").values()),
        "waitlist_offers": list(WaitlistOffer.objects.order_by("pk").values()),
        "visits": list(Visit.objects.order_by("pk").values()),
        "check_ins": list(CheckIn.objects.order_by("pk").values()),
        "payments": list(Payment.objects.order_by("pk").values()),
        "refunds": list(Refund.objects.order_by("pk").values()),
        "ledger": list(LedgerEntry.objects.order_by("pk").values()),
        "drawers": list(DrawerSession.objects.order_by("pk").values()),
        "day_closes": list(DayClose.objects.order_by("pk").values()),
        "inbox_items": list(InboxItem.objects.order_by("pk").values()),
        "audit": AuditEvent.objects.count(),
    }


def test_every_operation_declares_a_known_action() -> None:
    undeclared = [f"{op.method} {op.path}" for op in OPERATIONS if op.action not in ALL_ACTIONS]
    assert undeclared == []


def test_only_the_allow_listed_operations_are_public() -> None:
    public = sorted((op.method, op.path, op.action) for op in ALL_OPERATIONS if op.action is None)
    assert public == [("POST", "/api/v1/notifications/sms-inbound", None)]


def test_every_operation_has_a_sample_request() -> None:
    assert sorted(_key(op) for op in OPERATIONS) == sorted(SAMPLES)


def test_every_object_operation_has_an_out_of_scope_sample() -> None:
    with_ids = sorted(_key(op) for op in OPERATIONS if "{" in op.path)
    assert with_ids == sorted(OUT_OF_SCOPE)


def test_the_operation_list_is_what_the_issue_asks_for() -> None:
    assert sorted((op.method, op.path, op.action) for op in OPERATIONS) == sorted(
        [
            ("GET", "/api/v1/coverages/{coverage_id}", "coverage.view"),
            ("PATCH", "/api/v1/coverages/{coverage_id}", "coverage.edit"),
            ("GET", "/api/v1/locations", "practice.view"),
            ("GET", "/api/v1/locations/{location_id}", "practice.view"),
            ("GET", "/api/v1/patients", "patient.search"),
            ("POST", "/api/v1/patients", "patient.create"),
            ("GET", "/api/v1/patients/{patient_id}", "patient.view"),
            ("PATCH", "/api/v1/patients/{patient_id}", "patient.update"),
            ("GET", "/api/v1/patients/{patient_id}/coverages", "coverage.view"),
            ("POST", "/api/v1/patients/{patient_id}/coverages", "coverage.edit"),
            ("GET", "/api/v1/payers", "practice.view"),
            ("GET", "/api/v1/providers", "practice.view"),
            ("GET", "/api/v1/appointment-types", "schedule.view"),
            ("GET", "/api/v1/slots", "schedule.view"),
            ("GET", "/api/v1/appointments", "schedule.view"),
            ("POST", "/api/v1/appointments", "appointment.book"),
            ("POST", "/api/v1/appointments/{appointment_id}/cancel", "appointment.book"),
            ("POST", "/api/v1/appointments/{appointment_id}/reschedule", "appointment.book"),
            ("POST", "/api/v1/holds", "appointment.book"),
            ("POST", "/api/v1/holds/{hold_id}/release", "appointment.book"),
            ("POST", "/api/v1/appointment-series", "appointment.book"),
            ("GET", "/api/v1/appointment-series/{series_id}", "schedule.view"),
            ("POST", "/api/v1/appointment-series/{series_id}/cancel", "appointment.book"),
            ("POST", "/api/v1/appointments/linked", "appointment.book"),
            ("GET", "/api/v1/waitlist-entries", "waitlist.manage"),
            ("POST", "/api/v1/waitlist-entries", "waitlist.manage"),
            ("POST", "/api/v1/waitlist-entries/{entry_id}/cancel", "waitlist.manage"),
            ("GET", "/api/v1/waitlist-offers", "waitlist.manage"),
            ("POST", "/api/v1/waitlist-offers/{offer_id}/accept", "waitlist.manage"),
            ("GET", "/api/v1/readiness", "readiness.view"),
            ("POST", "/api/v1/appointments/{appointment_id}/check-in", "appointment.check_in"),
            ("POST", "/api/v1/appointments/{appointment_id}/flow", "flow.manage"),
            ("GET", "/api/v1/flow-board", "schedule.view"),
            ("POST", "/api/v1/payments", "payment.collect"),
            ("POST", "/api/v1/payments/{payment_id}/void", "payment.void"),
            ("POST", "/api/v1/refunds", "refund.issue"),
            ("GET", "/api/v1/accounts/{account_id}", "ledger.view"),
            ("POST", "/api/v1/drawers", "drawer.operate"),
            ("POST", "/api/v1/drawers/{drawer_id}/close", "drawer.operate"),
            ("POST", "/api/v1/day-closes", "day.close"),
            ("POST", "/api/v1/coverages/{coverage_id}/eligibility-checks", "eligibility.check"),
            ("GET", "/api/v1/eligibility-checks/{check_id}", "eligibility.check"),
            ("GET", "/api/v1/patients/{patient_id}/eligibility-checks", "eligibility.check"),
            ("GET", "/api/v1/codes/icd10", "codes.view"),
            ("GET", "/api/v1/codes/icd10/{code}", "codes.view"),
            ("GET", "/api/v1/codes/procedures", "codes.view"),
            ("GET", "/api/v1/fee-schedules", "codes.view"),
            ("GET", "/api/v1/fee-schedules/{schedule_id}", "codes.view"),
            ("GET", "/api/v1/clearinghouse/exchanges", "claim.view"),
            ("GET", "/api/v1/clearinghouse/exchanges/{exchange_id}", "claim.view"),
            ("GET", "/api/v1/patients/{patient_id}/disclosures", "audit.view"),
            ("GET", "/api/v1/appointments/{appointment_id}/charges", "charge.enter"),
            ("POST", "/api/v1/appointments/{appointment_id}/charges", "charge.enter"),
            ("GET", "/api/v1/claims", "claim.view"),
            ("GET", "/api/v1/claims/{claim_id}", "claim.view"),
            ("POST", "/api/v1/claims/{claim_id}/scrub", "claim.submit"),
            ("POST", "/api/v1/claim-batches", "claim.submit"),
            ("GET", "/api/v1/remittances", "claim.view"),
            ("GET", "/api/v1/remittances/{remittance_id}", "claim.view"),
            ("POST", "/api/v1/remittances", "remittance.post"),
            ("GET", "/api/v1/denials", "denial.work"),
            ("GET", "/api/v1/documents", "document.view"),
            ("GET", "/api/v1/documents/{document_id}", "document.view"),
            ("POST", "/api/v1/documents", "document.receive"),
        ]
    )


@pytest.mark.django_db
@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: f"{op.method} {op.path}")
def test_no_key_is_401(op, client) -> None:
    world = _world()
    url, body = SAMPLES[_key(op)](world)
    before = _snapshot()
    response = getattr(client, op.method.lower())(
        url, *([] if body is None else [body]), content_type="application/json"
    )
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"
    assert _snapshot() == before


@pytest.mark.django_db
@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: f"{op.method} {op.path}")
def test_revoked_key_is_401(op, key_client) -> None:
    world = _world()
    caller = key_client(Role.PRACTICE_MANAGER, world.location)
    apikeys.apikey_revoke(actor=None, api_key=caller.api_key)
    url, body = SAMPLES[_key(op)](world)
    before = _snapshot()
    response = caller.request(op.method, url, body)
    assert response.status_code == 401
    assert _snapshot() == before


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: f"{op.method} {op.path}")
def test_role_matrix(op, role, key_client) -> None:
    world = _world()
    caller = key_client(role, world.location)
    url, body = SAMPLES[_key(op)](world)
    before = _snapshot()
    response = caller.request(op.method, url, body)
    if op.action in POLICY[role]:
        expected = SUCCESS_STATUS.get(_key(op), 201 if op.method == "POST" else 200)
        assert response.status_code == expected, (role, response.json())
    else:
        assert response.status_code == 403, (role, response.status_code)
        assert response.json()["code"] == "forbidden"
        assert _snapshot() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("op", "role"),
    [
        (op, role)
        for op in OPERATIONS
        if _key(op) in OUT_OF_SCOPE
        for role in ROLES
        if op.action in POLICY[role]  # the others get 403 (test_role_matrix)
    ],
    ids=lambda value: f"{value.method} {value.path}" if isinstance(value, ApiOperation) else value,
)
def test_out_of_scope_objects_are_404(op, role, key_client) -> None:
    world = _world()
    caller = key_client(role, world.location)
    url, body = OUT_OF_SCOPE[_key(op)](world)
    location_scoped = any(
        part in op.path
        for part in (
            "locations",
            "appointments",
            "appointment-series",
            "holds",
            "waitlist",
            "payments",
            "drawers",
            "documents",
        )
    )
    sees_it = (
        role in ALL_LOCATION_ROLES if location_scoped else "patient.view_restricted" in POLICY[role]
    )
    before = _snapshot()
    response = caller.request(op.method, url, body)
    if sees_it:
        assert response.status_code in (200, 201)
    else:
        assert response.status_code == 404, (role, response.json())
        assert response.json() == {"code": "not_found", "message": "Not found.", "fields": {}}
        assert _snapshot() == before


# Code sets and fees (coding). Reference data, not scoped by location or patient: the "out of scope"
# sample of an object operation is an object that does not exist (404 for every permitted role).
def _coding_schedule(world: World) -> Any:
    from frontdesk.coding.tests.samples import sample_schedule

    return sample_schedule({"payer": world.payer})


# Clearinghouse exchange log and the disclosure log: an exchange about the sample patient, and one
# about the restricted patient (hidden from roles that may not see restricted records).
def _exchange(world: World, *, restricted: bool = False) -> Any:
    from frontdesk.clearinghouse.tests.samples import sample_exchange

    return sample_exchange(patient=world.restricted_patient if restricted else world.patient)


SAMPLES.update(
    {
        ("GET", "/api/v1/codes/icd10"): lambda w: ("/api/v1/codes/icd10?q=E11", None),
        ("GET", "/api/v1/codes/icd10/{code}"): lambda w: ("/api/v1/codes/icd10/E11.9", None),
        ("GET", "/api/v1/codes/procedures"): lambda w: ("/api/v1/codes/procedures?q=G04", None),
        ("GET", "/api/v1/fee-schedules"): lambda w: ("/api/v1/fee-schedules", None),
        ("GET", "/api/v1/fee-schedules/{schedule_id}"): lambda w: (
            f"/api/v1/fee-schedules/{_coding_schedule(w).pk}",
            None,
        ),
        ("GET", "/api/v1/clearinghouse/exchanges"): lambda w: (
            "/api/v1/clearinghouse/exchanges?kind=270",
            None,
        ),
        ("GET", "/api/v1/clearinghouse/exchanges/{exchange_id}"): lambda w: (
            f"/api/v1/clearinghouse/exchanges/{_exchange(w).pk}",
            None,
        ),
        ("GET", "/api/v1/patients/{patient_id}/disclosures"): lambda w: (
            f"/api/v1/patients/{w.patient.pk}/disclosures",
            None,
        ),
    }
)
OUT_OF_SCOPE.update(
    {
        ("GET", "/api/v1/codes/icd10/{code}"): lambda w: ("/api/v1/codes/icd10/Q99.99", None),
        ("GET", "/api/v1/fee-schedules/{schedule_id}"): lambda w: (
            "/api/v1/fee-schedules/999999999",
            None,
        ),
        ("GET", "/api/v1/clearinghouse/exchanges/{exchange_id}"): lambda w: (
            f"/api/v1/clearinghouse/exchanges/{_exchange(w, restricted=True).pk}",
            None,
        ),
        ("GET", "/api/v1/patients/{patient_id}/disclosures"): lambda w: (
            f"/api/v1/patients/{w.restricted_patient.pk}/disclosures",
            None,
        ),
    }
)


# --- billing (charges, claims, batches) --------------------------------------------------------


_BILLING_VISITS = itertools.count(1)


def _billing_visit(w: World, location: Any, patient: Any = None) -> Any:
    """A visit seen in the past at ``location`` (charges are entered for visits that happened).

    Each sample visit has its own hour on a past day, so one world may hold many of them (the
    canary walk in tests/test_security_logs.py samples every operation against one world) without
    booking the sample provider or patient twice at once (PostgreSQL's exclusion constraints).
    """
    hours_ago = 24 + next(_BILLING_VISITS)
    start = timezone.now().replace(minute=0, second=0, microsecond=0) - dt.timedelta(
        hours=hours_ago
    )
    return AppointmentFactory(
        patient=patient or w.patient,
        provider=w.provider,
        location=location,
        appointment_type=w.appointment_type,
        starts_at=start,
        status="arrived",
    )


BILLING_CHARGES = {
    "diagnoses": ["I10"],
    "lines": [{"procedure_code": "99213", "charge": "100.00", "pointers": [1]}],
}


def _billing_claim(w: World, patient: Any = None, *, ready: bool = False) -> Any:
    """A visit of ``patient`` with charges posted and its claim (ready: billable data completed)."""
    from frontdesk.billing import services as billing_services
    from frontdesk.billing.models import Claim
    from frontdesk.coding.models import ProcedureCode

    ProcedureCode.objects.get_or_create(
        code="99213", defaults={"kind": "cpt", "description": "Visit"}
    )
    patient = patient or w.patient
    if ready:
        organization = w.location.organization
        organization.tax_id, organization.postal_code = "12-3456789", "62701-1234"
        organization.address_line1, organization.city, organization.state = (
            "1 Example Way",
            "Springfield",
            "IL",
        )
        organization.save()
        patient.address_line1, patient.city, patient.state, patient.postal_code = (
            "12 Sample Street",
            "Springfield",
            "IL",
            "62704",
        )
        patient.save()
    biller = UserFactory(role=Role.PRACTICE_MANAGER)
    encounter = billing_services.encounter_save(
        actor=biller,
        appointment=_billing_visit(w, w.location, patient),
        data=billing_services.EncounterInput(
            diagnoses=("I10",), lines=(billing_services.LineInput("99213", "100.00"),)
        ),
    )
    return Claim.objects.get(encounter=encounter)


SAMPLES.update(
    {
        ("GET", "/api/v1/appointments/{appointment_id}/charges"): lambda w: (
            f"/api/v1/appointments/{_billing_claim(w).encounter.appointment_id}/charges",
            None,
        ),
        ("POST", "/api/v1/appointments/{appointment_id}/charges"): lambda w: (
            f"/api/v1/appointments/{_billing_visit(w, w.location).pk}/charges",
            BILLING_CHARGES,
        ),
        ("GET", "/api/v1/claims"): lambda w: ("/api/v1/claims", None),
        ("GET", "/api/v1/claims/{claim_id}"): lambda w: (
            f"/api/v1/claims/{_billing_claim(w).pk}",
            None,
        ),
        ("POST", "/api/v1/claims/{claim_id}/scrub"): lambda w: (
            f"/api/v1/claims/{_billing_claim(w).pk}/scrub",
            {},
        ),
        ("POST", "/api/v1/claim-batches"): lambda w: (
            "/api/v1/claim-batches",
            {"send": False, "payer_id": str(_billing_claim(w, ready=True).payer_id)},
        ),
    }
)
SUCCESS_STATUS.update({("POST", "/api/v1/claims/{claim_id}/scrub"): 200})
OUT_OF_SCOPE.update(
    {
        ("GET", "/api/v1/appointments/{appointment_id}/charges"): lambda w: (
            f"/api/v1/appointments/{_billing_claim(w, w.restricted_patient).encounter.appointment_id}"
            "/charges",
            None,
        ),
        ("POST", "/api/v1/appointments/{appointment_id}/charges"): lambda w: (
            f"/api/v1/appointments/{_billing_visit(w, w.other_location).pk}/charges",
            BILLING_CHARGES,
        ),
        ("GET", "/api/v1/claims/{claim_id}"): lambda w: (
            f"/api/v1/claims/{_billing_claim(w, w.restricted_patient).pk}",
            None,
        ),
        ("POST", "/api/v1/claims/{claim_id}/scrub"): lambda w: (
            f"/api/v1/claims/{_billing_claim(w, w.restricted_patient).pk}/scrub",
            {},
        ),
    }
)


# Remittance (835): a posted 835 with a denial for the sample patient; out of scope: one paying only
# the restricted patient's claim.
def _remittance_denial(world: World, *, restricted: bool = False) -> Any:
    from frontdesk.remittance.tests.samples import sample_denial

    key = "_remittance_restricted" if restricted else "_remittance_denial"
    if getattr(world, key, None) is None:
        patient = world.restricted_patient if restricted else world.patient
        setattr(world, key, sample_denial(world.location, patient=patient))
    return getattr(world, key)


def _era_body(world: World) -> dict[str, Any]:
    from frontdesk.remittance.tests.helpers import World as EraWorld
    from frontdesk.remittance.tests.helpers import adj, claim_payment, era, make_claim, service

    era_world = EraWorld(world.location)
    claim = make_claim(era_world, [("99213", [], "120.00")])
    (line,) = claim.lines.all()
    payment = claim_payment(claim, [service(line, "90.00", adj("CO", "45", "30.00"))])
    return {"content": era(era_world, [payment], trace="MATRIX0001").decode(), "filename": "m.835"}


SAMPLES.update(
    {
        ("GET", "/api/v1/remittances"): lambda w: ("/api/v1/remittances", None),
        ("GET", "/api/v1/remittances/{remittance_id}"): lambda w: (
            f"/api/v1/remittances/{_remittance_denial(w).claim_remittance.remittance_id}",
            None,
        ),
        ("POST", "/api/v1/remittances"): lambda w: ("/api/v1/remittances", _era_body(w)),
        ("GET", "/api/v1/denials"): lambda w: ("/api/v1/denials", None),
    }
)
OUT_OF_SCOPE.update(
    {
        ("GET", "/api/v1/remittances/{remittance_id}"): lambda w: (
            "/api/v1/remittances/"
            f"{_remittance_denial(w, restricted=True).claim_remittance.remittance_id}",
            None,
        ),
    }
)


# Eligibility: run a check of the sample coverage (no clearinghouse answers in this walk: the check
# comes back failed with its reason, still a 201), read one, list a patient's.
def _eligibility_check_of(coverage: Any) -> Any:
    from frontdesk.eligibility.models import EligibilityCheck

    return EligibilityCheck.objects.create(
        coverage=coverage,
        patient_id=coverage.patient_id,
        date_of_service=timezone.localdate(),
        status="complete",
        trace_number=f"APIMATRIX{coverage.pk}",
        requested_at=timezone.now(),
        responded_at=timezone.now(),
        active=True,
    )


SAMPLES.update(
    {
        ("POST", "/api/v1/coverages/{coverage_id}/eligibility-checks"): lambda w: (
            f"/api/v1/coverages/{w.coverage.pk}/eligibility-checks",
            {"date_of_service": timezone.localdate().isoformat()},
        ),
        ("GET", "/api/v1/eligibility-checks/{check_id}"): lambda w: (
            f"/api/v1/eligibility-checks/{_eligibility_check_of(w.coverage).pk}",
            None,
        ),
        ("GET", "/api/v1/patients/{patient_id}/eligibility-checks"): lambda w: (
            f"/api/v1/patients/{w.patient.pk}/eligibility-checks",
            None,
        ),
    }
)
OUT_OF_SCOPE.update(
    {
        ("POST", "/api/v1/coverages/{coverage_id}/eligibility-checks"): lambda w: (
            f"/api/v1/coverages/{w.restricted_coverage.pk}/eligibility-checks",
            {"date_of_service": timezone.localdate().isoformat()},
        ),
        ("GET", "/api/v1/eligibility-checks/{check_id}"): lambda w: (
            f"/api/v1/eligibility-checks/{_eligibility_check_of(w.restricted_coverage).pk}",
            None,
        ),
        ("GET", "/api/v1/patients/{patient_id}/eligibility-checks"): lambda w: (
            f"/api/v1/patients/{w.restricted_patient.pk}/eligibility-checks",
            None,
        ),
    }
)


# The document inbox: an item faxed into each location's inbox; an upload of a small PDF (JSON form:
# the matrix speaks JSON; multipart is tested in frontdesk/documents/tests/test_api.py).
def _inbox_item(location: Any) -> Any:
    from frontdesk.documents.services import document_receive
    from frontdesk.documents.tests import samples

    return document_receive(
        actor=None, location=location, source="fax", name="matrix.pdf", data=samples.pdf()
    )


def _document_upload(world: World) -> dict[str, Any]:
    import base64

    from frontdesk.documents.tests import samples

    return {
        "location_id": str(world.location.pk),
        "file_name": "matrix-upload.pdf",
        "content_base64": base64.b64encode(samples.pdf(text="Zz matrix upload")).decode(),
    }


SAMPLES.update(
    {
        ("GET", "/api/v1/documents"): lambda w: ("/api/v1/documents?status=received", None),
        ("GET", "/api/v1/documents/{document_id}"): lambda w: (
            f"/api/v1/documents/{_inbox_item(w.location).pk}",
            None,
        ),
        ("POST", "/api/v1/documents"): lambda w: ("/api/v1/documents", _document_upload(w)),
    }
)
OUT_OF_SCOPE.update(
    {
        ("GET", "/api/v1/documents/{document_id}"): lambda w: (
            f"/api/v1/documents/{_inbox_item(w.other_location).pk}",
            None,
        ),
    }
)

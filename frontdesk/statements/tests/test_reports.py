"""Collections by day, tender, staff, location and provider; voids subtract; the TOS rate; CSV."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from frontdesk.accounts.choices import Role
from frontdesk.ledger import services as ledger
from frontdesk.ledger.choices import ChargeCode
from frontdesk.payments.choices import TenderKind
from frontdesk.statements.reports import collections_report
from frontdesk.statements.tests.helpers import take_payment, void_payment
from tests.factories import AppointmentFactory, LocationFactory, PatientFactory, ProviderFactory

D = Decimal


@pytest.fixture
def world(make_user: Any, location: Any) -> dict[str, Any]:
    location.name = "North Example"
    location.save()
    biller = make_user(Role.BILLING, location, first_name="=Evil", last_name="Staffer")
    patient = PatientFactory()
    provider = ProviderFactory(first_name="Doca", last_name="Example")
    now = timezone.now()
    visit = AppointmentFactory(patient=patient, location=location, provider=provider, starts_at=now)
    copay = ledger.charge_post(
        actor=biller,
        patient=patient,
        location=location,
        code=ChargeCode.COPAY,
        amount="40",
        appointment=visit,
    )
    account = copay.account
    take_payment(biller, account, location, "30.00", appointment=visit)
    take_payment(biller, account, location, "30.00", kind=TenderKind.CARD)
    void_payment(biller, take_payment(biller, account, location, "20.00"))
    # Another location's money, out of the biller's scope.
    other = LocationFactory()
    elsewhere = make_user(Role.BILLING, other)
    take_payment(elsewhere, account, other, "999.00")
    return {"biller": biller, "today": ledger.business_date(location, now), "location": location}


def _rows(report: Any, name: str) -> list[tuple[str, Decimal, Decimal]]:
    return [(r.key, r.collected, r.voided) for r in report.by[name]]


def test_collections_by_every_dimension_with_voids_subtracting(world: dict[str, Any]) -> None:
    today = world["today"]
    report = collections_report(user=world["biller"], date_from=today, date_to=today)
    assert _rows(report, "tender") == [
        ("card", D("30.00"), D("0.00")),
        ("cash", D("50.00"), D("20.00")),
    ]
    assert _rows(report, "day") == [(today.isoformat(), D("80.00"), D("20.00"))]
    assert _rows(report, "staff") == [("=Evil Staffer", D("80.00"), D("20.00"))]
    assert _rows(report, "location") == [("North Example", D("80.00"), D("20.00"))]
    assert _rows(report, "provider") == [
        ("(no visit)", D("50.00"), D("20.00")),
        ("Doca Example", D("30.00"), D("0.00")),
    ]
    assert (report.total_collected, report.total_voided, report.total_net) == (
        D("80.00"),
        D("20.00"),
        D("60.00"),
    )
    assert (report.due_at_visit, report.collected_at_visit, report.tos_rate) == (
        D("40.00"),
        D("30.00"),
        D("75.0"),
    )


def test_a_manager_sees_every_location(world: dict[str, Any], make_user: Any) -> None:
    today = world["today"]
    manager = make_user(Role.PRACTICE_MANAGER)
    report = collections_report(user=manager, date_from=today, date_to=today)
    assert report.total_collected == D("1079.00")


def test_the_csv_export_neutralises_formulas(world: dict[str, Any]) -> None:
    client = Client()
    client.force_login(world["biller"])
    today = world["today"]
    response = client.get(f"/statements/collections/?date_from={today}&date_to={today}&format=csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["dimension", "key", "collected", "voided", "net"]
    assert ["staff", "'=Evil Staffer", "80.00", "20.00", "60.00"] in rows
    assert ["total", "", "80.00", "20.00", "60.00"] in rows
    assert ["time_of_service", "rate_percent", "75.0", "", ""] in rows


def test_the_report_page_and_its_guards(world: dict[str, Any], make_user: Any) -> None:
    client = Client()
    client.force_login(world["biller"])
    today = world["today"]
    page = client.get(f"/statements/collections/?date_from={today}&date_to={today}")
    assert '<strong data-total="net">$60.00</strong>' in page.content.decode()
    bad = client.get(f"/statements/collections/?date_from={today}&date_to=2000-01-01")
    assert bad.context["form"].errors == {"date_to": ["The end date is before the start date."]}
    desk = Client()
    desk.force_login(make_user(Role.FRONT_DESK, world["location"]))
    assert desk.get("/statements/collections/").status_code == 403

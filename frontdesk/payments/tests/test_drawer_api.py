"""The drawer and day-close API: open, count (variance needs a reason), day close refused while open."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from frontdesk.accounts.choices import Role
from frontdesk.api.tests.support import key_client_for
from frontdesk.ledger.services import business_date
from frontdesk.payments.choices import TenderKind
from frontdesk.payments.models import DrawerSession
from frontdesk.payments.tests.helpers import take_payment

pytestmark = pytest.mark.django_db


def test_open_count_and_close_the_day(location: Any) -> None:
    desk = key_client_for(Role.FRONT_DESK, location)
    opened = desk.post(
        "/api/v1/drawers",
        {"location_id": str(location.pk), "workstation": "Desk 4", "counts": {"20.00": 5}},
    )
    assert opened.status_code == 201, opened.json()
    body = opened.json()
    assert (body["status"], body["opening_float"], body["workstation"]) == (
        "open",
        "100.00",
        "Desk 4",
    )
    again = desk.post(
        "/api/v1/drawers", {"location_id": str(location.pk), "workstation": "Desk 5", "counts": {}}
    )
    assert (again.status_code, again.json()["code"]) == (409, "drawer_already_open")
    drawer = DrawerSession.objects.get(pk=int(body["id"]))
    take_payment(drawer, (TenderKind.CASH, "20.00"), (TenderKind.CHECK, "15.00"))
    biller = key_client_for(Role.BILLING, location)
    today = business_date(location, timezone.now()).isoformat()
    refused = biller.post("/api/v1/day-closes", {"location_id": str(location.pk), "date": today})
    assert refused.status_code == 409
    assert refused.json()["code"] == "drawers_not_closed"
    count = {
        "cash_counts": {"20.00": 5},
        "checks": [{"number": "7001", "amount": "15.00"}],
        "card_batch_total": "0.00",
    }
    short = desk.post(f"/api/v1/drawers/{drawer.pk}/close", count)
    assert short.status_code == 400
    assert short.json()["fields"] == {
        "variance_reason": ["The variance of $20.00 is over the $5.00 limit: give the reason."]
    }
    pending = desk.post(
        f"/api/v1/drawers/{drawer.pk}/close", {**count, "variance_reason": "Bank run"}
    )
    assert pending.status_code == 200
    answer = pending.json()
    assert answer["status"] == "pending_approval"
    assert answer["variance"] == "-20.00"
    assert answer["tenders"]["cash"] == {
        "expected": "120.00",
        "counted": "100.00",
        "variance": "-20.00",
    }
    assert answer["tenders"]["check"]["variance"] == "0.00"
    DrawerSession.objects.filter(pk=drawer.pk).update(status="closed", closed_at=timezone.now())
    closed = biller.post("/api/v1/day-closes", {"location_id": str(location.pk), "date": today})
    assert closed.status_code == 201
    assert closed.json()["net_collected"] == "35.00"
    assert closed.json()["totals"]["tenders"]["check"]["net"] == "15.00"
    assert len(closed.json()["report_sha256"]) == 64
    assert Decimal(closed.json()["totals"]["net"]) == Decimal("35.00")


def test_amounts_are_strings_and_unknown_fields_are_refused(location: Any) -> None:
    desk = key_client_for(Role.FRONT_DESK, location)
    drawer = DrawerSession.objects.create(
        location=location,
        user=desk.user,
        workstation="Desk 1",
        business_date=business_date(location, timezone.now()),
        opened_at=timezone.now(),
        opening_float=0,
    )
    bad = desk.post(f"/api/v1/drawers/{drawer.pk}/close", {"card_batch_total": 1.5})
    assert bad.status_code == 422
    bad = desk.post(f"/api/v1/drawers/{drawer.pk}/close", {"surprise": 1})
    assert bad.status_code == 422

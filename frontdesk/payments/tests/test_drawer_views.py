"""The drawer, approval, day close and settlement screens (thin views over the services)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from frontdesk.accounts.choices import Role
from frontdesk.audit.models import AuditEvent
from frontdesk.ledger.choices import DayState
from frontdesk.ledger.models import LedgerDay
from frontdesk.ledger.services import business_date
from frontdesk.payments.choices import DrawerStatus, TenderKind
from frontdesk.payments.drawer_models import DayClose, DrawerClose, SettlementImport
from frontdesk.payments.models import DrawerSession
from frontdesk.payments.tests.helpers import take_payment

D = Decimal


@pytest.fixture
def clerk(make_user: Any, location: Any) -> Any:
    return make_user(Role.FRONT_DESK, location)


@pytest.fixture
def manager(make_user: Any, location: Any) -> Any:
    return make_user(Role.PRACTICE_MANAGER, location)


def test_open_count_approve_and_download(
    staff_client: Any, clerk: Any, manager: Any, location: Any
) -> None:
    client = staff_client(user=clerk)
    page = client.get(reverse("drawer:mine"))
    assert page.status_code == 200
    assert "You have no open drawer." in page.content.decode()
    response = client.post(
        reverse("drawer:mine"),
        {"location": location.pk, "workstation": "Desk 1", "d_20_00": "5", "d_1_00": "50"},
    )
    assert response.status_code == 302
    drawer = DrawerSession.objects.get(user=clerk)
    assert drawer.opening_float == D("150.00")
    take_payment(drawer, (TenderKind.CASH, "20.00"), (TenderKind.CHECK, "12.50"))
    page = client.get(reverse("drawer:mine")).content.decode()
    assert "$170.00" in page  # expected cash: float + payment
    close_url = reverse("drawer:close", kwargs={"drawer_id": drawer.pk})
    # Short by $10: refused without a reason, the form says why.
    counts = {"d_20_00": "8", "d_1_00": "0", "checks": "1042 12.50", "card_batch_total": "0"}
    response = client.post(close_url, counts)
    assert response.status_code == 400
    assert (
        "The variance of $10.00 is over the $5.00 limit: give the reason."
        in response.content.decode()
    )
    response = client.post(
        close_url, {**counts, "variance_reason": "Paid a courier from the drawer"}
    )
    assert response.status_code == 302
    drawer.refresh_from_db()
    assert drawer.status == DrawerStatus.PENDING_APPROVAL
    assert DrawerClose.objects.get(drawer=drawer).checks == [{"number": "1042", "amount": "12.50"}]
    boss = staff_client(user=manager)
    listing = boss.get(reverse("drawer:approvals")).content.decode()
    assert "Paid a courier from the drawer" in listing
    response = boss.post(
        reverse("drawer:approve", kwargs={"drawer_id": drawer.pk}), {"note": "Receipt seen"}
    )
    assert response.status_code == 302
    drawer.refresh_from_db()
    assert drawer.status == DrawerStatus.CLOSED
    report = client.get(reverse("drawer:report", kwargs={"drawer_id": drawer.pk}))
    assert report.status_code == 200
    assert report["Content-Type"] == "application/pdf"
    assert report.content.startswith(b"%PDF")
    slip = client.get(reverse("drawer:deposit", kwargs={"drawer_id": drawer.pk}))
    assert slip.status_code == 200
    assert AuditEvent.objects.latest("sequence").detail["view"] == "deposit_slip_pdf"


def test_a_clerk_cannot_see_someone_elses_drawer(
    staff_client: Any, clerk: Any, make_user: Any, location: Any
) -> None:
    other = make_user(Role.FRONT_DESK, location)
    drawer = DrawerSession.objects.create(
        location=location,
        user=other,
        workstation="Desk 2",
        business_date=business_date(location, timezone.now()),
        opened_at=timezone.now(),
        opening_float=D("0"),
    )
    client = staff_client(user=clerk)
    assert client.get(reverse("drawer:close", kwargs={"drawer_id": drawer.pk})).status_code == 404


def test_day_close_page_refuses_then_closes_and_reopens(
    staff_client: Any, clerk: Any, manager: Any, location: Any
) -> None:
    today = business_date(location, timezone.now())
    drawer = DrawerSession.objects.create(
        location=location,
        user=clerk,
        workstation="Desk 1",
        business_date=today,
        opened_at=timezone.now(),
        opening_float=D("0"),
    )
    take_payment(drawer, (TenderKind.CASH, "30.00"))
    boss = staff_client(user=manager)
    page = boss.get(reverse("drawer:day"), {"location": location.pk, "date": today.isoformat()})
    assert page.status_code == 200
    assert "$30.00" in page.content.decode()
    data = {"location": location.pk, "date": today.isoformat()}
    response = boss.post(reverse("drawer:day_close"), data, follow=True)
    assert "Close every drawer of the day first." in response.content.decode()
    assert not DayClose.objects.exists()
    drawer.status, drawer.closed_at = DrawerStatus.CLOSED, timezone.now()
    drawer.save()
    response = boss.post(reverse("drawer:day_close"), data, follow=True)
    assert "is closed." in response.content.decode()
    close = DayClose.objects.get()
    assert close.net_collected == D("30.00")
    assert LedgerDay.objects.get(location=location, date=today).state == DayState.CLOSED
    pdf = boss.get(reverse("drawer:day_report", kwargs={"close_id": close.pk}))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    response = boss.post(reverse("drawer:day_reopen"), {**data, "reason": ""}, follow=True)
    assert "Give a reason." in response.content.decode()
    response = boss.post(
        reverse("drawer:day_reopen"), {**data, "reason": "Late check found"}, follow=True
    )
    assert "is open again." in response.content.decode()
    close.refresh_from_db()
    assert close.reopen_reason == "Late check found"


def test_settlement_upload_and_report(staff_client: Any, make_user: Any, location: Any) -> None:
    biller = make_user(Role.BILLING, location)
    client = staff_client(user=biller)
    body = (
        b"settlement_date,transaction_id,reference,amount,card_brand,last4,type\n"
        b"2026-11-20,tp_x,,5.00,visa,4242,sale\n"
        b"bad,tp_y,,5.00,visa,4242,sale\n"
    )
    response = client.post(
        reverse("drawer:settlement"),
        {"file": SimpleUploadedFile("batch.csv", body, content_type="text/csv"), "location": ""},
    )
    record = SettlementImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "drawer:settlement_detail", kwargs={"import_id": record.pk}
    )
    page = client.get(response["Location"]).content.decode()
    assert "Missing in FrontDesk: 1" in page
    assert "Line 3: Settlement_date must be YYYY-MM-DD." in page
    again = client.post(
        reverse("drawer:settlement"), {"file": SimpleUploadedFile("again.csv", body)}
    )
    assert again["Location"] == response["Location"]
    assert SettlementImport.objects.count() == 1
    bad = client.post(reverse("drawer:settlement"), {"file": SimpleUploadedFile("x.csv", b"a,b\n")})
    assert bad.status_code == 400
    assert "The first row must name the columns" in bad.content.decode()


def test_an_import_without_a_location_is_only_for_its_importer_and_all_location_roles(
    staff_client: Any, make_user: Any, location: Any, manager: Any
) -> None:
    from frontdesk.payments.settlement import settlement_import

    first, second = make_user(Role.BILLING, location), make_user(Role.BILLING, location)
    body = b"settlement_date,transaction_id,reference,amount,card_brand,last4,type\n"
    record, _ = settlement_import(actor=first, data=body, file_name="mine.csv")
    url = reverse("drawer:settlement_detail", kwargs={"import_id": record.pk})
    assert staff_client(user=first).get(url).status_code == 200
    assert staff_client(user=second).get(url).status_code == 404
    assert staff_client(user=manager).get(url).status_code == 200

"""The patient account page: balances, running balance, reversals, receipts, constant queries."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from frontdesk.accounts.choices import Role
from frontdesk.audit.models import AuditEvent
from frontdesk.ledger import services as ledger
from frontdesk.ledger.choices import AdjustmentCode, Bucket, ChargeCode
from frontdesk.ledger.models import LedgerEntry
from frontdesk.patients.choices import GuarantorKind
from frontdesk.statements import selectors
from frontdesk.statements.tests.helpers import take_payment
from tests.factories import LocationFactory, PatientFactory

D = Decimal


@pytest.fixture
def biller(make_user: Any, location: Any) -> Any:
    return make_user(Role.BILLING, location)


@pytest.fixture
def family(biller: Any, location: Any) -> dict[str, Any]:
    parent = PatientFactory(first_name="Holdena")
    child = PatientFactory(
        first_name="Kiddo", guarantor_kind=GuarantorKind.PATIENT, guarantor_patient=parent
    )
    copay = ledger.charge_post(
        actor=biller, patient=child, location=location, code=ChargeCode.COPAY, amount="40"
    )
    visit = ledger.charge_post(
        actor=biller, patient=parent, location=location, code=ChargeCode.VISIT, amount="100"
    )
    ledger.charge_post(
        actor=biller,
        patient=parent,
        location=location,
        code=ChargeCode.VISIT,
        amount="250",
        bucket=Bucket.INSURANCE,
    )
    reversal = ledger.entry_reverse(actor=biller, entry=visit, reason="Wrong visit")
    payment = take_payment(biller, copay.account, location, "15.00")
    return {
        "parent": parent,
        "child": child,
        "account": copay.account,
        "copay": copay,
        "visit": visit,
        "reversal": reversal,
        "payment": payment,
    }


def test_the_page_shows_balances_running_balance_reversals_and_receipts(
    biller: Any, family: dict[str, Any]
) -> None:
    client = Client()
    client.force_login(biller)
    before = AuditEvent.objects.count()
    response = client.get(f"/accounts/{family['account'].pk}/")
    assert response.status_code == 200
    assert response.context["pay_url"] == f"/payments/patients/{family['account'].holder_id}/take/"
    page = response.context["page"]
    assert [p.first_name for p in page.patients] == ["Holdena", "Kiddo"]
    assert page.balances.patient == D("25.00")
    assert page.balances.insurance == D("250.00")
    assert page.balances.unapplied == D("15.00")
    assert [(line.amount, line.running) for line in page.lines] == [
        (D("40.00"), D("40.00")),
        (D("100.00"), D("140.00")),
        (D("-100.00"), D("40.00")),
        (D("-15.00"), D("25.00")),
    ]
    assert page.lines[1].reversed_by_id == family["reversal"].pk
    assert page.lines[2].reverses_id == family["visit"].pk
    assert page.lines[3].receipt == f"#{family['payment'].receipt_number}"
    assert [line.amount for line in page.insurance_lines] == [D("250.00")]
    assert [line.patient_name for line in page.lines] == [
        family["child"].display_name,
        family["parent"].display_name,
        family["parent"].display_name,
        "",
    ]
    html = response.content.decode()
    assert f'reversed by <a href="#entry-{family["reversal"].pk}">' in html
    copay = family["copay"]
    reverse_link = f'href="/accounts/{family["account"].pk}/entries/{copay.pk}/reverse/"'
    assert reverse_link in html
    # The copay and the insurance charge: none on a reversed entry, a reversal or a payment.
    assert html.count("/reverse/") == 2
    assert '<dd data-balance="patient">$25.00</dd>' in html
    # One audited read of the account.
    events = list(AuditEvent.objects.order_by("sequence")[before:])
    assert [(e.object_type, e.action) for e in events] == [("account", "read")]


def test_the_page_reads_in_a_constant_number_of_queries(
    biller: Any, family: dict[str, Any], location: Any, django_assert_max_num_queries: Any
) -> None:
    client = Client()
    client.force_login(biller)
    client.get(f"/accounts/{family['account'].pk}/")  # warm the session
    with django_assert_max_num_queries(30) as small:
        client.get(f"/accounts/{family['account'].pk}/")
    for _ in range(40):
        ledger.charge_post(
            actor=biller,
            patient=family["child"],
            location=location,
            code=ChargeCode.COPAY,
            amount="1",
        )
        take_payment(biller, family["account"], location, "1.00")
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(f"/accounts/{family['account'].pk}/")
    assert len(response.context["page"].lines) == 4 + 80


def test_the_patient_page_link_finds_the_guarantors_account(
    biller: Any, family: dict[str, Any]
) -> None:
    client = Client()
    client.force_login(biller)
    response = client.get(f"/accounts/patient/{family['child'].pk}/")
    assert response.status_code == 200
    assert response.context["page"].account == family["account"]
    nobody = PatientFactory()
    assert client.get(f"/accounts/patient/{nobody.pk}/").status_code == 404


def test_other_location_staff_and_wrong_roles_cannot_see_or_post(
    make_user: Any, family: dict[str, Any]
) -> None:
    account = family["account"]
    nurse = Client()
    nurse.force_login(make_user(Role.NURSE, LocationFactory()))
    assert nurse.get(f"/accounts/{account.pk}/").status_code == 403
    desk = Client()
    desk.force_login(make_user(Role.FRONT_DESK, LocationFactory()))
    count = LedgerEntry.objects.count()
    assert desk.post(f"/accounts/{account.pk}/charge/", {"amount": "5"}).status_code == 403
    assert LedgerEntry.objects.count() == count


def test_a_charge_and_an_adjustment_are_posted_from_the_page(
    biller: Any, family: dict[str, Any], location: Any
) -> None:
    client = Client()
    client.force_login(biller)
    account = family["account"]
    response = client.post(
        f"/accounts/{account.pk}/charge/",
        {
            "patient": family["child"].pk,
            "location": location.pk,
            "code": ChargeCode.RECORDS_FEE,
            "amount": "12.50",
            "memo": "",
        },
    )
    assert response.status_code == 302
    charge = LedgerEntry.objects.latest("pk")
    assert (charge.code, charge.amount, charge.patient) == (
        ChargeCode.RECORDS_FEE,
        D("12.50"),
        family["child"],
    )
    response = client.post(
        f"/accounts/{account.pk}/adjust/",
        {
            "location": location.pk,
            "code": AdjustmentCode.COURTESY,
            "amount": "-2.50",
            "reason": "Courtesy",
        },
    )
    assert response.status_code == 302
    assert selectors.account_balances(account=account).patient == D("35.00")


def test_bad_amounts_and_card_numbers_are_refused_with_field_errors(
    biller: Any, family: dict[str, Any], location: Any
) -> None:
    client = Client()
    client.force_login(biller)
    count = LedgerEntry.objects.count()
    response = client.post(
        f"/accounts/{family['account'].pk}/charge/",
        {
            "patient": family["parent"].pk,
            "location": location.pk,
            "code": ChargeCode.OTHER,
            "amount": "3.999",
            "memo": "card " + " ".join(["4111"] + ["1111"] * 3),
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "amount": ["Amounts have at most two decimal places (cents)."],
        "memo": ["That looks like a card number. Never type card numbers into notes; remove it."],
    }
    assert LedgerEntry.objects.count() == count


def test_a_charge_is_reversed_with_a_reason_but_a_payment_is_not(
    biller: Any, family: dict[str, Any]
) -> None:
    client = Client()
    client.force_login(biller)
    account = family["account"]
    copay = family["copay"]
    response = client.post(
        f"/accounts/{account.pk}/entries/{copay.pk}/reverse/", {"reason": "Waived"}
    )
    assert response.status_code == 302
    assert copay.reversal.amount == D("-40.00")
    payment_entry = family["payment"].entry
    client.post(f"/accounts/{account.pk}/entries/{payment_entry.pk}/reverse/", {"reason": "x"})
    assert not LedgerEntry.objects.filter(reverses=payment_entry).exists()


def test_the_patient_page_links_the_account_for_roles_that_may_see_it(
    biller: Any, make_user: Any, location: Any, family: dict[str, Any]
) -> None:
    client = Client()
    client.force_login(biller)
    link = f'href="/accounts/patient/{family["child"].pk}/"'
    assert link in client.get(f"/patients/{family['child'].pk}/").content.decode()
    scheduler = Client()
    scheduler.force_login(make_user(Role.SCHEDULER, location))
    assert link not in scheduler.get(f"/patients/{family['child'].pk}/").content.decode()

"""The payments API: idempotency by header, card outcomes as statuses, refunds, the account read."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from frontdesk.accounts.choices import Role
from frontdesk.api.tests.support import key_client_for
from frontdesk.audit.models import AuditEvent
from frontdesk.ledger.services import account_for_patient
from frontdesk.payments.models import Payment, Refund
from frontdesk.payments.tests.pay_fixtures import *  # noqa: F403 (fixtures)
from tests.factories import DrawerSessionFactory


@pytest.fixture
def api(location: Any, now: Any) -> Any:
    caller = key_client_for(Role.BILLING, location)
    DrawerSessionFactory(location=location, user=caller.user)
    return caller


def body(patient: Any, location: Any, **extra: Any) -> dict[str, Any]:
    data = {
        "patient_id": str(patient.pk),
        "location_id": str(location.pk),
        "amount": "40.00",
        "tenders": [
            {"kind": "cash", "amount": "15.00", "cash_tendered": "20.00"},
            {"kind": "card", "amount": "25.00", "card_token": "tok_visa_approve"},
        ],
    }
    data.update(extra)
    return data


def test_a_payment_is_taken_once_per_key(api, patient, location, charge):
    copay = charge(patient, "40.00")
    first = api.post("/api/v1/payments", body(patient, location), idempotency_key="k-1")
    assert first.status_code == 201, first.json()
    answer = first.json()
    assert answer["status"] == "completed"
    assert answer["amount"] == "40.00"
    assert answer["receipt_number"] == 1
    assert answer["change_due"] == "5.00"
    assert answer["applied"] == [{"charge_id": str(copay.pk), "amount": "40.00"}]
    assert answer["balance_after"] == "0.00"
    assert [(t["kind"], t["card_brand"], t["card_last4"]) for t in answer["tenders"]] == [
        ("cash", "", ""),
        ("card", "Visa", "4242"),
    ]
    again = api.post("/api/v1/payments", body(patient, location), idempotency_key="k-1")
    assert (again.status_code, again.json()) == (201, answer)
    assert Payment.objects.count() == 1
    other = api.post(
        "/api/v1/payments",
        body(patient, location, amount="41.00", tenders=[{"kind": "cash", "amount": "41.00"}]),
        idempotency_key="k-1",
    )
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency_mismatch"


def test_the_key_header_is_required_and_amounts_are_strings(api, patient, location):
    response = api.client.post(
        "/api/v1/payments",
        body(patient, location),
        content_type="application/json",
        headers={"Authorization": f"Bearer {api.key}"},
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {
        "idempotency_key": ["An idempotency key (up to 100 characters) is required."]
    }
    floats = api.post("/api/v1/payments", {**body(patient, location), "amount": 40.0})
    assert floats.status_code == 422
    assert Payment.objects.count() == 0


def test_declined_and_timed_out_cards(api, patient, location):
    declined = api.post(
        "/api/v1/payments",
        body(
            patient,
            location,
            amount="25.00",
            tenders=[{"kind": "card", "amount": "25.00", "card_token": "tok_decline"}],
        ),
    )
    assert declined.status_code == 402
    assert declined.json()["status"] == "declined"
    assert declined.json()["receipt_number"] is None
    pending = api.post(
        "/api/v1/payments",
        body(
            patient,
            location,
            amount="25.00",
            tenders=[{"kind": "hsa_fsa", "amount": "25.00", "card_token": "tok_timeout"}],
        ),
    )
    assert pending.status_code == 202
    assert pending.json()["status"] == "pending"
    assert pending.json()["message"].startswith("The card processor did not answer in time.")


def test_a_payment_without_an_open_drawer_is_409(location, patient, now):
    caller = key_client_for(Role.FRONT_DESK, location)
    response = caller.post("/api/v1/payments", body(patient, location))
    assert response.status_code == 409
    assert response.json() == {
        "code": "no_open_drawer",
        "message": "Open your cash drawer first.",
        "fields": {},
    }


def test_void_refund_and_the_account_read(api, patient, location, charge):
    charge(patient, "10.00")
    taken = api.post("/api/v1/payments", body(patient, location)).json()
    voided = api.post(f"/api/v1/payments/{taken['id']}/void", {"reason": "Wrong patient"})
    assert voided.status_code == 200
    assert voided.json()["status"] == "voided"
    again = api.post(f"/api/v1/payments/{taken['id']}/void", {"reason": "Wrong patient"})
    assert again.status_code == 409
    paid = api.post(
        "/api/v1/payments",
        body(patient, location, amount="30.00", tenders=[{"kind": "cash", "amount": "30.00"}]),
    ).json()
    account = account_for_patient(patient=patient)
    too_much = api.post(
        "/api/v1/refunds",
        {
            "account_id": str(account.pk),
            "location_id": str(location.pk),
            "amount": "25.00",
            "method": "cash",
            "reason": "Overpaid",
        },
    )
    assert too_much.status_code == 400
    assert too_much.json()["fields"]["amount"] == [
        "A refund cannot be more than the unapplied credit on the account ($20.00)."
    ]
    refund = api.post(
        "/api/v1/refunds",
        {
            "account_id": str(account.pk),
            "location_id": str(location.pk),
            "amount": "20.00",
            "method": "cash",
            "reason": "Overpaid",
            "payment_id": paid["id"],
        },
        idempotency_key="refund-1",
    )
    assert refund.status_code == 201, refund.json()
    assert refund.json()["receipt_number"] == 4  # payment 1, its void 2, payment 3
    assert Refund.objects.count() == 1
    audits = AuditEvent.objects.count()
    read = api.get(f"/api/v1/accounts/{account.pk}")
    assert read.status_code == 200
    data = read.json()
    assert data["balances"] == {
        "total": "0.00",
        "patient": "0.00",
        "insurance": "0.00",
        "unapplied": "0.00",
    }
    assert [(e["kind"], e["amount"], e["running_balance"]) for e in data["entries"]] == [
        ("charge", "10.00", "10.00"),
        ("payment", "-40.00", "-30.00"),
        ("payment", "40.00", "10.00"),
        ("payment", "-30.00", "-20.00"),
        ("refund", "20.00", "0.00"),
    ]
    assert data["entries"][2]["reverses_id"] == data["entries"][1]["id"]
    assert AuditEvent.objects.count() == audits + 1
    assert AuditEvent.objects.latest("sequence").object_type == "account"
    assert Decimal(data["balances"]["patient"]) == Decimal("0.00")

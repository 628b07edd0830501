"""The desk screens: take a split payment, a double click replays, the receipt page, print, void."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django.test import Client
from django.urls import reverse

from frontdesk.payments.models import Payment
from frontdesk.payments.tests.pay_fixtures import *  # noqa: F403 (fixtures)
from tests.factories import AppointmentFactory


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _key(html: str) -> str:
    match = re.search(r'name="idempotency_key" value="([^"]+)"', html)
    assert match
    return match.group(1)


def test_take_a_split_payment_and_a_double_click_replays(clerk, location, patient, drawer, charge):
    copay = charge(patient, "45.00")
    client = _client(clerk)
    url = reverse("payments:take", args=[patient.pk])
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "$45.00" in html
    assert f'name="apply_{copay.pk}"' in html
    assert "Desk A (open)" in html
    form = {
        "idempotency_key": _key(html),
        "location": str(location.pk),
        "amount": "45.00",
        "cash_amount": "20.00",
        "cash_tendered": "25.00",
        "card_amount": "25.00",
        "card_token": "tok_visa_approve",
        "apply": "oldest",
    }
    first = client.post(url, form)
    second = client.post(url, form)  # the double click
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Payment.objects.count() == 1
    payment = Payment.objects.get()
    assert first["Location"] == reverse("payments:receipt", args=[payment.pk])
    receipt = client.get(first["Location"]).content.decode()
    assert "Receipt no. 1 · Completed" in receipt
    assert "Card Visa \u2022\u2022\u2022\u2022 4242: $25.00" in receipt
    assert 'id="receipt-change">$5.00<' in receipt
    assert "You owe nothing: your account is paid in full." in receipt
    assert "tok_visa_approve" not in receipt
    # A fresh form gets a fresh key.
    assert _key(client.get(url).content.decode()) != form["idempotency_key"]


def test_bad_input_and_a_declined_card_keep_the_desk_on_the_form(clerk, location, patient, drawer):
    client = _client(clerk)
    url = reverse("payments:take", args=[patient.pk])
    key = _key(client.get(url).content.decode())
    bad = client.post(
        url,
        {
            "idempotency_key": key,
            "location": location.pk,
            "cash_amount": "10",
            "cash_tendered": "5",
        },
    )
    assert bad.status_code == 422
    assert (
        "The cash handed over ($5.00) is less than the cash amount ($10.00)."
        in bad.content.decode()
    )
    declined = client.post(
        url,
        {
            "idempotency_key": key,
            "location": location.pk,
            "card_amount": "10",
            "card_token": "tok_decline",
        },
    )
    assert declined.status_code == 402
    html = declined.content.decode()
    assert "The card was declined: Card declined by the issuer." in html
    assert _key(html) != key  # the next try is a new request
    assert Payment.objects.get().status == "declined"


def test_print_copy_and_void_from_the_receipt_page(clerk, location, patient, drawer):
    client = _client(clerk)
    url = reverse("payments:take", args=[patient.pk])
    key = _key(client.get(url).content.decode())
    client.post(url, {"idempotency_key": key, "location": location.pk, "cash_amount": "30"})
    payment = Payment.objects.get()
    pdf = client.post(reverse("payments:receipt_pdf", args=[payment.pk]))
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert client.get(reverse("payments:receipt_pdf", args=[payment.pk])).status_code == 405
    voided = client.post(reverse("payments:void", args=[payment.pk]), {"reason": "Keyed twice"})
    assert voided.status_code == 302
    payment.refresh_from_db()
    assert payment.status == "voided"
    assert payment.void_drawer == drawer
    page = client.get(reverse("payments:receipt", args=[payment.pk])).content.decode()
    assert "Receipt no. 1 · Voided" in page
    assert "Print void receipt (PDF)" in page


def test_the_check_in_panel_shows_the_real_balance_and_links_to_take_payment(
    clerk, location, patient, drawer, charge
):
    charge(patient, "25.00")
    appointment = AppointmentFactory(patient=patient, location=location)
    html = _client(clerk).get(reverse("visits:check_in", args=[appointment.pk])).content.decode()
    assert "Prior balance: $25.00 owed on the account." in html
    take = reverse("payments:take", args=[patient.pk])
    assert f'href="{take}?appointment={appointment.pk}"' in html


def test_refund_from_the_receipt_page_and_print_its_receipt(
    clerk, biller, location, patient, drawer, biller_drawer
):
    client = _client(clerk)
    url = reverse("payments:take", args=[patient.pk])
    key = _key(client.get(url).content.decode())
    client.post(url, {"idempotency_key": key, "location": location.pk, "cash_amount": "30"})
    payment = Payment.objects.get()
    office = _client(biller)
    page = office.get(reverse("payments:receipt", args=[payment.pk])).content.decode()
    assert "Refund the unapplied $30.00" in page
    form = {
        "idempotency_key": re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1),
        "amount": "12.50",
        "method": "cash",
        "reason": "Prepaid too much",
    }
    first = office.post(reverse("payments:refund", args=[payment.pk]), form)
    again = office.post(reverse("payments:refund", args=[payment.pk]), form)  # double click
    assert first.status_code == again.status_code == 302
    from frontdesk.payments.models import Refund

    refund = Refund.objects.get()
    assert (refund.amount, refund.drawer, refund.receipt_number) == (
        Decimal("12.50"),
        biller_drawer,
        2,
    )
    page = office.get(reverse("payments:receipt", args=[payment.pk])).content.decode()
    assert "Refund receipt no. 2: $12.50 (Cash from the drawer)" in page
    assert "Refund the unapplied $17.50" in page
    pdf = office.post(reverse("payments:refund_receipt_pdf", args=[refund.pk]))
    assert pdf["Content-Type"] == "application/pdf"
    too_much = office.post(
        reverse("payments:refund", args=[payment.pk]),
        {**form, "idempotency_key": "another", "amount": "20.00"},
        follow=True,
    )
    assert "Not refunded: A refund cannot be more than the unapplied credit" in (
        too_much.content.decode()
    )
    assert Refund.objects.count() == 1

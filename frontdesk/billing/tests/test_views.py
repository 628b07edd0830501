"""Screens: the day's encounters -> charge entry -> claim detail; worklist; batches; acks; and the API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from frontdesk.billing.choices import ClaimStatus
from frontdesk.billing.models import Claim, Encounter
from frontdesk.ledger.models import LedgerEntry


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_one_click_from_the_days_encounters_to_charge_entry_and_the_claim(clinic: Any) -> None:
    appointment = clinic.visit()
    client = _client(clinic.biller)

    day = client.get(
        reverse("billing:encounters"), {"location": clinic.location.pk, "date": "2026-12-07"}
    )
    entry_url = reverse("billing:charge_entry", args=[appointment.pk])
    assert day.status_code == 200 and entry_url in day.content.decode()

    form = client.get(entry_url)
    assert form.status_code == 200 and b"diagnosis_12" in form.content
    response = client.post(
        entry_url,
        {
            "diagnosis_1": "E11.9",
            "diagnosis_2": "I10",
            "line_1_procedure_code": "99213",
            "line_1_modifiers": "25",
            "line_1_units": "1",
            "line_1_charge": "",
            "line_1_pointers": "1 2",
            "place_of_service": "11",
        },
    )
    encounter = Encounter.objects.get(appointment=appointment)
    assert response.status_code == 302
    assert response["Location"] == reverse("billing:encounter", args=[encounter.pk])
    assert LedgerEntry.objects.filter(appointment=appointment).count() == 1
    claim = Claim.objects.get(encounter=encounter)
    page = client.get(reverse("billing:claim", args=[claim.pk]))
    assert page.status_code == 200
    assert claim.claim_id in page.content.decode() and b"Status history" in page.content
    # A second submission posts nothing more: the entry page now leads to the saved charges.
    assert client.get(entry_url)["Location"] == reverse("billing:encounter", args=[encounter.pk])


def test_charge_entry_errors_stay_beside_their_fields(clinic: Any) -> None:
    appointment = clinic.visit()
    response = _client(clinic.biller).post(
        reverse("billing:charge_entry", args=[appointment.pk]),
        {"diagnosis_1": "I10", "line_1_procedure_code": "99213", "line_1_pointers": "5"},
    )
    assert response.status_code == 422
    assert b"Pointer 5" in response.content
    assert not Encounter.objects.exists()


def test_icd10_search_fills_the_datalist(clinic: Any) -> None:
    response = _client(clinic.biller).get(reverse("billing:icd10_search"), {"diagnosis_1": "E11.9"})
    assert response.status_code == 200
    assert b'<datalist id="icd10-options">' in response.content and b"E11.9" in response.content


def test_worklist_puts_held_claims_first(clinic: Any) -> None:
    ready = clinic.claim(clinic.visit(hour=9))
    held = clinic.claim(clinic.visit(hour=11), diagnoses=("E11", "I10"))
    assert held.status == ClaimStatus.HELD
    response = _client(clinic.biller).get(reverse("billing:claims"))
    text = response.content.decode()
    assert text.index(held.claim_id) < text.index(ready.claim_id)
    filtered = _client(clinic.biller).get(reverse("billing:claims"), {"status": "ready"})
    assert held.claim_id not in filtered.content.decode()


def test_void_from_the_claim_page(clinic: Any) -> None:
    from frontdesk.billing import services
    from frontdesk.billing.choices import StatusSource

    claim = clinic.claim()
    services.claim_status_set(
        actor=clinic.biller, claim=claim, status=ClaimStatus.SENT, source=StatusSource.USER
    )
    response = _client(clinic.biller).post(
        reverse("billing:claim_void", args=[claim.pk]), {"reason": "Billed in error"}
    )
    void = Claim.objects.get(original_claim=claim)
    assert response["Location"] == reverse("billing:claim", args=[void.pk])
    assert void.frequency_code == "8"


def test_batches_page_sends_ready_claims(clinic: Any, settings: Any, tmp_path: Path) -> None:
    settings.FRONTDESK_CLEARINGHOUSE = f"files:{tmp_path}"
    claim = clinic.claim()
    client = _client(clinic.biller)
    assert client.get(reverse("billing:batches")).status_code == 200
    response = client.post(reverse("billing:batches"))
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SENT


def test_acks_page_reports_a_bad_file(clinic: Any) -> None:
    response = _client(clinic.biller).post(
        reverse("billing:acks_import"),
        {"file": SimpleUploadedFile("ack.999", b"not x12")},
    )
    assert response.status_code == 422
    assert b"not a readable X12" in response.content


def test_provider_enters_but_does_not_see_claims(clinic: Any) -> None:
    client = _client(clinic.doctor_user)
    assert client.get(reverse("billing:encounters")).status_code == 200
    assert client.get(reverse("billing:claims")).status_code == 403


def test_api_charges_and_claim_with_history(clinic: Any) -> None:
    appointment = clinic.visit()
    client = _client(clinic.biller)
    url = f"/api/v1/appointments/{appointment.pk}/charges"
    body = {
        "diagnoses": ["E11.9"],
        "lines": [{"procedure_code": "99213", "charge": "125.00", "pointers": [1]}],
    }

    created = client.post(url, body, content_type="application/json")
    again = client.post(url, body, content_type="application/json")

    assert created.status_code == 201, created.json()
    assert again.status_code == 409 and again.json()["code"] == "charges_already_entered"
    data = client.get(url).json()
    assert data["lines"][0]["charge"] == "125.00" and data["diagnoses"] == ["E119"]
    claim_id = data["claim_ids"][0]
    detail = client.get(f"/api/v1/claims/{claim_id}").json()
    assert [e["status"] for e in detail["history"]] == ["created", "ready"]
    assert detail["total_charge"] == "125.00"
    listed = client.get("/api/v1/claims", {"status": "ready"}).json()
    assert listed["count"] == 1
    scrubbed = client.post(f"/api/v1/claims/{claim_id}/scrub", {}, content_type="application/json")
    assert scrubbed.status_code == 200
    batch = client.post(
        "/api/v1/claim-batches", {"send": False}, content_type="application/json"
    ).json()
    assert batch["claim_ids"] == [claim_id] and batch["sent"] is True


def test_a_corrected_claim_line_is_edited_and_rescrubbed(clinic: Any) -> None:
    from frontdesk.billing import services
    from frontdesk.billing.choices import StatusSource

    claim = clinic.claim()
    services.claim_status_set(
        actor=clinic.biller, claim=claim, status=ClaimStatus.SENT, source=StatusSource.USER
    )
    Claim.objects.filter(pk=claim.pk).update(payer_claim_number="PCN-7")
    corrected = services.claim_correct(actor=clinic.biller, claim=claim, reason="Units")
    client = _client(clinic.biller)
    assert b"Correct a line" in client.get(reverse("billing:claim", args=[corrected.pk])).content

    client.post(
        reverse("billing:claim_line", args=[corrected.pk, 1]),
        {"procedure_code": "99213", "modifiers": "25", "units": "2", "pointers": "2 1"},
    )

    line = corrected.lines.get(line_number=1)
    assert (line.modifiers, line.units, line.diagnosis_pointers) == (["25"], 2, (2, 1))
    assert corrected.events.order_by("pk").last().source == "scrubber"  # type: ignore[union-attr]
    original_line = claim.lines.get(line_number=1)
    assert original_line.modifiers == []  # the sent claim is untouched


def test_filing_deadlines_show_the_default_and_take_the_practices_own(clinic: Any) -> None:
    from frontdesk.audit.models import AuditEvent
    from frontdesk.billing.models import PayerClaimSettings

    client = _client(clinic.biller)
    url = reverse("billing:payer_settings")

    page = client.get(url).content.decode()
    assert "Example Health Plan" in page and "the default for its type" in page
    assert 'value="90"' in page  # a commercial payer: 90 days

    saved = client.post(url, {"payer": clinic.payer.pk, "days": "120", "action": "set"})
    assert saved.status_code == 302
    assert PayerClaimSettings.objects.get(payer=clinic.payer).timely_filing_days == 120
    page = client.get(url).content.decode()
    assert "the practice's setting (default 90)" in page and 'value="120"' in page
    assert AuditEvent.objects.filter(
        object_type="payer_claim_settings", detail__timely_filing_days=120
    ).exists()

    refused = client.post(url, {"payer": clinic.payer.pk, "days": "0", "action": "set"})
    assert refused.status_code == 400
    assert "Between 1 and 3650 days." in refused.content.decode()
    blank = client.post(url, {"payer": clinic.payer.pk, "days": "", "action": "set"})
    assert blank.status_code == 400
    assert "Enter the number of days (1 to 3650)" in blank.content.decode()
    assert PayerClaimSettings.objects.get(payer=clinic.payer).timely_filing_days == 120

    back = client.post(url, {"payer": clinic.payer.pk, "action": "default"})
    assert back.status_code == 302
    assert not PayerClaimSettings.objects.filter(payer=clinic.payer).exists()


def test_filing_deadlines_are_the_billing_offices(clinic: Any) -> None:
    url = reverse("billing:payer_settings")
    clerk = _client(clinic.clerk)
    assert clerk.get(url).status_code == 403
    assert clerk.post(url, {"payer": clinic.payer.pk, "days": "30"}).status_code == 403
    missing = _client(clinic.biller).post(url, {"payer": "999999", "days": "30"})
    assert missing.status_code == 404

"""The billing issue's "done" on the demo practice, through the staff web app.

From a freshly loaded demo practice, the demo billing specialist checks a patient's eligibility for
tomorrow's visit, enters the charges of a visit seen in the last days from its encounter form, posts
them, sends the ready claims as an 837P batch (the file that left passes pyx12, a validator we did
not write), polls the clearinghouse inbox, and sees the simulated payer's 999, 277CA and 835 applied:
the claim paid, its payment, contractual adjustment and patient responsibility on the ledger, the
demo's denials on the worklist, and every posting exactly once (a second poll finds nothing new, the
same 835 uploaded again is refused as already posted, and the ledger does not move).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Sum
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from frontdesk.accounts.models import User
from frontdesk.accounts.policy import A
from frontdesk.billing.choices import ClaimStatus
from frontdesk.billing.models import Claim, ClaimStatusEvent, Encounter
from frontdesk.clearinghouse.models import Exchange
from frontdesk.clearinghouse.services import exchange_download
from frontdesk.demo.money import BILLING_LOGIN
from frontdesk.demo.services import demo_load
from frontdesk.eligibility.models import EligibilityCheck
from frontdesk.ledger.choices import Bucket
from frontdesk.ledger.models import LedgerEntry
from frontdesk.patients.choices import CoverageStatus
from frontdesk.practice.models import Location
from frontdesk.remittance.choices import PostingRole
from frontdesk.remittance.models import ClaimRemittance, Denial, Remittance, RemittancePosting
from frontdesk.scheduling.choices import AppointmentStatus
from frontdesk.scheduling.models import Appointment
from tests.x12.pyx12check import pyx12_errors

pytestmark = pytest.mark.django_db

# The simulated payer's special member IDs (docs/simulated-payer.md): unknown, ended, and so on.
SPECIAL_ENDINGS = ("0000", "9999", "8888", "7777")


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _primary(appointment: Appointment):
    coverages = sorted(appointment.patient.coverages.all(), key=lambda c: c.priority)
    return next((c for c in coverages if c.status == CoverageStatus.ACTIVE), None)


def _ordinary(coverage) -> bool:
    return coverage is not None and not coverage.member_id.strip().endswith(SPECIAL_ENDINGS)


def _primary_only(appointment: Appointment) -> bool:
    """No active secondary coverage: patient responsibility then goes to the patient (with one, the
    835's PR amounts stay open for the secondary claim, docs/remittance.md)."""
    return not any(
        c.status == CoverageStatus.ACTIVE and c.priority > 1
        for c in appointment.patient.coverages.all()
    )


def _visits(biller: User, **filters):
    return (
        Appointment.objects.filter(
            patient__is_restricted=False,
            location__in=Location.objects.restrict(biller, A.CHARGE_ENTER),
            **filters,
        )
        .select_related("patient")
        .prefetch_related("patient__coverages")
        .order_by("starts_at", "pk")
    )


def _ledger(claim: Claim) -> tuple[int, Decimal]:
    """The visit's entries on the patient's account: how many, and what insurance owes on them."""
    entries = LedgerEntry.objects.filter(appointment_id=claim.encounter.appointment_id)
    owed = entries.filter(bucket=Bucket.INSURANCE).aggregate(total=Sum("amount"))["total"]
    return entries.count(), owed or Decimal("0.00")


def _enter_charges(client: Client, visit: Appointment, diagnosis: str, *codes: str) -> Claim:
    """The biller opens the visit's encounter form, enters the diagnosis and the procedure codes
    (fees from the practice's schedule), saves and posts the charges."""
    form = client.get(reverse("billing:charge_entry", args=[visit.pk]))
    assert form.status_code == 200
    lines = {}
    for n, code in enumerate(codes, start=1):
        lines |= {f"line_{n}_procedure_code": code, f"line_{n}_pointers": "1"}
    saved = client.post(
        reverse("billing:charge_entry", args=[visit.pk]), {"diagnosis_1": diagnosis, **lines}
    )
    assert saved.status_code == 302, saved.content.decode()[:2000]
    encounter = Encounter.objects.get(appointment=visit)
    posted = client.post(reverse("billing:encounter_post", args=[encounter.pk]))
    assert posted.status_code == 302
    claim = Claim.objects.get(encounter=encounter, frequency_code="1")
    assert claim.status == ClaimStatus.READY, list(claim.findings.values_list("message", flat=True))
    return claim


def test_a_billing_specialist_runs_the_whole_insurance_loop_on_the_demo() -> None:
    demo_load(patients=60, seed=11)
    biller = User.objects.get(username=BILLING_LOGIN)
    client = Client()
    client.force_login(biller)
    now = timezone.now()

    # 1. Eligibility for the next booked visit, from the coverage's panel (a real 270/271).
    tomorrow = next(
        a
        for a in _visits(
            biller, status=AppointmentStatus.BOOKED, starts_at__gte=now + dt.timedelta(hours=1)
        )
        if _ordinary(_primary(a))
    )
    coverage = _primary(tomorrow)
    checked = client.post(
        reverse("eligibility:check_run", args=[coverage.pk]), {"appointment": tomorrow.pk}
    )
    check = EligibilityCheck.objects.filter(coverage=coverage).latest("requested_at")
    assert checked.status_code == 302
    assert checked["Location"] == reverse("eligibility:check", args=[check.pk])
    assert (check.status, check.active) == ("complete", True)
    assert check.date_of_service == tomorrow.starts_at.astimezone(tomorrow.location.tzinfo).date()
    page = client.get(checked["Location"])
    assert page.status_code == 200
    assert "Office visit" in page.content.decode()

    # 2. Charges from the encounter forms of two visits of one payer seen in the last two weeks and
    # not billed yet: an office visit, and an annual physical with a screening ECG (which the payer
    # will deny as not medically necessary).
    seen = [
        a
        for a in _visits(
            biller,
            status=AppointmentStatus.FULFILLED,
            starts_at__gte=now - dt.timedelta(days=14),  # (weekends have no visits)
            starts_at__lt=now - dt.timedelta(hours=1),
            billing_encounter__isnull=True,
        )
        if _ordinary(_primary(a)) and _primary_only(a)
    ]
    visit, physical = next(
        (a, b)
        for i, a in enumerate(seen)
        for b in seen[i + 1 :]
        if _primary(a).payer_id == _primary(b).payer_id and a.patient_id != b.patient_id
    )
    claim = _enter_charges(client, visit, "I10", "99213")
    owed_count, owed = _ledger(claim)
    assert owed == claim.total_charge > 0  # the visit's charges wait for the payer
    screened = _enter_charges(client, physical, "Z00.00", "99396", "93000")

    # 3. The ready claims go out as one 837P batch per payer; the file that left passes pyx12.
    sent = client.post(reverse("billing:batches"), {"payer": claim.payer_id})
    assert sent.status_code == 302
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SENT
    batch = claim.batch
    outbound = Exchange.objects.get(pk=batch.exchange_pk)
    text = exchange_download(actor=biller, exchange=outbound).decode()
    assert f"CLM*{claim.claim_id}*" in text
    assert pyx12_errors(text) == []

    # 4. The payer's answers come back on the next poll: 999, 277CA and 835, applied in order.
    polled = client.post(reverse("clearinghouse:poll"))
    assert polled.status_code == 302
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID
    assert list(
        ClaimStatusEvent.objects.filter(claim=claim)
        .order_by("at", "pk")
        .values_list("status", flat=True)
    ) == ["created", "ready", "sent", "acknowledged", "accepted", "paid"]
    answer = ClaimRemittance.objects.get(claim=claim)
    postings = RemittancePosting.objects.filter(claim_remittance=answer)

    def posted(role: str, **filters: object) -> Decimal:
        entries = LedgerEntry.objects.filter(
            pk__in=postings.filter(role=role).values("entry_id"), **filters
        )
        return entries.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")

    # (what the plan pays depends on the member's plan: a copay may take the whole allowed amount)
    insurance_paid = -posted(PostingRole.PAYMENT)
    written_off = -posted(PostingRole.ADJUSTMENT)  # the contractual write-off (CO-45)
    patient_share = posted(PostingRole.TRANSFER, amount__gt=0)
    assert insurance_paid == answer.paid
    assert written_off > 0
    assert patient_share == answer.patient_responsibility
    assert insurance_paid + written_off + patient_share == claim.total_charge
    after_count, owed_after = _ledger(claim)
    assert after_count > owed_count
    assert owed_after == Decimal("0.00")  # paid, written off, or moved to the patient
    remittance = answer.remittance
    detail = client.get(reverse("remittance:detail", args=[remittance.pk]))
    assert detail.status_code == 200
    assert claim.claim_id in detail.content.decode()
    # The screening ECG is on the denial worklist, with the reason in plain words.
    screened.refresh_from_db()
    # (the physical itself may have gone to the member's deductible: then nothing was paid at all)
    paid_for_physical = ClaimRemittance.objects.get(claim=screened).paid
    assert screened.status == (
        ClaimStatus.PARTIALLY_PAID if paid_for_physical else ClaimStatus.DENIED
    )
    denial = Denial.objects.get(claim=screened)
    assert (denial.claim_line.procedure_code, denial.carc_codes, denial.rarc_codes) == (
        "93000",
        "CO-50",
        "N115",
    )
    assert "Not deemed a medical necessity by the payer" in denial.meaning
    worklist = client.get(reverse("remittance:denials"))
    assert worklist.status_code == 200
    assert screened.claim_id in worklist.content.decode()

    # 5. Exactly once: nothing new on the next poll; the same 835 uploaded by hand is refused.
    remittances = Remittance.objects.count()
    entries = LedgerEntry.objects.count()
    again = client.post(reverse("clearinghouse:poll"), follow=True)
    assert "Nothing new in the clearinghouse inbox." in again.content.decode()
    inbound = Exchange.objects.get(pk=remittance.exchange_pk)
    upload = SimpleUploadedFile("again.835", exchange_download(actor=biller, exchange=inbound))
    refused = client.post(reverse("remittance:import"), {"file": upload})
    assert refused.status_code == 200
    assert "already posted" in refused.content.decode()
    assert (Remittance.objects.count(), LedgerEntry.objects.count()) == (remittances, entries)
    assert _ledger(claim) == (after_count, owed_after)

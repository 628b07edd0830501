"""Billing in a real browser: a biller enters a visit's charges and sees the claim the scrubber passed;
sends the ready claims to the simulated payer and sees them accepted once the acknowledgments are
polled; imports an 835 and sees what was posted, that a second import posts nothing, and the denial
on the worklist (Playwright driving Debian's Chromium)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from frontdesk.accounts.choices import Role
from frontdesk.billing import batch_services, services
from frontdesk.billing.choices import ClaimStatus
from frontdesk.billing.models import Claim
from frontdesk.clearinghouse.simulated import answer_837
from frontdesk.coding.models import FeeSchedule, FeeScheduleEntry, ProcedureCode
from frontdesk.ledger.models import LedgerEntry
from frontdesk.remittance.models import Remittance
from tests.factories import (
    TEST_PASSWORD,
    AppointmentFactory,
    CoverageFactory,
    LocationFactory,
    OrganizationFactory,
    PatientFactory,
    PayerFactory,
    ProviderFactory,
    UserFactory,
    assign,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NY = zoneinfo.ZoneInfo("America/New_York")
# The simulated payer picks the plan from the payer ID: ZZPPO2 is its PPO (a $20 office visit copay,
# allowed 80 % of the charge; docs/simulated-payer.md).
PAYER_ID = "ZZPPO2"


class Practice:
    """One location billing one payer (the simulated PPO), its provider, biller and code list."""

    def __init__(self) -> None:
        organization = OrganizationFactory(
            name="Zzbilling Family Medicine (synthetic)",
            tax_id="12-3456789",
            address_line1="1 Example Way",
            city="Springfield",
            state="IL",
            postal_code="62701-1234",
            phone="2175550100",
        )
        self.location = LocationFactory(organization=organization, name="Zz Billing Clinic")
        self.provider = ProviderFactory(first_name="Ada", last_name="Zzbillprov")
        self.provider.locations.add(self.location)
        self.payer = PayerFactory(name="Zz Simulated PPO", payer_id=PAYER_ID)
        self.biller = assign(
            UserFactory(username="biller.zz", first_name="Bea", role=Role.BILLING), self.location
        )
        # The practice imports its CPT codes and keeps its standard charges.
        for code in ("99213", "99999"):
            ProcedureCode.objects.create(code=code, kind="cpt", description=f"Sample {code}")
        standard = FeeSchedule.objects.create(
            name="Standard charges", effective_from=dt.date(2026, 1, 1)
        )
        FeeScheduleEntry.objects.create(schedule=standard, code="99213", amount=Decimal("125.00"))
        self._hour = 8

    def visit(self, first_name: str, last_name: str, member_id: str) -> Any:
        """A visit that happened yesterday (the patient arrived), one hour after the previous."""
        patient = PatientFactory(
            first_name=first_name,
            last_name=last_name,
            address_line1="12 Sample Street",
            city="Springfield",
            state="IL",
            postal_code="62704",
        )
        CoverageFactory(patient=patient, payer=self.payer, member_id=member_id)
        yesterday = dt.datetime.now(NY).date() - dt.timedelta(days=1)
        self._hour += 1
        return AppointmentFactory(
            patient=patient,
            provider=self.provider,
            location=self.location,
            starts_at=dt.datetime.combine(yesterday, dt.time(self._hour), tzinfo=NY),
            status="arrived",
        )

    def claim(self, appointment: Any, code: str = "99213", charge: str = "125.00") -> Claim:
        """Charges entered and posted through the billing services: the claim, scrubbed."""
        encounter = services.encounter_save(
            actor=self.biller,
            appointment=appointment,
            data=services.EncounterInput(
                diagnoses=("I10",), lines=(services.LineInput(code, charge),)
            ),
        )
        return Claim.objects.get(encounter=encounter)


def log_in(page: Any) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("biller.zz")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Good day, Bea").wait_for()


def open_billing_menu(page: Any, item: str) -> None:
    """Billing → ``item`` from the main navigation."""
    nav = page.get_by_role("navigation", name="Main")
    nav.locator("summary", has_text="Billing").click()
    nav.get_by_role("link", name=item, exact=True).click()


def test_enter_charges_from_an_encounter(page: Any, live_server: Any) -> None:
    practice = Practice()
    appointment = practice.visit("Quinn", "Zzcharges", "ZZB00001234")
    yesterday = appointment.starts_at.astimezone(NY).date()
    log_in(page)

    open_billing_menu(page, "Charges")
    page.get_by_role("heading", name="Encounters · Zz Billing Clinic").wait_for()
    page.get_by_label("Day", exact=True).fill(yesterday.isoformat())
    page.get_by_label("Day", exact=True).press("Enter")
    row = page.locator("tr", has_text="Zzcharges, Quinn")
    row.get_by_text("(Arrived)").wait_for()
    assert row.get_by_role("cell", name="none yet").is_visible()
    row.get_by_role("link", name="Enter charges").click()

    page.get_by_role("heading", name="Enter charges · Zzcharges, Quinn").wait_for()
    assert page.get_by_text(
        "Zz Simulated PPO (member ZZB00001234): charges go to insurance and a claim is created"
    ).is_visible()
    # The diagnosis field suggests ICD-10-CM codes as one types (the server's code search).
    diagnosis = page.get_by_label("1", exact=True)
    diagnosis.press_sequentially("I1")
    page.locator('#icd10-options option[value="I10"]').wait_for(state="attached")
    assert page.locator('#icd10-options option[value="I10"]').text_content() == (
        "I10 Essential (primary) hypertension"
    )
    diagnosis.press("0")
    page.keyboard.press("Tab")
    page.get_by_label("Line 1 code").fill("99213")
    page.keyboard.press("Tab")  # modifiers
    page.keyboard.press("Tab")  # units (1)
    page.keyboard.press("Tab")  # charge: empty, the fee schedule's
    assert page.get_by_label("Line 1 pointers").input_value() == "1"
    page.get_by_role("button", name="Save charges").click()

    page.get_by_role(
        "heading", name=f"Charges · Zzcharges, Quinn · {yesterday:%-d %b %Y}"
    ).wait_for()
    page.get_by_text("Charges saved.").wait_for()
    claim = Claim.objects.get(encounter__appointment=appointment)
    assert page.locator("dl.facts").get_by_text("Billed (claim created)").is_visible()
    line = page.locator("tbody tr").first
    assert line.locator("td").all_inner_texts() == ["1", "99213", "", "1", "$125.00", "1", "posted"]
    assert page.get_by_role("listitem").filter(has_text=claim.claim_id).inner_text() == (
        f"{claim.claim_id} — Ready to send"
    )
    page.get_by_role("link", name=claim.claim_id).click()

    page.get_by_role("heading", name=f"Claim {claim.claim_id} · Ready to send").wait_for()
    # The scrubber's verdict: nothing to fix, so the claim is ready to send.
    assert page.get_by_text("No findings.", exact=True).is_visible()
    facts = page.locator("dl.facts")
    assert facts.get_by_text("$125.00", exact=True).is_visible()
    assert facts.get_by_text("1. I10", exact=True).is_visible()
    history = page.locator("table").last.locator("tbody tr")
    assert [row.locator("td").all_inner_texts()[1:4] for row in history.all()] == [
        ["Created", "User", "Claim created from the visit's charges."],
        ["Ready to send", "Scrubber", "Scrubbed: no findings."],
    ]
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.READY


def test_send_a_batch_and_see_it_accepted(page: Any, live_server: Any, settings: Any) -> None:
    settings.FRONTDESK_CLEARINGHOUSE = "simulated"
    # The payer keeps its 835 for an hour: this test is about the acknowledgments (999, 277CA).
    settings.FRONTDESK_SIMULATED_PAYER_DELAY = 3600
    practice = Practice()
    claim = practice.claim(practice.visit("Rita", "Zzbatch", "ZZB00005678"))
    assert claim.status == ClaimStatus.READY
    log_in(page)

    open_billing_menu(page, "Claim batches")
    page.get_by_role("heading", name="Claim batches (837P)").wait_for()
    ready = page.locator("tr", has_text="Zz Simulated PPO")
    assert ready.locator("td").all_inner_texts()[:3] == ["Zz Simulated PPO", "1", "$125.00"]
    assert page.get_by_text("No batches yet.").is_visible()
    page.get_by_role("button", name="Send all ready claims to the clearinghouse").focus()
    page.keyboard.press("Enter")
    page.get_by_text("Sent 1 claim(s) to the clearinghouse.").wait_for()
    assert page.get_by_text("No claims are ready to send.").is_visible()
    claim.refresh_from_db()
    batch = claim.batch
    assert batch is not None
    sent = page.locator("tr", has_text=batch.reference).locator("td")
    assert sent.all_inner_texts()[:5] == [batch.reference, "all payers", "1", "$125.00", "Sent"]
    assert sent.nth(7).inner_text() == ""

    # The simulated payer has answered into the clearinghouse inbox; the biller collects it.
    open_billing_menu(page, "Clearinghouse")
    page.get_by_role("heading", name="Clearinghouse exchanges").wait_for()
    page.get_by_role("button", name="Poll the inbox now").click()
    page.get_by_text("2 new files received.").wait_for()
    exchanges = page.get_by_role("table", name="Exchanges").locator("tbody tr")
    listed = [row.locator("td").all_inner_texts() for row in exchanges.all()]
    assert sorted((cells[2], cells[1], cells[4]) for cells in listed) == [
        ("277CA", "Received", "Processed"),
        ("837P", "Sent", "Sent"),
        ("999", "Received", "Processed"),
    ]

    open_billing_menu(page, "Claim batches")
    page.get_by_role("heading", name="Claim batches (837P)").wait_for()
    acknowledged = page.locator("tr", has_text=batch.reference).locator("td")
    assert acknowledged.nth(4).inner_text() == "Acknowledged (999)"
    assert acknowledged.nth(7).inner_text() == (
        f"999: the batch {batch.reference} was accepted by the clearinghouse."
    )

    open_billing_menu(page, "Claims")
    page.get_by_role("heading", name="Claims", exact=True).wait_for()
    row = page.locator("tr", has_text=claim.claim_id)
    assert row.locator("td").all_inner_texts()[1:6] == [
        "Zzbatch, Rita",
        claim.service_date.isoformat(),
        "Zz Simulated PPO P",
        "$125.00",
        "Accepted by the payer (277CA)",
    ]
    row.get_by_role("link", name=claim.claim_id).click()
    page.get_by_role(
        "heading", name=f"Claim {claim.claim_id} · Accepted by the payer (277CA)"
    ).wait_for()
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.ACCEPTED
    assert claim.payer_claim_number.startswith("SIM")
    facts = page.locator("dl.facts")
    assert facts.get_by_text(claim.payer_claim_number, exact=True).is_visible()
    assert facts.get_by_text(f"{batch.reference} (Acknowledged (999))", exact=True).is_visible()
    # The history: the 999 acknowledged the batch, then the payer's answer, as the 277CA gave it.
    history = page.locator("table").last.locator("tbody tr")
    assert [row.locator("td").nth(1).inner_text() for row in history.all()] == [
        "Created",
        "Ready to send",
        "Sent",
        "Accepted by the clearinghouse (999)",
        "Accepted by the payer (277CA)",
    ]
    last = history.last.locator("td")
    assert last.all_inner_texts()[1:4] == [
        "Accepted by the payer (277CA)",
        "277CA acknowledgment",
        "277CA: accepted by FRONTDESK CLEARINGHOUSE: A2 Accepted into the payer's adjudication "
        f"system: 20 accepted for processing. Payer claim number {claim.payer_claim_number}.",
    ]


def test_import_an_835_and_see_the_posting(page: Any, live_server: Any, tmp_path: Any) -> None:
    practice = Practice()
    paid = practice.claim(practice.visit("Sam", "Zzpaid", "ZZB00004321"))
    denied = practice.claim(practice.visit("Tess", "Zzdenied", "ZZB00008765"), "99999", "80.00")
    assert (paid.status, denied.status) == (ClaimStatus.READY, ClaimStatus.READY)
    # The claims go out as a file (837P export); the simulated payer's 835 answers it: 99213 paid
    # at 80 % less the $20 copay, 99999 denied CO-96.
    built = batch_services.claims_export(actor=practice.biller)
    era = answer_837(built.payload, dt.datetime.now(NY).date()).remittance_835
    path = tmp_path / "zz-remittance.835"
    path.write_text(era)
    log_in(page)

    open_billing_menu(page, "Import an 835")
    page.get_by_role("heading", name="Import an 835 (electronic remittance advice)").wait_for()
    page.get_by_label("835 file").set_input_files(path)
    page.get_by_role("button", name="Import and post").click()
    page.get_by_text("The 835 was posted.").wait_for()
    remittance = Remittance.objects.get()
    page.get_by_role(
        "heading", name=f"Zz Simulated PPO — trace {remittance.trace_number}"
    ).wait_for()
    today = dt.datetime.now(NY).date()
    assert page.get_by_text(f"80.00 (CHK) on {today:%m/%d/%Y}", exact=True).is_visible()
    paid.refresh_from_db()
    denied.refresh_from_db()
    assert (paid.status, denied.status) == (ClaimStatus.PAID, ClaimStatus.DENIED)

    section = page.locator("section", has_text=f"Claim {paid.claim_id}")
    assert section.get_by_role("heading", level=3).inner_text() == (
        f"Claim {paid.claim_id} — Processed as primary (Posted)"
    )
    assert section.get_by_text("Charged 125.00", exact=False).inner_text() == (
        "Charged 125.00, paid 80.00, patient responsibility 20.00; payer claim number "
        f"{remittance.claims.get(claim=paid).payer_claim_number}."
    )
    line = section.get_by_role("table", name=f"Service lines of claim {paid.claim_id}")
    assert line.locator("tbody td").all_inner_texts()[3:6] == ["125.00", "100.00", "80.00"]
    items = line.get_by_role("listitem").all_inner_texts()
    assert items == [
        "CO-45: Charge exceeds the fee schedule or maximum allowable amount (contractual "
        "obligation) — 25.00 — Written off (ledger adjustment)",
        "PR-3: Co-payment amount (patient responsibility) — 20.00 — Moved to patient "
        "responsibility",
    ]
    postings = section.locator("table").last.locator("tbody tr")
    assert [
        [cells[0], *cells[2:]]
        for cells in (row.locator("td").all_inner_texts() for row in postings.all())
    ] == [
        ["Insurance payment", "Insurance", "-80.00", "Insurance payment: Zz Simulated PPO"],
        [
            "Adjustment",
            "Insurance",
            "-25.00",
            "CO-45: Charge exceeds the fee schedule or maximum allowable amount "
            "(contractual obligation)",
        ],
        [
            "Transfer to patient",
            "Insurance",
            "-20.00",
            "Patient responsibility per 835: PR-3: Co-payment amount (patient responsibility)",
        ],
        [
            "Transfer to patient",
            "Patient",
            "20.00",
            "Patient responsibility per 835: PR-3: Co-payment amount (patient responsibility)",
        ],
    ]

    refused = page.locator("section", has_text=f"Claim {denied.claim_id}")
    assert refused.get_by_role("heading", level=3).inner_text() == (
        f"Claim {denied.claim_id} — Denied (Denied (on the worklist))"
    )
    assert refused.get_by_text("Left open on the denial worklist").is_visible()
    assert refused.get_by_role("link", name="CO-96 (80.00) — Open").is_visible()
    entries = LedgerEntry.objects.count()

    # The same file again: recognised by its payer and trace number, nothing posted twice.
    open_billing_menu(page, "Import an 835")
    page.get_by_label("835 file").set_input_files(path)
    page.get_by_label("835 file").focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Result").wait_for()
    posted_on = timezone.localtime(remittance.imported_at).date()
    assert page.get_by_role("listitem").filter(has_text="already posted").inner_text() == (
        f"The payment with trace number {remittance.trace_number} from Zz Simulated PPO was "
        f"already posted on {posted_on.isoformat()} by Bea Staffer; nothing was posted again."
    )
    assert page.get_by_role(
        "link", name=f"Zz Simulated PPO — trace {remittance.trace_number}"
    ).is_visible()
    assert Remittance.objects.count() == 1
    assert LedgerEntry.objects.count() == entries

    open_billing_menu(page, "Denials")
    page.get_by_role("heading", name="Denial worklist").wait_for()
    rows = page.locator("#denial-rows tr")
    assert rows.count() == 1
    cells = rows.first.locator("td").all_inner_texts()
    assert cells[:4] == [denied.claim_id, "Zzdenied, Tess", "Zz Simulated PPO", "CO-96 N130"]
    assert cells[4].startswith("CO-96: Non-covered charge(s) (contractual obligation) N130: ")
    assert cells[5:] == ["80.00", "Open", ""]

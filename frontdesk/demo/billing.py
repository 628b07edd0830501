"""A month of insurance billing for the demo practice, through the real services and the simulated payer.

After the month of copays (``money.py``): the practice's code list and fee schedules are seeded
(our own wording, no AMA text), each insured visit of the window gets its charges entered from the
encounter form (diagnoses and procedures from a small set of everyday primary-care visits), the
claims are scrubbed, sent week by week as real 837P batches to the built-in simulated payer, and its
999, 277CA and 835 files are polled back and applied: claims end up paid, partially paid, denied
(patient responsibility, a not-covered service), rejected (the payer's member-ID rule), held by the
scrubber (a header ICD-10-CM code), ready (the last two days), sent (the last batch: its answers wait
in the simulated payer's inbox for the clock's next poll), corrected and void. Eligibility is
checked for the next day's visits. Everything goes through the same services the screens use, so the
ledger, the audit log, the exchange log and the disclosure log are all as they would be.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone

from frontdesk.accounts.models import User
from frontdesk.accounts.policy import A
from frontdesk.core.errors import DomainError
from frontdesk.demo.money import BILLING_LOGIN, MONEY_DAYS
from frontdesk.patients.choices import CoverageStatus
from frontdesk.practice.models import Location, Payer
from frontdesk.scheduling.choices import AppointmentStatus
from frontdesk.scheduling.models import Appointment

# (diagnoses, ((procedure, modifiers), ...)) — everyday visits of a primary-care practice.
VISITS: tuple[tuple[tuple[str, ...], tuple[tuple[str, tuple[str, ...]], ...]], ...] = (
    (("I10",), (("99213", ()),)),
    (("E11.9", "I10"), (("99214", ()), ("36415", ()))),
    (("J02.9",), (("99213", ()), ("87880", ()))),
    (("M54.50",), (("99213", ()),)),
    (("E78.5", "I10"), (("99214", ("25",)), ("93000", ()))),
    (("R51.9",), (("99212", ()),)),
    (("K21.9",), (("99213", ()),)),
    (("J45.909",), (("99214", ()), ("J1885", ()), ("90471", ()))),
    (("Z00.00",), (("99396", ()),)),
    # A screening ECG with the physical: the simulated payer denies it (CO-50, the denial worklist).
    (("Z00.00",), (("99396", ()), ("93000", ()))),
    (("F41.1",), (("99213", ("GY",)),)),  # the simulated payer: GY = not covered, patient pays
)
# A header code (E11 is a category, not billable): the scrubber holds the claim with its fix.
HELD_VISIT = (("E11",), (("99213", ()),))
HELD_EVERY = 29
UNSENT_DAYS = 2  # claims of the last two days stay ready to send
# Visits billed per day: enough for every billing screen to have a month of data, few enough that
# the demo loads in a couple of minutes (charge entry costs about 0.15 s a visit, audited).
CLAIMS_PER_DAY = 6
ELIGIBILITY_CHECKS = 25  # tomorrow's visits checked with the payer (real 270/271 round trips)


@dataclass
class BillingStats:
    encounters: int = 0
    claims_sent: int = 0
    batches: int = 0
    held: int = 0
    remittance_files: int = 0
    eligibility_checks: int = 0


def billing_build(*, seed: int) -> BillingStats:
    """Enter, send and post a month of claims (``settings.DEMO_MONEY_DAYS`` days, like the copays)."""
    from frontdesk.billing import services as billing
    from frontdesk.billing.batch_services import claims_send
    from frontdesk.billing.choices import ClaimStatus
    from frontdesk.billing.models import Claim
    from frontdesk.clearinghouse.services import inbox_poll
    from frontdesk.coding.services import demo_seed

    rng = random.Random(seed + 23)
    stats = BillingStats()
    days = int(getattr(settings, "DEMO_MONEY_DAYS", MONEY_DAYS))
    now = timezone.now()
    biller = User.objects.get(username=BILLING_LOGIN)
    demo_seed(payers=list(Payer.objects.order_by("pk")), on=(now - dt.timedelta(days=days)).date())

    visits = (
        Appointment.objects.filter(
            status=AppointmentStatus.FULFILLED,
            patient__is_restricted=False,
            patient__coverages__status=CoverageStatus.ACTIVE,
            # The billing office's locations (the demo biller covers Albany and Buffalo).
            location__in=Location.objects.restrict(biller, A.CHARGE_ENTER),
            starts_at__gte=now - dt.timedelta(days=days),
            starts_at__lt=now - dt.timedelta(hours=1),
        )
        .distinct()
        .select_related("patient", "location", "provider")
        .order_by("starts_at", "pk")
    )
    by_day: dict[dt.date, list[Appointment]] = {}
    for appointment in visits:
        day = appointment.starts_at.astimezone(appointment.location.tzinfo).date()
        by_day.setdefault(day, []).append(appointment)
    chosen = [
        appointment
        for _, day_visits in sorted(by_day.items())
        for appointment in rng.sample(day_visits, min(CLAIMS_PER_DAY, len(day_visits)))
    ]
    for index, appointment in enumerate(chosen):
        diagnoses, lines = HELD_VISIT if index % HELD_EVERY == 7 else rng.choice(VISITS)
        data = billing.EncounterInput(
            diagnoses=diagnoses,
            lines=tuple(
                billing.LineInput(code, "", modifiers=modifiers, pointers=(1,))
                for code, modifiers in lines
            ),
        )
        try:
            billing.encounter_save(actor=biller, appointment=appointment, data=data, post=True)
        except DomainError:
            continue  # e.g. a coverage that ended: the visit is left for the biller
        stats.encounters += 1
    stats.held = Claim.objects.filter(status=ClaimStatus.HELD).count()

    # Week by week, the ready claims go out; the payer's answers come back and are applied. The last
    # week's batch is sent but not polled: its 999/277CA/835 wait for the clock's next poll.
    cutoff = timezone.localdate() - dt.timedelta(days=UNSENT_DAYS)
    ready = list(
        Claim.objects.filter(status=ClaimStatus.READY, service_date__lt=cutoff)
        .order_by("service_date", "pk")
        .values_list("pk", "service_date")
    )
    weeks: dict[tuple[int, int], list[int]] = {}
    for pk, day in ready:
        iso = day.isocalendar()
        weeks.setdefault((iso[0], iso[1]), []).append(pk)
    ordered = [ids for _, ids in sorted(weeks.items())]
    for number, claim_ids in enumerate(ordered):
        result = claims_send(actor=biller, claim_ids=claim_ids)
        if not result.sent:
            continue
        stats.batches += 1
        stats.claims_sent += len(claim_ids)
        if number < len(ordered) - 1:
            stats.remittance_files += sum(1 for e in inbox_poll() if e.kind == "835")

    # A corrected claim (frequency 7) and a void (8), each carrying the payer's claim number.
    paid = list(
        Claim.objects.filter(status=ClaimStatus.PAID, frequency_code="1")
        .exclude(payer_claim_number="")
        .order_by("pk")[:2]
    )
    if len(paid) == 2:
        billing.claim_correct(
            actor=biller, claim=paid[0], reason="Procedure modifier added after chart review"
        )
        billing.claim_void(actor=biller, claim=paid[1], reason="Billed to the wrong patient")

    stats.eligibility_checks = _eligibility_for_tomorrow(biller, now)
    return stats


def _eligibility_for_tomorrow(actor: Any, now: dt.datetime) -> int:
    """Real-time checks (270 out, 271 back) for the next booked visits from 12 hours on (the next
    clinic day's, whatever day of the week the demo is loaded)."""
    from frontdesk.eligibility.services import eligibility_check

    start = now + dt.timedelta(hours=12)
    appointments = (
        Appointment.objects.filter(
            status=AppointmentStatus.BOOKED,
            patient__is_restricted=False,
            location__in=Location.objects.restrict(actor, A.ELIGIBILITY_CHECK),
            starts_at__gte=start,
        )
        .select_related("patient", "location", "provider")
        .prefetch_related("patient__coverages")
        .order_by("starts_at", "pk")
    )
    done = 0
    for appointment in appointments:
        coverage = next(
            (
                c
                for c in sorted(appointment.patient.coverages.all(), key=lambda c: c.priority)
                if c.status == CoverageStatus.ACTIVE
            ),
            None,
        )
        if coverage is None:
            continue
        eligibility_check(actor=actor, coverage=coverage, appointment=appointment)
        done += 1
        if done >= int(getattr(settings, "DEMO_ELIGIBILITY_CHECKS", ELIGIBILITY_CHECKS)):
            break
    return done


def simulated_payer_forget() -> None:
    """Drop the simulated payer's unanswered replies (``--reset``: their claims are gone)."""
    import shutil

    from frontdesk.clearinghouse.transports import SimulatedTransport

    shutil.rmtree(SimulatedTransport().pending, ignore_errors=True)

"""The whole loop through the clearinghouse's built-in simulated payer (real X12 both ways, no fake)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from frontdesk.disclosures.models import Disclosure
from frontdesk.eligibility import selectors, services
from tests.factories import PayerFactory

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 12, 7)


@pytest.fixture(autouse=True)
def _simulated(settings):
    settings.FRONTDESK_CLEARINGHOUSE = "simulated"


def _check(clinic, clerk, member_id, payer=None):
    patient = clinic.patient()
    coverage = clinic.coverage(patient, member_id=member_id, payer=payer or clinic.payer)
    return services.eligibility_check(actor=clerk, coverage=coverage, date_of_service=DAY)


def test_an_active_member_gets_structured_benefits(now, clinic, clerk):
    check = _check(clinic, clerk, "ZZM0001225")
    assert (check.status, check.active) == ("complete", True)
    assert check.plan_name.startswith("SIMULATED")
    summary = selectors.summary_of(check)
    assert summary.coinsurance_percent in (Decimal("20.00"), Decimal("30.00"), Decimal("40.00"))
    # 25 % of the deductible met: 75 % remains.
    assert summary.deductible_remaining == (summary.deductible * Decimal("0.75")).quantize(
        Decimal("0.01")
    )
    assert Disclosure.objects.filter(patient_id=check.patient_id, purpose="payment").count() == 1


def test_rejections_and_inactive_coverage_in_plain_words(now, clinic, clerk):
    rejected = _check(clinic, clerk, "ZZM0000000")
    assert rejected.status == "rejected"
    assert "not found" in rejected.rejections[0]["message"].lower()
    inactive = _check(clinic, clerk, "ZZM0009999")
    assert (inactive.status, inactive.active) == ("complete", False)


def test_a_payer_that_is_down_or_answers_garbage_fails_and_retries(now, clinic, clerk):
    down = _check(clinic, clerk, "ZZM0001225", payer=PayerFactory(payer_id="SIMDOWN"))
    assert down.status == "failed" and down.failure_reason and down.next_retry_at is not None
    garbage = _check(clinic, clerk, "ZZM0001226", payer=PayerFactory(payer_id="SIMGARBAGE"))
    assert garbage.status == "failed" and garbage.next_retry_at is not None

"""The chart-prep eligibility item from the latest check (pure rules)."""

from __future__ import annotations

import datetime as dt

from frontdesk.chartprep import readiness as rules

DAY = dt.date(2026, 12, 8)


def fact(**kw):
    base = {
        "coverage_id": 1,
        "priority": 1,
        "status": "complete",
        "active": True,
        "date_of_service": DAY,
        "checked_on": DAY - dt.timedelta(days=1),
    }
    return rules.EligibilityFact(**{**base, **kw})


def item(*checks):
    facts = rules.VisitFacts(
        day=DAY,
        appointment_type_id=1,
        type_requires_referral=False,
        type_requires_prior_auth=False,
        eligibility=checks,
    )
    found = rules.eligibility_item(facts)
    return found["status"], found["message"]


def test_never_checked_is_unknown():
    assert item() == ("unknown", rules.MSG_ELIGIBILITY_UNKNOWN)


def test_active_for_the_date_and_recent_is_ok():
    assert item(fact()) == ("ok", "Active for the visit date (checked 2026-12-07).")


def test_inactive_and_rejected_are_missing():
    status, message = item(fact(active=False))
    assert status == "missing" and "inactive" in message
    status, message = item(
        fact(status="rejected", active=None, reason="Subscriber not found — check the member ID.")
    )
    assert (status, message) == (
        "missing",
        "The payer rejected the check of 2026-12-07: Subscriber not found — check the member ID.",
    )


def test_failed_is_unknown_with_the_reason():
    status, message = item(fact(status="failed", active=None, reason="Clearinghouse down."))
    assert status == "unknown" and "Clearinghouse down." in message


def test_latest_check_wins_and_stale_is_unknown():
    newer_failed = fact(status="failed", active=None, reason="Timeout.")
    assert item(newer_failed, fact())[0] == "unknown"
    old = fact(checked_on=DAY - dt.timedelta(days=30))
    assert item(old)[0] == "unknown"


def test_an_earlier_date_counts_when_recent_and_coverage_continues():
    earlier = fact(date_of_service=DAY - dt.timedelta(days=2))
    assert item(earlier)[0] == "ok"
    ended = fact(
        date_of_service=DAY - dt.timedelta(days=2), coverage_end=DAY - dt.timedelta(days=1)
    )
    assert item(ended)[0] == "unknown"
    # A check for a later date does not speak for this visit.
    assert item(fact(date_of_service=DAY + dt.timedelta(days=1)))[0] == "unknown"

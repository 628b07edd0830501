"""The pure readiness rules: each item's status and the exact message it shows."""

from __future__ import annotations

import datetime as dt

from frontdesk.chartprep import readiness as rules

DAY = dt.date(2026, 12, 8)
REQUIRED = {"privacy_notice": 365}


def cov(**kw):
    base = {
        "payer_id": 1,
        "plan_id": None,
        "plan_requires_referral": False,
        "effective_on": None,
        "terminates_on": None,
    }
    return rules.CoverageFact(**{**base, **kw})


def auth(**kw):
    base = {
        "kind": "prior_auth",
        "status": "active",
        "payer_id": None,
        "valid_from": dt.date(2026, 12, 1),
        "valid_until": dt.date(2026, 12, 31),
        "units_left": 2,
        "appointment_type_ids": frozenset(),
    }
    return rules.AuthorizationFact(**{**base, **kw})


def facts(**kw):
    base = {
        "day": DAY,
        "appointment_type_id": 7,
        "type_requires_referral": False,
        "type_requires_prior_auth": False,
        "coverages": [cov()],
        "consents": {"privacy_notice": dt.date(2026, 6, 1)},
    }
    return rules.VisitFacts(**{**base, **kw})


def by_key(f):
    return {
        i["key"]: (i["status"], i["message"])
        for i in rules.checklist(f, required_consents=REQUIRED)
    }


def test_everything_on_file_is_ready_with_eligibility_unknown():
    items = by_key(facts())
    assert items == {
        "coverage": ("ok", "Active coverage on file."),
        "eligibility": ("unknown", rules.MSG_ELIGIBILITY_UNKNOWN),
        "consents": ("ok", "Required forms are current."),
        "authorization": ("ok", "Not required for this visit."),
        "records": ("ok", "No outside records outstanding."),
        "balance": ("ok", rules.MSG_BALANCE_NONE),
    }
    assert rules.missing_keys(rules.checklist(facts(), required_consents=REQUIRED)) == []


def test_no_coverage_and_terminated_coverage_say_what_to_do():
    assert by_key(facts(coverages=[]))["coverage"] == (
        "missing",
        "No active insurance on file: add the coverage (or note self-pay).",
    )
    ended = cov(terminates_on=DAY - dt.timedelta(days=1))
    assert by_key(facts(coverages=[ended]))["coverage"] == (
        "missing",
        "Coverage on file is not in effect on the visit date: update the insurance.",
    )


def test_consents_never_and_stale():
    assert by_key(facts(consents={}))["consents"] == (
        "missing",
        "Notice of privacy practices never acknowledged.",
    )
    old = {"privacy_notice": dt.date(2025, 12, 1)}
    assert by_key(facts(consents=old))["consents"] == (
        "missing",
        "Notice of privacy practices last acknowledged 2025-12-01 (older than 365 days).",
    )


def test_prior_auth_required_by_type():
    needs = {"type_requires_prior_auth": True}
    assert by_key(facts(**needs))["authorization"] == (
        "missing",
        "Prior authorization required: none on file.",
    )
    assert by_key(facts(**needs, authorizations=[auth()]))["authorization"] == (
        "ok",
        "On file, valid, with units left.",
    )
    expired = auth(valid_until=DAY - dt.timedelta(days=1))
    assert by_key(facts(**needs, authorizations=[expired]))["authorization"] == (
        "missing",
        "Prior authorization required: the one on file expired.",
    )
    used_up = auth(units_left=0)
    assert by_key(facts(**needs, authorizations=[used_up]))["authorization"] == (
        "missing",
        "Prior authorization required: no units (visits) left.",
    )
    other_type = auth(appointment_type_ids=frozenset({99}))
    assert by_key(facts(**needs, authorizations=[other_type]))["authorization"] == (
        "missing",
        "Prior authorization required: none on file covers this appointment type or payer.",
    )
    pending = auth(status="pending")
    assert by_key(facts(**needs, authorizations=[pending]))["authorization"][0] == "missing"
    other_payer = auth(payer_id=2)
    assert by_key(facts(**needs, authorizations=[other_payer]))["authorization"][0] == "missing"


def test_referral_required_by_the_plan_and_a_prior_auth_does_not_count():
    f = facts(coverages=[cov(plan_requires_referral=True)], authorizations=[auth()])
    assert by_key(f)["authorization"] == ("missing", "Referral required: none on file.")
    f = facts(
        coverages=[cov(plan_requires_referral=True)],
        authorizations=[auth(kind="referral", units_left=None, valid_until=None)],
    )
    assert by_key(f)["authorization"][0] == "ok"


def test_outstanding_records_are_listed():
    f = facts(open_records=[rules.RecordsFact("Zz Imaging", dt.date(2026, 11, 30))])
    assert by_key(f)["records"] == (
        "missing",
        "Not yet arrived: from Zz Imaging (requested 2026-11-30).",
    )


def test_balance_due_is_missing_and_a_credit_is_fine():
    from decimal import Decimal

    assert by_key(facts(balance=Decimal("45.10")))["balance"] == (
        "missing",
        "Prior balance $45.10 due: collect it at check-in or offer a payment plan.",
    )
    assert by_key(facts(balance=Decimal("-12.00")))["balance"] == (
        "ok",
        "No balance due; $12.00 credit on the account.",
    )
    assert by_key(facts(balance=Decimal("0.00")))["balance"] == ("ok", rules.MSG_BALANCE_NONE)

"""The plain-language summary of a 271's benefits (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from frontdesk.eligibility.choices import benefit_kind, level_of, network_of
from frontdesk.eligibility.summary import summarize


@dataclass
class B:
    kind: str
    service_type: str = "30"
    network: str = "in"
    coverage_level: str = "IND"
    amount: Decimal | None = None
    percent: Decimal | None = None


def test_office_visit_copay_prefers_98_then_30_and_in_network():
    rows = [
        B("active", amount=None),
        B("copay", "30", amount=Decimal("40.00")),
        B("copay", "98", network="out", amount=Decimal("60.00")),
        B("copay", "98", amount=Decimal("25.00")),
        B("coinsurance", "98", percent=Decimal("0.2")),
        B("deductible", amount=Decimal("1500.00")),
        B("deductible", coverage_level="FAM", amount=Decimal("3000.00")),
        B("deductible_remaining", amount=Decimal("1200.00")),
        B("out_of_pocket", amount=Decimal("5000.00")),
        B("out_of_pocket_remaining", amount=Decimal("4100.00")),
    ]
    s = summarize(rows, plan_name="Zz Gold PPO")
    assert s.active is True
    assert (s.office_copay, s.office_copay_service_type) == (Decimal("25.00"), "98")
    assert s.coinsurance_percent == Decimal("20.00") and s.coinsurance_text == "20"
    assert (s.deductible, s.deductible_remaining) == (Decimal("1500.00"), Decimal("1200.00"))
    assert (s.out_of_pocket, s.out_of_pocket_remaining) == (Decimal("5000.00"), Decimal("4100.00"))
    assert s.network == "in"
    assert s.as_dict()["office_copay"] == "25.00"
    assert s.as_dict()["coinsurance_percent"] == "20"


def test_falls_back_to_30_and_to_out_of_network_only_when_nothing_else():
    s = summarize([B("copay", "30", amount=Decimal("35.00"))])
    assert (s.office_copay, s.office_copay_service_type) == (Decimal("35.00"), "30")
    out_only = summarize([B("copay", "98", network="out", amount=Decimal("70.00"))])
    assert out_only.office_copay == Decimal("70.00")
    assert out_only.network == "out"
    assert out_only.notes


def test_inactive_and_empty():
    assert summarize([B("inactive")]).active is False
    empty = summarize([])
    assert empty.active is None and not empty.has_figures and empty.network == ""


def test_kind_network_and_level_mapping():
    assert benefit_kind("1", "") == "active"
    assert benefit_kind("6", "") == "inactive"
    assert benefit_kind("B", "27") == "copay"
    assert benefit_kind("A", "") == "coinsurance"
    assert benefit_kind("C", "23") == "deductible"
    assert benefit_kind("C", "29") == "deductible_remaining"
    assert benefit_kind("G", "23") == "out_of_pocket"
    assert benefit_kind("G", "29") == "out_of_pocket_remaining"
    assert benefit_kind("F", "") == "limitation"
    assert benefit_kind("R", "") == "other"
    assert [network_of(x) for x in ("Y", "N", "W", "U", "")] == [
        "in",
        "out",
        "both",
        "unknown",
        "unknown",
    ]
    assert [level_of(x) for x in ("IND", "FAM", "EMP", "")] == ["IND", "FAM", "", ""]

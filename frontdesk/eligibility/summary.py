"""Plain-language interpretation of a 271's benefits: what the desk needs to know about one visit.

Pure (no database): ``summarize`` takes the benefit rows of one check (model rows or anything with the
same attributes) and picks, for the in-network individual benefits (out-of-network ones only when the
payer gave nothing else), the office-visit copay (service type 98, else 30 health benefit plan
coverage), the coinsurance, the deductible and what remains of it, and the out-of-pocket maximum and
what remains of it. Screens, the API, chart prep and check-in all read this one interpretation.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from frontdesk.eligibility.choices import BenefitKind, CoverageLevel, Network

OFFICE_VISIT = "98"  # Professional (physician) visit - office
PLAN_COVERAGE = "30"  # Health benefit plan coverage

# Preference order (earlier is better).
NETWORK_ORDER = (Network.IN, Network.BOTH, Network.UNKNOWN, Network.OUT)
LEVEL_ORDER = (CoverageLevel.INDIVIDUAL, CoverageLevel.UNSPECIFIED, CoverageLevel.FAMILY)
VISIT_TYPES = (OFFICE_VISIT, PLAN_COVERAGE, "")
PLAN_TYPES = (PLAN_COVERAGE, "", OFFICE_VISIT)


class BenefitLike(Protocol):
    kind: str
    service_type: str
    network: str
    coverage_level: str
    amount: Decimal | None
    percent: Decimal | None


@dataclass(frozen=True)
class BenefitSummary:
    """What one eligibility answer means for a visit, in the terms the desk uses."""

    active: bool | None = None
    plan_name: str = ""
    office_copay: Decimal | None = None
    office_copay_service_type: str = ""  # "98" or "30" (which benefit the copay came from)
    coinsurance_percent: Decimal | None = None  # 20 for 20 %
    deductible: Decimal | None = None
    deductible_remaining: Decimal | None = None
    out_of_pocket: Decimal | None = None
    out_of_pocket_remaining: Decimal | None = None
    network: str = ""  # "in" / "out": the network the figures are for ("" when none were given)
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def coinsurance_text(self) -> str:
        """ "20" for 20 % ("" when not given)."""
        return "" if self.coinsurance_percent is None else _plain(self.coinsurance_percent)

    @property
    def has_figures(self) -> bool:
        return any(
            value is not None
            for value in (
                self.office_copay,
                self.coinsurance_percent,
                self.deductible,
                self.deductible_remaining,
                self.out_of_pocket,
                self.out_of_pocket_remaining,
            )
        )

    def as_dict(self) -> dict[str, object]:
        """JSON-ready: amounts as strings with two decimals, the percent as a string ("20")."""

        def money(value: Decimal | None) -> str | None:
            return None if value is None else f"{value:.2f}"

        return {
            "active": self.active,
            "plan_name": self.plan_name,
            "office_copay": money(self.office_copay),
            "office_copay_service_type": self.office_copay_service_type,
            "coinsurance_percent": None
            if self.coinsurance_percent is None
            else _plain(self.coinsurance_percent),
            "deductible": money(self.deductible),
            "deductible_remaining": money(self.deductible_remaining),
            "out_of_pocket": money(self.out_of_pocket),
            "out_of_pocket_remaining": money(self.out_of_pocket_remaining),
            "network": self.network,
        }


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _rank(benefit: BenefitLike, service_types: Sequence[str]) -> tuple[int, int, int]:
    def index(options: Sequence[str], value: str) -> int:
        return options.index(value) if value in options else len(options)

    return (
        index(service_types, benefit.service_type),
        index([str(n) for n in NETWORK_ORDER], benefit.network),
        index([str(level) for level in LEVEL_ORDER], benefit.coverage_level),
    )


def _pick(
    benefits: Sequence[BenefitLike],
    kind: str,
    service_types: Sequence[str],
    *,
    network: str,
    want: str = "amount",
) -> BenefitLike | None:
    candidates = [
        b
        for b in benefits
        if b.kind == kind
        and getattr(b, want) is not None
        and (b.network != Network.OUT or network == Network.OUT)
        and b.service_type in service_types
    ]
    if not candidates:
        return None
    return min(candidates, key=lambda b: _rank(b, service_types))


def _network(benefits: Sequence[BenefitLike]) -> str:
    """In network unless the payer gave only out-of-network figures."""
    money_kinds = {
        BenefitKind.COPAY,
        BenefitKind.COINSURANCE,
        BenefitKind.DEDUCTIBLE,
        BenefitKind.DEDUCTIBLE_REMAINING,
        BenefitKind.OUT_OF_POCKET,
        BenefitKind.OUT_OF_POCKET_REMAINING,
    }
    figures = [b for b in benefits if b.kind in money_kinds]
    if not figures:
        return ""
    if all(b.network == Network.OUT for b in figures):
        return str(Network.OUT)
    return str(Network.IN)


def summarize(
    benefits: Iterable[BenefitLike], *, active: bool | None = None, plan_name: str = ""
) -> BenefitSummary:
    """The plain-language summary of one check's benefits."""
    rows = list(benefits)
    network = _network(rows)
    copay = _pick(rows, BenefitKind.COPAY, VISIT_TYPES, network=network)
    coinsurance = _pick(rows, BenefitKind.COINSURANCE, VISIT_TYPES, network=network, want="percent")
    deductible = _pick(rows, BenefitKind.DEDUCTIBLE, PLAN_TYPES, network=network)
    deductible_left = _pick(rows, BenefitKind.DEDUCTIBLE_REMAINING, PLAN_TYPES, network=network)
    oop = _pick(rows, BenefitKind.OUT_OF_POCKET, PLAN_TYPES, network=network)
    oop_left = _pick(rows, BenefitKind.OUT_OF_POCKET_REMAINING, PLAN_TYPES, network=network)
    if active is None:
        kinds = {b.kind for b in rows}
        if BenefitKind.ACTIVE in kinds:
            active = True
        elif BenefitKind.INACTIVE in kinds:
            active = False
    notes: list[str] = []
    if network == Network.OUT:
        notes.append("The payer gave only out-of-network figures.")
    percent = None
    if coinsurance is not None and coinsurance.percent is not None:
        percent = (coinsurance.percent * 100).quantize(Decimal("0.01"))
    return BenefitSummary(
        active=active,
        plan_name=plan_name,
        office_copay=None if copay is None else copay.amount,
        office_copay_service_type="" if copay is None else copay.service_type,
        coinsurance_percent=percent,
        deductible=None if deductible is None else deductible.amount,
        deductible_remaining=None if deductible_left is None else deductible_left.amount,
        out_of_pocket=None if oop is None else oop.amount,
        out_of_pocket_remaining=None if oop_left is None else oop_left.amount,
        network=network,
        notes=tuple(notes),
    )

"""Reading cash drawers: the open drawer of a person at a location, expected totals, approval lists.

``open_drawer_for`` is the one lookup the payment services use to find the drawer a payment goes into
(a person has at most one OPEN drawer per location: a partial unique constraint).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q

from frontdesk.core.money import ZERO, money_sum, summed
from frontdesk.payments.choices import DrawerStatus, PaymentStatus, RefundMethod, TenderKind
from frontdesk.payments.models import DrawerSession, Payment, Refund, Tender
from frontdesk.practice.models import Location


def open_drawer_for(*, user: Any, location: Location) -> DrawerSession | None:
    """The user's OPEN drawer at ``location``, or None (payments then ask to open one first)."""
    if user is None or not getattr(user, "pk", None):
        return None
    return (
        DrawerSession.objects.filter(location=location, user=user, status=DrawerStatus.OPEN)
        .order_by("-opened_at")
        .first()
    )


# The tenders a drawer is counted in: cash (with the float), checks, and the card batch (card and
# HSA/FSA cards settle in one batch). Patient credit is no new money and is not counted.
DRAWER_TENDERS = ("cash", "check", "card")
_TENDER_BUCKET = {
    TenderKind.CASH: "cash",
    TenderKind.CHECK: "check",
    TenderKind.CARD: "card",
    TenderKind.HSA_FSA: "card",
}
MONEY_KINDS = tuple(_TENDER_BUCKET)
UNASSIGNED = "unassigned"


def has_void_drawer() -> bool:
    """Whether payments record the drawer a void was posted into (pay's ``Payment.void_drawer``)."""
    return any(f.name == "void_drawer" for f in Payment._meta.get_fields())


def _counts_into_drawer() -> Q:
    """Payments whose tenders count in the drawer they were taken into: completed ones, and voided
    ones whose void went into a drawer (that drawer carries the void as a negative). A voided payment
    without a void drawer counts zero (voided in its own drawer)."""
    counted = Q(payment__status=PaymentStatus.COMPLETED)
    if has_void_drawer():
        counted |= Q(payment__status=PaymentStatus.VOIDED, payment__void_drawer__isnull=False)
    return counted


def _by_bucket(rows: Any) -> dict[str, Decimal]:
    totals = dict.fromkeys(DRAWER_TENDERS, ZERO)
    for row in rows:
        bucket = _TENDER_BUCKET.get(row["kind"])
        if bucket:
            totals[bucket] += summed(row["total"])
    return totals


@dataclass(frozen=True)
class Expected:
    """What a drawer should hold, per tender, and where it came from."""

    opening_float: Decimal
    payments: dict[str, Decimal]
    voids: dict[str, Decimal]
    refunds: dict[str, Decimal]
    totals: dict[str, Decimal]
    payment_count: int


def drawer_expected(drawer: DrawerSession) -> Expected:
    """Expected totals: float + payments (cash net of change) - voids into it - cash refunds from it."""
    payments = _by_bucket(
        Tender.objects.filter(_counts_into_drawer(), payment__drawer=drawer, kind__in=MONEY_KINDS)
        .values("kind")
        .annotate(total=money_sum("amount"))
        .order_by()
    )
    voids = dict.fromkeys(DRAWER_TENDERS, ZERO)
    if has_void_drawer():
        voids = _by_bucket(
            Tender.objects.filter(
                payment__status=PaymentStatus.VOIDED,
                payment__void_drawer=drawer,
                kind__in=MONEY_KINDS,
            )
            .values("kind")
            .annotate(total=money_sum("amount"))
            .order_by()
        )
    refunds = dict.fromkeys(DRAWER_TENDERS, ZERO)
    refunds["cash"] = summed(
        Refund.objects.filter(drawer=drawer, method=RefundMethod.CASH).aggregate(
            total=money_sum("amount")
        )["total"]
    )
    totals = {
        kind: payments[kind]
        - voids[kind]
        - refunds[kind]
        + (drawer.opening_float if kind == "cash" else ZERO)
        for kind in DRAWER_TENDERS
    }
    count = Payment.objects.filter(drawer=drawer, status=PaymentStatus.COMPLETED).count()
    return Expected(
        opening_float=drawer.opening_float,
        payments=payments,
        voids=voids,
        refunds=refunds,
        totals=totals,
        payment_count=count,
    )


def drawers_blocking_day(*, location: Location, date: dt.date) -> list[DrawerSession]:
    """Drawers of the location-day (opened that day, or holding payments of that day) still open or
    awaiting approval."""
    day_drawers = Q(business_date=date) | Q(
        pk__in=Payment.objects.filter(location=location, business_date=date).values("drawer_id")
    )
    return list(
        DrawerSession.objects.filter(
            day_drawers,
            location=location,
            status__in=[DrawerStatus.OPEN, DrawerStatus.PENDING_APPROVAL],
        )
        .select_related("user")
        .order_by("workstation", "pk")
    )


def _person(user_id: Any, names: dict[Any, str]) -> str:
    return names.get(user_id, UNASSIGNED)


def day_totals(*, location: Location, date: dt.date) -> dict[str, Any]:
    """The money of a location-day, by tender, staff member and provider (JSON-ready strings).

    Payments of the day count positive (voided ones too); voids posted that day (the ledger reversal's
    business day) count negative, as do refunds issued that day (by method). A payment's provider is
    its appointment's; payments without an appointment are "unassigned".
    """
    from frontdesk.practice.models import Provider

    taken = Tender.objects.filter(
        payment__location=location,
        payment__business_date=date,
        payment__status__in=[PaymentStatus.COMPLETED, PaymentStatus.VOIDED],
        kind__in=MONEY_KINDS,
    )
    voided = Tender.objects.filter(
        payment__location=location,
        payment__status=PaymentStatus.VOIDED,
        payment__void_entry__posting_date=date,
        kind__in=MONEY_KINDS,
    )
    refunds = Refund.objects.filter(location=location, business_date=date)

    def grouped(qs: Any, *keys: str) -> list[dict[str, Any]]:
        return list(qs.values(*keys).annotate(total=money_sum("amount")).order_by())

    tenders: dict[str, dict[str, Decimal]] = {
        kind: {"payments": ZERO, "voids": ZERO, "refunds": ZERO}
        for kind in TenderKind.values
        if kind in MONEY_KINDS
    }
    staff: dict[Any, Decimal] = {}
    providers: dict[Any, Decimal] = {}
    for row in grouped(taken, "kind", "payment__taken_by", "payment__appointment__provider"):
        amount = summed(row["total"])
        tenders[row["kind"]]["payments"] += amount
        staff[row["payment__taken_by"]] = staff.get(row["payment__taken_by"], ZERO) + amount
        key = row["payment__appointment__provider"]
        providers[key] = providers.get(key, ZERO) + amount
    for row in grouped(voided, "kind", "payment__voided_by", "payment__appointment__provider"):
        amount = summed(row["total"])
        tenders[row["kind"]]["voids"] += amount
        staff[row["payment__voided_by"]] = staff.get(row["payment__voided_by"], ZERO) - amount
        key = row["payment__appointment__provider"]
        providers[key] = providers.get(key, ZERO) - amount
    refund_kind = {
        RefundMethod.CASH: TenderKind.CASH,
        RefundMethod.CHECK: TenderKind.CHECK,
        RefundMethod.CARD: TenderKind.CARD,
    }
    for row in grouped(refunds, "method", "issued_by", "payment__appointment__provider"):
        amount = summed(row["total"])
        tenders[refund_kind[row["method"]]]["refunds"] += amount
        staff[row["issued_by"]] = staff.get(row["issued_by"], ZERO) - amount
        key = row["payment__appointment__provider"]
        providers[key] = providers.get(key, ZERO) - amount
    payment_count = Payment.objects.filter(
        location=location,
        business_date=date,
        status__in=[PaymentStatus.COMPLETED, PaymentStatus.VOIDED],
    ).count()
    user_names = {
        u.pk: u.get_full_name() or u.get_username()
        for u in get_user_model().objects.filter(pk__in=[k for k in staff if k is not None])
    }
    provider_names = {
        p.pk: f"{p.first_name} {p.last_name}"
        for p in Provider.objects.filter(pk__in=[k for k in providers if k is not None])
    }
    drawers = [
        {
            "id": d.pk,
            "workstation": d.workstation,
            "user": d.user.get_full_name() or d.user.get_username(),
            "status": d.status,
            "variance": "" if d.variance is None else f"{d.variance:.2f}",
        }
        for d in DrawerSession.objects.filter(location=location, business_date=date)
        .select_related("user")
        .order_by("workstation", "pk")
    ]
    tender_rows = {
        kind: {
            **{k: f"{v:.2f}" for k, v in parts.items()},
            "net": f"{parts['payments'] - parts['voids'] - parts['refunds']:.2f}",
        }
        for kind, parts in tenders.items()
    }
    net = sum((Decimal(row["net"]) for row in tender_rows.values()), ZERO)
    return {
        "tenders": tender_rows,
        "staff": sorted(
            (
                {"user_id": k, "name": _person(k, user_names), "net": f"{v:.2f}"}
                for k, v in staff.items()
            ),
            key=lambda r: str(r["name"]),
        ),
        "providers": sorted(
            (
                {"provider_id": k, "name": provider_names.get(k, UNASSIGNED), "net": f"{v:.2f}"}
                for k, v in providers.items()
            ),
            key=lambda r: (r["provider_id"] is None, str(r["name"])),
        ),
        "drawers": drawers,
        "payment_count": payment_count,
        "net": f"{net:.2f}",
    }


# --- screens ------------------------------------------------------------------------------------


def drawer_get(*, user: Any, drawer_id: int) -> DrawerSession:
    """A drawer the user may see: their own (at a location in scope), or any in scope for a manager.
    Anything else looks absent."""
    from frontdesk.accounts.policy import A
    from frontdesk.core.errors import NotFound

    qs = DrawerSession.objects.restrict(user, A.DRAWER_OPERATE).select_related("location", "user")
    if not user.can(A.DRAWER_APPROVE):
        qs = qs.filter(user=user)
    drawer = qs.filter(pk=drawer_id).first()
    if drawer is None:
        raise NotFound()
    return drawer


def my_open_drawers(*, user: Any) -> list[DrawerSession]:
    from frontdesk.accounts.policy import A

    return list(
        DrawerSession.objects.restrict(user, A.DRAWER_OPERATE)
        .filter(user=user, status__in=[DrawerStatus.OPEN, DrawerStatus.PENDING_APPROVAL])
        .select_related("location")
        .order_by("location__name", "pk")
    )


def drawers_awaiting_approval(*, user: Any) -> list[DrawerSession]:
    from frontdesk.accounts.policy import A

    return list(
        DrawerSession.objects.restrict(user, A.DRAWER_APPROVE)
        .filter(status=DrawerStatus.PENDING_APPROVAL)
        .select_related("location", "user", "close_record", "close_record__counted_by")
        .order_by("counted_at", "pk")
    )


def day_drawers(*, location: Location, date: dt.date) -> list[DrawerSession]:
    """Every drawer of a location-day (opened that day or holding its payments)."""
    day = Q(business_date=date) | Q(
        pk__in=Payment.objects.filter(location=location, business_date=date).values("drawer_id")
    )
    return list(
        DrawerSession.objects.filter(day, location=location)
        .select_related("user")
        .order_by("workstation", "pk")
    )


def day_close_history(*, location: Location, date: dt.date) -> list[Any]:
    from frontdesk.payments.drawer_models import DayClose

    return list(
        DayClose.objects.filter(location=location, date=date)
        .select_related("closed_by", "reopened_by", "report")
        .order_by("pk")
    )


def settlement_imports(*, user: Any) -> Any:
    """Imports the user may read: those of a location in their scope; an import without a location
    (it matched several locations' money) only for the person who made it and for roles that see
    every location (which also see the command line's)."""
    from frontdesk.accounts.policy import ALL_LOCATION_ROLES, A
    from frontdesk.payments.drawer_models import SettlementImport

    if not user.can(A.SETTLEMENT_IMPORT):
        return SettlementImport.objects.none()
    scope = Location.objects.restrict(user, A.SETTLEMENT_IMPORT).values("pk")
    visible = Q(location__in=scope) | Q(location__isnull=True, imported_by=user)
    if user.role in ALL_LOCATION_ROLES:
        visible |= Q(location__isnull=True)
    return SettlementImport.objects.filter(visible).select_related("location", "imported_by")

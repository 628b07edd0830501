"""JSON API of cash drawers and the day close: open a drawer, count and close it, close a day.

Thin: each operation names its policy action, validates a strict body, looks objects up scoped to the
caller (another location's = 404) and calls one service (which audits). Amounts are strings ("25.00")
so no client sends binary floats.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Path, Router, Schema
from ninja.responses import Status
from pydantic import StringConstraints

from frontdesk.accounts.policy import A
from frontdesk.api.auth import api_user, requires
from frontdesk.api.errors import WRITE_ERRORS
from frontdesk.api.schemas import ID_PATH, IdString, InputSchema
from frontdesk.core.queryset import get_restricted
from frontdesk.payments import drawer_services as services
from frontdesk.payments.choices import DrawerStatus
from frontdesk.payments.drawer_selectors import drawer_get
from frontdesk.practice.models import Location

router = Router(tags=["cash drawers"])

Counts = dict[str, int]
MoneyText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=20, pattern=r"^-?[0-9]+(\.[0-9]{1,2})?$"),
]


class DrawerOpenIn(InputSchema):
    location_id: IdString
    workstation: str = Field(max_length=60)
    counts: Counts = Field(
        default_factory=dict,
        description='Opening float by denomination: {"20.00": 5, "1.00": 50, ...}.',
    )


class ListedCheckIn(InputSchema):
    number: str = Field(max_length=20)
    amount: MoneyText


class DrawerCloseIn(InputSchema):
    cash_counts: Counts = Field(default_factory=dict, description="Cash counted by denomination.")
    checks: list[ListedCheckIn] | None = Field(
        None, max_length=500, description="The checks listed."
    )
    checks_total: MoneyText | None = Field(None, description="Instead of ``checks``: their total.")
    card_batch_total: MoneyText = "0"
    variance_reason: str = Field("", max_length=300)


class TenderCountOut(Schema):
    expected: str
    counted: str
    variance: str


class DrawerOut(Schema):
    id: str
    location_id: str
    user_id: str
    workstation: str
    business_date: dt.date
    status: DrawerStatus
    opening_float: str
    opened_at: dt.datetime
    expected: dict[str, str] = Field(description="Per tender (cash, check, card) once counted.")
    tenders: dict[str, TenderCountOut] = Field(description="Expected/counted/variance per tender.")
    variance: str | None
    variance_reason: str
    closed_at: dt.datetime | None


class DayCloseIn(InputSchema):
    location_id: IdString
    date: dt.date


class DayCloseOut(Schema):
    id: str
    location_id: str
    date: dt.date
    closed_at: dt.datetime
    net_collected: str
    payment_count: int
    totals: dict[str, Any]
    report_sha256: str | None


def _drawer_answer(drawer: Any) -> dict[str, Any]:
    record = getattr(drawer, "close_record", None) if drawer.status != DrawerStatus.OPEN else None
    return {
        "id": str(drawer.pk),
        "location_id": str(drawer.location_id),
        "user_id": str(drawer.user_id),
        "workstation": drawer.workstation,
        "business_date": drawer.business_date,
        "status": drawer.status,
        "opening_float": f"{drawer.opening_float:.2f}",
        "opened_at": drawer.opened_at,
        "expected": drawer.expected or {},
        "tenders": record.tenders if record else {},
        "variance": None if drawer.variance is None else f"{drawer.variance:.2f}",
        "variance_reason": drawer.variance_reason,
        "closed_at": drawer.closed_at,
    }


@router.post(
    "/drawers",
    auth=requires(A.DRAWER_OPERATE),
    response={201: DrawerOut, **WRITE_ERRORS},
    summary="Open a cash drawer",
    operation_id="drawer_open",
)
def drawer_open(request: HttpRequest, payload: DrawerOpenIn) -> Status[dict[str, Any]]:
    """Open the caller's drawer at a workstation with the opening float counted by denomination;
    409 ``drawer_already_open`` / ``workstation_in_use`` (one open drawer per person and per
    workstation at a location), 409 ``day_closed`` when today is closed."""
    user = api_user(request)
    location = get_restricted(
        Location.objects.all(), user, A.DRAWER_OPERATE, pk=int(payload.location_id)
    )
    drawer = services.drawer_open(
        actor=user, location=location, workstation=payload.workstation, counts=payload.counts
    )
    return Status(201, _drawer_answer(drawer))


@router.post(
    "/drawers/{drawer_id}/close",
    auth=requires(A.DRAWER_OPERATE),
    response={200: DrawerOut, **WRITE_ERRORS},
    summary="Count and close a cash drawer",
    operation_id="drawer_close",
)
def drawer_close(
    request: HttpRequest, payload: DrawerCloseIn, drawer_id: int = Path(..., **ID_PATH)
) -> dict[str, Any]:
    """Count a drawer (cash by denomination, the checks or their total, the card batch total). Within
    the variance limit it closes (``closed``); over it a ``variance_reason`` is required (400) and it
    waits for a manager (``pending_approval``). 409 ``drawer_not_open`` when already counted."""
    user = api_user(request)
    drawer = drawer_get(user=user, drawer_id=drawer_id)
    checks: Any = payload.checks_total
    if payload.checks is not None:
        checks = [(c.number, c.amount) for c in payload.checks]
    closed = services.drawer_count_close(
        actor=user,
        drawer=drawer,
        cash_counts=payload.cash_counts,
        checks=checks,
        card_batch_total=payload.card_batch_total,
        variance_reason=payload.variance_reason,
    )
    closed.refresh_from_db()
    return _drawer_answer(closed)


@router.post(
    "/day-closes",
    auth=requires(A.DAY_CLOSE),
    response={201: DayCloseOut, **WRITE_ERRORS},
    summary="Close a location's business day",
    operation_id="day_close",
)
def day_close(request: HttpRequest, payload: DayCloseIn) -> Status[dict[str, Any]]:
    """Close the location's day: 409 ``drawers_not_closed`` (listing them) while a drawer of the day
    is open or awaiting approval, 409 ``day_already_closed``. Answers the totals by tender, staff and
    provider; postings into the day are refused from then on."""
    user = api_user(request)
    location = get_restricted(
        Location.objects.all(), user, A.DAY_CLOSE, pk=int(payload.location_id)
    )
    close = services.day_close(actor=user, location=location, date=payload.date)
    return Status(
        201,
        {
            "id": str(close.pk),
            "location_id": str(location.pk),
            "date": close.date,
            "closed_at": close.closed_at,
            "net_collected": f"{close.net_collected:.2f}",
            "payment_count": close.payment_count,
            "totals": close.totals,
            "report_sha256": close.report.sha256 if close.report else None,
        },
    )

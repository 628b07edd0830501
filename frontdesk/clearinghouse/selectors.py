"""Reading the exchange log (scoped: files naming a restricted patient stay hidden from most roles)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from frontdesk.clearinghouse.choices import ExchangeStatus, Kind
from frontdesk.clearinghouse.models import Exchange
from frontdesk.core.queryset import get_restricted


def exchange_list(
    *, user: Any, action: str, kind: str = "", status: str = "", direction: str = ""
) -> QuerySet[Exchange]:
    """Exchanges ``user`` may see for ``action``, newest first, optionally filtered."""
    queryset = Exchange.objects.restrict(user, action)
    if kind in Kind.values:
        queryset = queryset.filter(kind=kind)
    if status in ExchangeStatus.values:
        queryset = queryset.filter(status=status)
    if direction in ("in", "out"):
        queryset = queryset.filter(direction=direction)
    return queryset.select_related("actor").order_by("-created_at", "-pk")


def exchange_get(*, user: Any, action: str, exchange_id: int) -> Exchange:
    """One exchange ``user`` may see, or ``NotFound``."""
    return get_restricted(
        Exchange.objects.select_related("actor", "request"), user, action, pk=exchange_id
    )

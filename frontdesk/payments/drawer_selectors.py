"""Reading cash drawers: the open drawer of a person at a location, expected totals, approval lists.

``open_drawer_for`` is the one lookup the payment services use to find the drawer a payment goes into
(a person has at most one OPEN drawer per location: a partial unique constraint).
"""

from __future__ import annotations

from typing import Any

from frontdesk.payments.choices import DrawerStatus
from frontdesk.payments.models import DrawerSession
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

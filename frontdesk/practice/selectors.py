"""Reading practice configuration, always scoped to what the user may see.

Locations, rooms and equipment are location-scoped (staff see their assigned locations; managers,
privacy officers and admins see all). Providers, payers and plans are practice-wide reference data:
the role check is the whole rule. Out-of-scope objects raise ``NotFound``.
"""

from __future__ import annotations

from django.db.models import Count, QuerySet

from frontdesk.accounts.models import User
from frontdesk.accounts.policy import A
from frontdesk.core.queryset import get_restricted
from frontdesk.practice.models import (
    Equipment,
    Location,
    Organization,
    Payer,
    Plan,
    Provider,
    Room,
)


def organization_get(*, user: User) -> Organization | None:
    """The practice's organization (there is one), or None before setup / without permission."""
    if not user.can(A.PRACTICE_VIEW):
        return None
    return Organization.objects.order_by("pk").first()


def location_list(
    *, user: User, action: str = A.PRACTICE_VIEW, include_inactive: bool = True
) -> QuerySet[Location]:
    """Locations the user may see, with their hours prefetched and room/equipment counts."""
    queryset = Location.objects.restrict(user, action)
    if not include_inactive:
        queryset = queryset.filter(is_active=True)
    return queryset.annotate(
        room_count=Count("rooms", distinct=True),
        equipment_count=Count("equipment", distinct=True),
    ).prefetch_related("opening_hours")


def location_get(*, user: User, location_id: int, action: str = A.PRACTICE_VIEW) -> Location:
    """One location the user may see, or NotFound."""
    return get_restricted(
        Location.objects.prefetch_related("opening_hours"),
        user,
        action,
        pk=location_id,
    )


def room_list(
    *, user: User, location: Location | None = None, action: str = A.PRACTICE_VIEW
) -> QuerySet[Room]:
    queryset = Room.objects.restrict(user, action).select_related("location")
    if location is not None:
        queryset = queryset.filter(location=location)
    return queryset


def room_get(*, user: User, room_id: int, action: str = A.PRACTICE_VIEW) -> Room:
    return get_restricted(Room.objects.select_related("location"), user, action, pk=room_id)


def equipment_list(
    *, user: User, location: Location | None = None, action: str = A.PRACTICE_VIEW
) -> QuerySet[Equipment]:
    queryset = Equipment.objects.restrict(user, action).select_related("location")
    if location is not None:
        queryset = queryset.filter(location=location)
    return queryset


def equipment_get(*, user: User, equipment_id: int, action: str = A.PRACTICE_VIEW) -> Equipment:
    return get_restricted(
        Equipment.objects.select_related("location"), user, action, pk=equipment_id
    )


def provider_list(
    *, user: User, location: Location | None = None, include_inactive: bool = True
) -> QuerySet[Provider]:
    """Providers with the locations they work at (one extra query, not one per provider)."""
    queryset = Provider.objects.restrict(user, A.PRACTICE_VIEW).prefetch_related("locations")
    if location is not None:
        queryset = queryset.filter(locations=location)
    if not include_inactive:
        queryset = queryset.filter(is_active=True)
    return queryset


def provider_get(*, user: User, provider_id: int, action: str = A.PRACTICE_VIEW) -> Provider:
    return get_restricted(
        Provider.objects.prefetch_related("locations"), user, action, pk=provider_id
    )


def payer_list(*, user: User, include_inactive: bool = True) -> QuerySet[Payer]:
    """Payers with their plan counts."""
    queryset = (
        Payer.objects.restrict(user, A.PRACTICE_VIEW)
        .annotate(plan_count=Count("plans"))
        .order_by("name", "pk")
    )
    if not include_inactive:
        queryset = queryset.filter(is_active=True)
    return queryset


def payer_get(*, user: User, payer_id: int, action: str = A.PRACTICE_VIEW) -> Payer:
    return get_restricted(
        Payer.objects.prefetch_related("plans"),
        user,
        action,
        pk=payer_id,
    )


def plan_list(
    *, user: User, payer: Payer | None = None, include_inactive: bool = True
) -> QuerySet[Plan]:
    queryset = Plan.objects.restrict(user, A.PRACTICE_VIEW).select_related("payer")
    if payer is not None:
        queryset = queryset.filter(payer=payer)
    if not include_inactive:
        queryset = queryset.filter(is_active=True)
    return queryset


def plan_get(*, user: User, plan_id: int, action: str = A.PRACTICE_VIEW) -> Plan:
    return get_restricted(Plan.objects.select_related("payer"), user, action, pk=plan_id)

"""Reading staff accounts and emergency-access grants, scoped to what the asking user may see."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from frontdesk.accounts.models import User
from frontdesk.accounts.policy import ALL_LOCATION_ROLES, A
from frontdesk.audit.models import EmergencyAccessGrant
from frontdesk.core.errors import NotFound


def user_list_for_manager(*, actor: User) -> QuerySet[User]:
    """Staff accounts (not integration identities) that ``actor`` may manage, with their locations.

    Managers of every location see everyone; anyone else with ``user.manage`` sees the staff of the
    locations they share.
    """
    from frontdesk.practice.models import StaffLocation

    if not actor.can(A.USER_MANAGE):
        return User.objects.none()
    users = User.objects.filter(is_service_account=False)
    if actor.role not in ALL_LOCATION_ROLES:
        shared = StaffLocation.objects.filter(user=actor).values("location_id")
        users = users.filter(location_assignments__location_id__in=shared).distinct()
    return users.prefetch_related(
        Prefetch(
            "location_assignments",
            queryset=StaffLocation.objects.select_related("location").order_by("location__name"),
        )
    ).order_by("last_name", "first_name", "username")


def user_get_for_manager(*, actor: User, user_id: Any) -> User:
    """One staff account ``actor`` may manage, or NotFound (out of scope looks like absent)."""
    try:
        return user_list_for_manager(actor=actor).get(pk=int(user_id))
    except (User.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None


def user_location_ids(*, user: User) -> list[int]:
    return sorted(assignment.location_id for assignment in user.location_assignments.all())


def emergency_grant_in_force(*, user: Any) -> EmergencyAccessGrant | None:
    """The user's break-glass grant in force now, if any."""
    if user is None or not getattr(user, "is_authenticated", False) or user.pk is None:
        return None
    now = timezone.now()
    return (
        EmergencyAccessGrant.objects.filter(
            user_id=user.pk, ended_at__isnull=True, started_at__lte=now, expires_at__gt=now
        )
        .order_by("-started_at")
        .first()
    )

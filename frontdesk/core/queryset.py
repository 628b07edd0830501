"""Row-level scoping: every queryset an interface uses goes through ``restrict(user, action)``."""

from __future__ import annotations

from typing import Any, Protocol, Self

from django.db import models

from frontdesk.core.errors import NotFound


class Actor(Protocol):
    """What scoping needs of a user; ``accounts.User`` implements it (core imports no domain app)."""

    pk: Any
    is_active: bool
    role: str

    @property
    def is_authenticated(self) -> bool: ...

    def can(self, action: str) -> bool: ...


class RestrictedQuerySet(models.QuerySet):  # type: ignore[type-arg]
    """A queryset that can narrow itself to what a user may act on.

    Models override ``scope_for(user)`` on their queryset class to express location or ownership
    rules; the policy check (may this role do this action at all?) happens here too, so a caller who
    forgets it still gets an empty result instead of a leak.
    """

    def restrict(self, user: Actor, action: str) -> Self:
        if user is None or not user.can(action):
            return self.none()
        return self.scope_for(user)

    def scope_for(self, user: Actor) -> Self:
        return self


def get_restricted(queryset: RestrictedQuerySet, user: Actor, action: str, **lookup: Any) -> Any:
    """Fetch one object the user may act on, or raise NotFound (out of scope looks like absent)."""
    try:
        return queryset.restrict(user, action).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None

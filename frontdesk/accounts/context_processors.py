"""Template context every page needs from accounts: the break-glass grant in force, for the banner."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from frontdesk.accounts.selectors import emergency_grant_in_force


def emergency_access(request: HttpRequest) -> dict[str, Any]:
    user: Any = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.is_service_account:
        return {"emergency_grant": None}
    return {"emergency_grant": emergency_grant_in_force(user=user)}

"""Navigation entries shown to a user: only the sections their role may open."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

# (label, url name, action) — a section appears when the user's role allows its action.
NAVIGATION: list[tuple[str, str, str]] = [
    ("Patients", "patients:search", "patient.search"),
    ("Practice setup", "practice:overview", "practice.manage"),
    ("Audit log", "audit:report", "audit.view"),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    user: Any = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.is_service_account:
        return {"nav_items": []}
    from django.urls import NoReverseMatch, reverse

    items = []
    for label, url_name, action in NAVIGATION:
        if not user.can(action):
            continue
        try:
            items.append({"label": label, "url": reverse(url_name)})
        except NoReverseMatch:  # section not installed yet
            continue
    return {"nav_items": items}

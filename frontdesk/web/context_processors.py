"""Navigation entries shown to a user: only the sections their role may open."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

# (label, url name, action) — a section appears when the user's role allows its action.
NAVIGATION: list[tuple[str, str, str]] = [
    ("Patients", "patients:search", "patient.search"),
    ("Schedule", "scheduling:day", "schedule.view"),
    ("Practice setup", "practice:overview", "practice.manage"),
    ("Staff", "accounts:user_list", "user.manage"),
    ("Audit log", "audit:report", "audit.view"),
    ("Emergency access", "accounts:emergency_access", "breakglass.use"),
    ("Waitlist", "waitlist:entries", "waitlist.manage"),
    ("Messages", "notifications:log", "message.view"),
    ("Tasks", "notifications:tasks", "task.work"),
]

# Links in the session corner, for every logged-in user.
ACCOUNT_LINKS: list[tuple[str, str]] = [
    ("Password", "accounts:password"),
    ("Two-step sign-in", "accounts:mfa_setup"),
]

# Sections whose label carries a count, fetched by frontdesk.js after the page (pages keep their query counts).
BADGES: dict[str, str] = {"notifications:tasks": "notifications:task_count"}


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
            item: dict[str, Any] = {"label": label, "url": reverse(url_name)}
        except NoReverseMatch:  # section not installed yet
            continue
        if url_name in BADGES:
            item["badge_url"] = reverse(BADGES[url_name])
        items.append(item)
    return {
        "nav_items": items,
        "account_links": [{"label": label, "url": reverse(name)} for label, name in ACCOUNT_LINKS],
    }

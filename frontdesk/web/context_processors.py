"""Navigation entries shown to a user: only the sections their role may open."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

# (label, url name, action) — a section appears when the user's role allows its action.
NAVIGATION: list[tuple[str, str, str]] = [
    ("Patients", "patients:search", "patient.search"),
    ("Schedule", "scheduling:day", "schedule.view"),
    ("Front desk", "visits:board", "schedule.view"),
    ("Waitlist", "waitlist:entries", "waitlist.manage"),
    ("Tasks", "notifications:tasks", "task.work"),
    ("Inbox", "documents:inbox", "document.view"),
    ("Review queue", "documents:review_queue", "document.file"),
    ("Document work", "documents:document_work", "document.file"),
    ("Correspondence", "documents:correspondence", "document.view"),
    ("Messages", "notifications:log", "message.view"),
    ("Chart prep", "chartprep:worklist", "readiness.view"),
    ("No-shows", "noshows:list", "noshow.work"),
    ("Print", "printing:print", "forms.print"),
    ("Kiosk changes", "kiosk:changes", "patient.update"),
    ("Schedule setup", "scheduling:setup", "schedule.configure"),
    ("Practice setup", "practice:overview", "practice.manage"),
    ("Staff", "accounts:user_list", "user.manage"),
    ("Audit log", "audit:report", "audit.view"),
    ("Emergency access", "accounts:emergency_access", "breakglass.use"),
    ("Kiosks", "kiosk:devices", "practice.manage"),
    ("Operations", "ops:dashboard", "ops.view"),
    ("Statements", "statements:runs", "statement.run"),
    ("Collections", "statements:collections", "collections.report"),
    ("My drawer", "drawer:mine", "drawer.operate"),
    ("Day close", "drawer:day", "day.close"),
    ("Drawer approvals", "drawer:approvals", "drawer.approve"),
    ("Card settlement", "drawer:settlement", "settlement.import"),
    ("Eligibility", "eligibility:checks", "eligibility.check"),
    ("Eligibility batches", "eligibility:batches", "eligibility.batch"),
    ("Charges", "billing:encounters", "charge.enter"),
    ("Claims", "billing:claims", "claim.view"),
    ("Claim batches", "billing:batches", "claim.view"),
    ("Acknowledgments", "billing:acks_import", "remittance.post"),
    ("Remittances", "remittance:list", "claim.view"),
    ("Import an 835", "remittance:import", "remittance.post"),
    ("Denials", "remittance:denials", "denial.work"),
    ("Clearinghouse", "clearinghouse:exchanges", "claim.view"),
    ("Codes", "coding:search", "codes.view"),
    ("Fee schedules", "coding:schedules", "codes.view"),
    ("Import codes and fees", "coding:import", "codes.manage"),
]

# Configuration and oversight sections: kept in the "Admin" menu so the bar holds the day's work.
ADMIN_SECTIONS: frozenset[str] = frozenset(
    {
        "scheduling:setup",
        "practice:overview",
        "accounts:user_list",
        "audit:report",
        "accounts:emergency_access",
        "kiosk:devices",
        "ops:dashboard",
    }
)

# The money work (drawers, the day close, statements, reports): one "Money" menu.
MONEY_SECTIONS: frozenset[str] = frozenset(
    {
        "drawer:mine",
        "drawer:day",
        "drawer:approvals",
        "drawer:settlement",
        "statements:runs",
        "statements:collections",
    }
)

# Insurance and billing (eligibility, charges, claims, remittances, codes): one "Billing" menu.
BILLING_SECTIONS: frozenset[str] = frozenset(
    {
        "eligibility:checks",
        "eligibility:batches",
        "billing:encounters",
        "billing:claims",
        "billing:batches",
        "billing:acks_import",
        "billing:payer_settings",
        "remittance:list",
        "remittance:import",
        "remittance:denials",
        "clearinghouse:exchanges",
        "coding:search",
        "coding:schedules",
        "coding:import",
    }
)

# The document inbox, its review queue and the correspondence log: one "Documents" menu.
DOCUMENT_SECTIONS: frozenset[str] = frozenset(
    {
        "documents:inbox",
        "documents:review_queue",
        "documents:document_work",
        "documents:correspondence",
    }
)

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

    items: list[dict[str, Any]] = []
    for label, url_name, action in NAVIGATION:
        if not user.can(action):
            continue
        try:
            item: dict[str, Any] = {"label": label, "url": reverse(url_name)}
        except NoReverseMatch:  # section not installed yet
            continue
        if url_name in BADGES:
            item["badge_url"] = reverse(BADGES[url_name])
        item["admin"] = url_name in ADMIN_SECTIONS
        item["money"] = url_name in MONEY_SECTIONS
        item["billing"] = url_name in BILLING_SECTIONS
        item["documents"] = url_name in DOCUMENT_SECTIONS
        items.append(item)
    # The section the page belongs to: the longest entry URL the path starts with (a plain
    # prefix test would mark both "/scheduling/" and "/scheduling/setup/" as current).
    path = getattr(request, "path", "")
    matches = [item for item in items if item["url"] != "/" and path.startswith(item["url"])]
    if matches:
        max(matches, key=lambda item: len(item["url"]))["current"] = True
    admin = [item for item in items if item["admin"]]
    money = [item for item in items if item["money"]]
    billing = [item for item in items if item["billing"]]
    documents = [item for item in items if item["documents"]]
    menus = [
        {"label": label, "items": group, "current": any(item.get("current") for item in group)}
        for label, group in (
            ("Documents", documents),
            ("Money", money),
            ("Billing", billing),
            ("Admin", admin),
        )
        if group
    ]
    return {
        "nav_items": items,
        "nav_work": [
            item
            for item in items
            if not (item["admin"] or item["money"] or item["billing"] or item["documents"])
        ],
        "nav_admin": admin,
        "nav_menus": menus,
        "account_links": [{"label": label, "url": reverse(name)} for label, name in ACCOUNT_LINKS],
    }

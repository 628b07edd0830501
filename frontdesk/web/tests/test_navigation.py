"""The navigation bar: the day's work on the bar, money and configuration in their own menus."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from frontdesk.accounts.choices import Role

pytestmark = pytest.mark.django_db


def _nav(staff_client: Any, role: str) -> Any:
    return staff_client(role).get(reverse("web:home")).context


def test_a_manager_sees_the_work_on_the_bar_and_money_and_admin_as_menus(staff_client: Any) -> None:
    context = _nav(staff_client, Role.PRACTICE_MANAGER)
    menus = {
        menu["label"]: [item["label"] for item in menu["items"]] for menu in context["nav_menus"]
    }
    assert menus == {
        "Documents": ["Inbox", "Review queue", "Document work", "Correspondence"],
        "Money": [
            "Statements",
            "Collections",
            "My drawer",
            "Day close",
            "Drawer approvals",
            "Card settlement",
        ],
        "Billing": [
            "Eligibility",
            "Eligibility batches",
            "Charges",
            "Claims",
            "Claim batches",
            "Acknowledgments",
            "Remittances",
            "Import an 835",
            "Denials",
            "Clearinghouse",
            "Codes",
            "Fee schedules",
            "Import codes and fees",
        ],
        "Admin": [
            "Schedule setup",
            "Practice setup",
            "Staff",
            "Emergency access",
            "Kiosks",
            "Operations",
        ],
    }
    on_the_bar = [item["label"] for item in context["nav_work"]]
    assert "My drawer" not in on_the_bar and "Practice setup" not in on_the_bar
    assert on_the_bar[:3] == ["Patients", "Schedule", "Front desk"]


def test_the_front_desk_gets_its_drawer_in_the_money_menu_and_no_admin(staff_client: Any) -> None:
    context = _nav(staff_client, Role.FRONT_DESK)
    menus = {
        menu["label"]: [item["label"] for item in menu["items"]] for menu in context["nav_menus"]
    }
    assert menus == {
        "Documents": ["Inbox", "Review queue", "Document work", "Correspondence"],
        "Money": ["My drawer"],
        "Billing": ["Eligibility", "Codes", "Fee schedules"],
    }


def test_a_provider_enters_charges_from_the_billing_menu(staff_client: Any) -> None:
    context = _nav(staff_client, Role.PROVIDER)
    menus = {
        menu["label"]: [item["label"] for item in menu["items"]] for menu in context["nav_menus"]
    }
    assert menus["Billing"] == ["Charges", "Codes", "Fee schedules"]


def test_a_nurse_has_no_money_menu(staff_client: Any) -> None:
    context = _nav(staff_client, Role.NURSE)
    # The inbox for results (emergency access in Admin).
    assert [menu["label"] for menu in context["nav_menus"]] == ["Documents", "Admin"]
    html = staff_client(Role.NURSE).get(reverse("web:home")).content.decode()
    assert "<summary>Money</summary>" not in html

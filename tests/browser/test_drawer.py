"""Cash drawers in a real browser: a drawer closed short needs a reason, then a manager approves it;
a closed day refuses a new drawer (postings into the day) with the reason shown."""

from __future__ import annotations

from typing import Any

import pytest

from frontdesk.accounts.choices import Role
from frontdesk.payments.choices import DrawerStatus, TenderKind
from frontdesk.payments.drawer_models import DayClose
from frontdesk.payments.models import DrawerSession
from frontdesk.payments.tests.helpers import take_payment
from tests.factories import TEST_PASSWORD, LocationFactory, UserFactory, assign

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(browser: Any, live_server: Any, username: str, first_name: str) -> Any:
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name=f"Good day, {first_name}").wait_for()
    return page


def test_close_a_drawer_short_with_a_reason_and_a_managers_approval(
    page: Any, browser: Any, live_server: Any
) -> None:
    location = LocationFactory(name="Zz Drawer Clinic")
    clerk = assign(
        UserFactory(username="desk.drawer", first_name="Dana", role=Role.FRONT_DESK), location
    )
    boss = assign(
        UserFactory(username="boss.drawer", first_name="Morgan", role=Role.PRACTICE_MANAGER),
        location,
    )
    assert clerk and boss
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("desk.drawer")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Good day, Dana").wait_for()
    main_nav = page.get_by_role("navigation", name="Main")
    main_nav.get_by_text("Money").click()  # drawers, the day close and statements: the Money menu
    main_nav.get_by_role("link", name="My drawer").click()
    page.get_by_label("Workstation (desk)").fill("Front 1")
    page.get_by_label("$20 bills").fill("5")
    page.get_by_role("button", name="Open drawer").click()
    page.get_by_text("Drawer opened at Front 1 with a float of $100.00.").wait_for()
    # The live server shares the test's SQLite connection: touch the database only while the page
    # makes no request (the nav badge is fetched after load).
    page.wait_for_load_state("networkidle")
    drawer = DrawerSession.objects.get(user=clerk)
    take_payment(drawer, (TenderKind.CASH, "20.00"))  # a copay taken at the desk
    page.reload()
    page.get_by_role("cell", name="$120.00").first.wait_for()  # expected cash: float + copay
    page.get_by_role("link", name="Count and close").click()
    page.get_by_label("$20 bills").fill("5")  # $20 short
    page.get_by_role("button", name="Count and close drawer").click()
    page.get_by_text("The variance of $20.00 is over the $5.00 limit: give the reason.").wait_for()
    page.get_by_label("$20 bills").fill("5")
    page.get_by_label("Reason for a variance (over the limit)").fill(
        "Paid the courier from the drawer"
    )
    page.get_by_role("button", name="Count and close drawer").click()
    page.get_by_text("Waiting for a manager to approve the variance.").wait_for()
    assert page.locator("td[data-variance]").inner_text() == "-$20.00"

    manager = _log_in(browser, live_server, "boss.drawer", "Morgan")
    nav = manager.get_by_role("navigation", name="Main")
    nav.get_by_text("Money").click()
    nav.get_by_role("link", name="Drawer approvals").click()
    row = manager.locator(f"tr[data-drawer='{drawer.pk}']")
    assert "Paid the courier from the drawer" in row.inner_text()
    row.get_by_label("Approval note").fill("Courier receipt in the safe")
    row.get_by_role("button", name="Approve drawer Front 1").click()
    manager.get_by_text("Drawer Front 1 approved and closed.").wait_for()
    manager.context.close()
    page.wait_for_load_state("networkidle")
    drawer.refresh_from_db()
    assert drawer.status == DrawerStatus.CLOSED
    assert drawer.approved_by == boss

    page.reload()
    page.get_by_role("link", name="Close report (PDF)").wait_for()
    with page.expect_download() as download:
        page.get_by_role("link", name="Deposit slip (PDF)").click()
    assert download.value.suggested_filename == f"drawer-{drawer.pk}-deposit-slip.pdf"


def test_a_closed_day_refuses_postings(page: Any, browser: Any, live_server: Any) -> None:
    location = LocationFactory(name="Zz Closing Clinic")
    assign(UserFactory(username="desk.closed", first_name="Robin", role=Role.FRONT_DESK), location)
    assign(UserFactory(username="bill.closed", first_name="Sam", role=Role.BILLING), location)
    biller = _log_in(browser, live_server, "bill.closed", "Sam")
    biller_nav = biller.get_by_role("navigation", name="Main")
    biller_nav.get_by_text("Money").click()
    biller_nav.get_by_role("link", name="Day close").click()
    biller.get_by_text("This day is open.").wait_for()
    biller.get_by_role("button", name="Close the day").click()
    biller.get_by_text("This day is closed: nothing more can be posted into it.").wait_for()
    biller.context.close()
    assert DayClose.objects.filter(location=location).count() == 1

    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("desk.closed")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Good day, Robin").wait_for()
    desk_nav = page.get_by_role("navigation", name="Main")
    desk_nav.get_by_text("Money").click()
    desk_nav.get_by_role("link", name="My drawer").click()
    page.get_by_label("Workstation (desk)").fill("Front 2")
    page.get_by_role("button", name="Open drawer").click()
    page.get_by_text("That business day is closed: nothing more can be posted into it.").wait_for()
    page.wait_for_load_state("networkidle")
    assert not DrawerSession.objects.filter(location=location).exists()

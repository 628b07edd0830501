"""Document work in a real browser: a filed referral waits on the referrals worklist, the desk
records it (a referral on file in chart prep) and it leaves the worklist (Playwright driving Debian's
Chromium)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from frontdesk.accounts.choices import Role
from frontdesk.chartprep.models import Authorization
from frontdesk.documents.tests.review_samples import chart_document
from tests.factories import TEST_PASSWORD, LocationFactory, PatientFactory, UserFactory, assign

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_filed_referral_is_recorded_from_the_worklist_and_leaves_it(
    page: Any, live_server: Any
) -> None:
    location: Any = LocationFactory(name="Zz Work Clinic")
    desk: Any = UserFactory(username="desk.work", first_name="Dee", role=Role.FRONT_DESK)
    assign(desk, location)
    patient = PatientFactory(first_name="Zelda", last_name="Quixotic")
    document = chart_document(patient, location, title="Zz referral", doc_type="referral")
    document.work_queue = "referrals"
    document.save(update_fields=["work_queue"])

    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("desk.work")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Good day, Dee").wait_for()
    page.goto(reverse("documents:document_work") + "?queue=referrals")
    page.get_by_role("status").filter(has_text="1 document open").wait_for()
    row = page.locator(f"tr[data-document='{document.pk}']")
    row.get_by_role("link", name="Record referral").click()

    page.get_by_role("heading", name="Record referral").wait_for()
    page.get_by_label("Referring provider name").fill("Dr. Zz Fictionley")
    page.get_by_label("Referral number").fill("REF-2026-77")
    page.get_by_label("Valid from").fill("2026-11-01")
    page.get_by_label("Visits allowed").fill("6")
    page.get_by_role("button", name="Put the referral on file").click()

    page.get_by_role("status").filter(has_text="0 documents open").wait_for()
    authorization = Authorization.objects.get(patient=patient)
    assert (
        authorization.kind,
        authorization.referring_provider_name,
        authorization.number,
        authorization.valid_from,
        authorization.units_approved,
    ) == ("referral", "Dr. Zz Fictionley", "REF-2026-77", dt.date(2026, 11, 1), 6)
    document.refresh_from_db()
    assert document.work_reference == f"authorization:{authorization.pk}"
    assert document.work_done_by_id == desk.pk

"""The exchange log screens and API: list with filters, detail, audited download, poll now."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from frontdesk.accounts.choices import Role
from frontdesk.audit.models import AuditEvent
from frontdesk.clearinghouse import handlers
from frontdesk.clearinghouse.models import Exchange
from frontdesk.clearinghouse.tests.samples import sample_exchange, tiny_270, tiny_835, tiny_999

pytestmark = pytest.mark.django_db


@pytest.fixture
def biller_client(staff_client: Any) -> Client:
    return staff_client(Role.BILLING)


def _drop(drop_box: Any, name: str, content: str) -> None:
    inbox = drop_box / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    (inbox / name).write_text(content)


def test_list_shows_exchanges_and_filters_them(biller_client, drop_box):
    sent = sample_exchange()
    _drop(drop_box, "a.999", tiny_999())
    biller_client.post(reverse("clearinghouse:poll"))
    response = biller_client.get(reverse("clearinghouse:exchanges"))
    content = response.content.decode()
    assert response.status_code == 200
    assert "270-sample.x12" in content and "a.999" in content
    only_999 = biller_client.get(reverse("clearinghouse:exchanges"), {"kind": "999"})
    assert "270-sample.x12" not in only_999.content.decode()
    assert "a.999" in only_999.content.decode()
    failed = biller_client.get(reverse("clearinghouse:exchanges"), {"status": "failed"})
    assert "No exchanges match." in failed.content.decode()
    assert sent.pk


def test_list_hides_exchanges_about_restricted_patients(biller_client):
    sample_exchange(restricted=True)
    response = biller_client.get(reverse("clearinghouse:exchanges"))
    assert "0 exchanges." in response.content.decode()


def test_detail_and_audited_download(biller_client):
    exchange = sample_exchange()
    detail = biller_client.get(
        reverse("clearinghouse:exchange", kwargs={"exchange_id": exchange.pk})
    )
    assert detail.status_code == 200
    assert "000000101" in detail.content.decode()
    before = AuditEvent.objects.filter(object_type="exchange").count()
    download = biller_client.get(
        reverse("clearinghouse:download", kwargs={"exchange_id": exchange.pk})
    )
    assert download.status_code == 200
    assert download.content == tiny_270().encode()
    assert download["Content-Disposition"] == 'attachment; filename="270-sample.x12"'
    assert AuditEvent.objects.filter(object_type="exchange").count() == before + 1


def test_restricted_exchange_is_404_for_billing(biller_client):
    exchange = sample_exchange(restricted=True)
    url = reverse("clearinghouse:exchange", kwargs={"exchange_id": exchange.pk})
    assert biller_client.get(url).status_code == 404


def test_poll_now_collects_and_reports(biller_client, drop_box):
    handlers.register_handler("835", lambda exchange: None)
    _drop(drop_box, "b.835", tiny_835())
    response = biller_client.post(reverse("clearinghouse:poll"), follow=True)
    assert "1 new file received." in response.content.decode()
    assert Exchange.objects.get().status == "processed"
    again = biller_client.post(reverse("clearinghouse:poll"), follow=True)
    assert "Nothing new in the clearinghouse inbox." in again.content.decode()


def test_poll_is_post_only_and_needs_remittance_post(staff_client, drop_box):
    _drop(drop_box, "b.835", tiny_835())
    billing = staff_client(Role.BILLING)
    assert billing.get(reverse("clearinghouse:poll")).status_code == 405
    desk = staff_client(Role.FRONT_DESK)
    assert desk.post(reverse("clearinghouse:poll")).status_code == 403
    assert Exchange.objects.count() == 0


def test_poll_command(drop_box, capsys):
    from django.core.management import call_command

    _drop(drop_box, "a.999", tiny_999())
    call_command("clearinghouse_poll")
    out = capsys.readouterr().out
    assert "1 new file." in out and "999 a.999 received" in out


def test_api_lists_and_shows_exchanges(biller_client):
    exchange = sample_exchange()
    listed = biller_client.get("/api/v1/clearinghouse/exchanges?kind=270")
    assert listed.status_code == 200
    (item,) = listed.json()["items"]
    assert item["id"] == str(exchange.pk)
    assert item["patient_count"] == 1
    assert item["control_number"] == "000000101"
    one = biller_client.get(f"/api/v1/clearinghouse/exchanges/{exchange.pk}")
    assert one.json()["filename"] == "270-sample.x12"
    assert biller_client.get("/api/v1/clearinghouse/exchanges/999999").status_code == 404


def test_the_frontdesk_verb_maps_to_the_command():
    from frontdesk.cli import translate

    assert translate(["clearinghouse", "poll"]) == ["clearinghouse_poll"]


def test_the_list_costs_the_same_queries_for_many_exchanges(biller_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert biller_client.get(reverse("clearinghouse:exchanges")).status_code == 200
        return len(queries)

    sample_exchange()
    few = count()
    for _ in range(5):
        sample_exchange()
    assert count() == few


def test_a_failed_file_is_processed_again_once_fixed(biller_client, drop_box):
    from frontdesk.clearinghouse.services import inbox_poll

    fixed = {"yet": False}

    def handler(exchange: Exchange) -> None:
        if not fixed["yet"]:
            raise ValueError("Claim FD9 is unknown")

    handlers.register_handler("835", handler)
    _drop(drop_box, "b.835", tiny_835())
    (exchange,) = inbox_poll()
    assert exchange.status == "error"
    url = reverse("clearinghouse:reprocess", kwargs={"exchange_id": exchange.pk})
    detail = biller_client.get(
        reverse("clearinghouse:exchange", kwargs={"exchange_id": exchange.pk})
    )
    assert "Process again" in detail.content.decode()
    still = biller_client.post(url, follow=True)
    assert "still could not be processed: Claim FD9 is unknown" in still.content.decode()
    fixed["yet"] = True
    done = biller_client.post(url, follow=True)
    assert "The file was processed." in done.content.decode()
    exchange.refresh_from_db()
    assert exchange.status == "processed" and exchange.error == ""
    again = biller_client.post(url, follow=True)
    assert "Only a received file whose processing failed" in again.content.decode()


def test_reprocess_needs_remittance_post(staff_client):
    exchange = sample_exchange()
    url = reverse("clearinghouse:reprocess", kwargs={"exchange_id": exchange.pk})
    assert staff_client(Role.FRONT_DESK).post(url).status_code == 403

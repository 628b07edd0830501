# mypy: disable-error-code="arg-type, attr-defined, misc, union-attr"
"""Screens, API, command line and the clearinghouse handler."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from frontdesk.accounts.choices import Role
from frontdesk.api.tests.support import key_client_for
from frontdesk.clearinghouse.handlers import handler_for
from frontdesk.cli import translate
from frontdesk.remittance.models import Denial, Remittance
from frontdesk.remittance.services import exchange_835_handle
from frontdesk.remittance.tests.helpers import (
    World,
    adj,
    balances,
    claim_payment,
    era,
    make_claim,
    service,
)

pytestmark = pytest.mark.django_db


def _file(world: World, trace: str = "TRACE0001") -> tuple[object, bytes]:
    claim = make_claim(world, [("99213", ["25"], "150.00"), ("97110", [], "60.00")])
    first, second = claim.lines.order_by("line_number")
    payment = claim_payment(
        claim,
        [
            service(first, "100.00", adj("CO", "45", "30.00"), adj("PR", "2", "20.00")),
            service(second, "0.00", adj("CO", "50", "60.00"), remarks=["N115"]),
        ],
    )
    return claim, era(world, [payment], trace=trace)


def test_import_screen_posts_and_shows_the_detail(client) -> None:  # type: ignore[no-untyped-def]
    world = World()
    claim, data = _file(world)
    client.force_login(world.biller)
    assert client.get("/remittance/import/").status_code == 200
    response = client.post(
        "/remittance/import/", {"file": SimpleUploadedFile("era.835", data)}, follow=True
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Charge exceeds the fee schedule" in page
    assert "Coinsurance amount" in page
    assert claim.claim_id in page
    # Importing again says so and posts nothing.
    again = client.post("/remittance/import/", {"file": SimpleUploadedFile("era.835", data)})
    assert "already posted on" in again.content.decode()
    assert Remittance.objects.count() == 1
    assert client.get("/remittance/").status_code == 200
    bad = client.post("/remittance/import/", {"file": SimpleUploadedFile("x.835", data[:200])})
    assert "cannot be read" in bad.content.decode()


def test_worklist_screens_and_actions(client) -> None:  # type: ignore[no-untyped-def]
    world = World()
    claim, data = _file(world)
    client.force_login(world.biller)
    client.post("/remittance/import/", {"file": SimpleUploadedFile("era.835", data)})
    denial = Denial.objects.get()
    listing = client.get("/remittance/denials/")
    assert claim.claim_id in listing.content.decode()
    partial = client.get("/remittance/denials/?carc=CO-50", headers={"HX-Request": "true"})
    assert "<html" not in partial.content.decode() and claim.claim_id in partial.content.decode()
    detail = client.get(f"/remittance/denials/{denial.pk}/")
    assert "N115" in detail.content.decode()
    response = client.post(
        f"/remittance/denials/{denial.pk}/action/", {"action": "write_off", "note": "Small"}
    )
    assert response.status_code == 302
    denial.refresh_from_db()
    assert denial.status == "written_off"
    assert balances(claim.patient) == (Decimal("0.00"), Decimal("20.00"))
    response = client.post(
        f"/remittance/denials/{denial.pk}/assign/", {"assigned_to": world.biller.pk, "note": ""}
    )
    assert response.status_code == 302


def test_screens_refuse_the_front_desk(client) -> None:  # type: ignore[no-untyped-def]
    world = World()
    client.force_login(world.front_desk)
    for url in ("/remittance/", "/remittance/import/", "/remittance/denials/"):
        assert client.get(url).status_code == 403


def test_api_import_list_detail_and_denials() -> None:
    world = World()
    claim, data = _file(world)
    caller = key_client_for(Role.BILLING, world.location)
    body = {"content": data.decode(), "filename": "era.835"}
    first = caller.post("/api/v1/remittances", body)
    assert first.status_code == 201, first.json()
    assert first.json()["claims_posted"] == 1
    again = caller.post("/api/v1/remittances", body)
    assert again.status_code == 200 and again.json()["posted"] == []
    assert "already posted" in again.json()["messages"][0]
    listing = caller.get("/api/v1/remittances").json()
    remittance_id = listing[0]["id"]
    detail = caller.get(f"/api/v1/remittances/{remittance_id}").json()
    assert detail["total_paid"] == "100.00"
    assert detail["claims"][0]["claim_id"] == str(claim.pk)
    assert {p["role"] for p in detail["claims"][0]["postings"]} == {
        "payment",
        "adjustment",
        "transfer",
    }
    denials = caller.get("/api/v1/denials").json()
    assert [d["carc_codes"] for d in denials] == ["CO-50"]
    bad = caller.post("/api/v1/remittances", {"content": data.decode()[:100]})
    assert bad.status_code == 400 and bad.json()["code"] == "era_invalid"
    desk = key_client_for(Role.FRONT_DESK, world.location)
    assert desk.get("/api/v1/remittances").status_code == 403


def test_cli_imports_once(tmp_path: Path) -> None:
    world = World()
    _claim, data = _file(world)
    path = tmp_path / "era.835"
    path.write_bytes(data)
    assert translate(["era", "import", str(path)]) == ["era_import", str(path)]
    out = io.StringIO()
    call_command("era_import", str(path), "--user", world.biller.username, stdout=out)
    assert "1 claims posted" in out.getvalue()
    out = io.StringIO()
    call_command("era_import", str(path), stdout=out)
    assert "already posted" in out.getvalue()
    assert Remittance.objects.count() == 1


def test_the_clearinghouse_hands_835s_to_era_import() -> None:
    assert handler_for("835") is exchange_835_handle
    world = World()
    claim, data = _file(world)
    exchange = SimpleNamespace(pk=None, actor=None, filename="in.835", read_bytes=lambda: data)
    exchange_835_handle(exchange)
    remittance = Remittance.objects.get()
    assert remittance.imported_by.username == "remittance-system"
    assert balances(claim.patient) == (Decimal("60.00"), Decimal("20.00"))

"""Statements: snapshot, PDF with SHA-256, once per cycle, runs with progress, e-mail, the CLI."""

from __future__ import annotations

import datetime as dt
import hashlib
import socket
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from frontdesk.accounts.choices import Role
from frontdesk.core.crypto import decrypt_bytes
from frontdesk.core.errors import Conflict
from frontdesk.ledger import services as ledger
from frontdesk.ledger.choices import Bucket, ChargeCode
from frontdesk.notifications.models import Message
from frontdesk.notifications.services import message_deliver_now
from frontdesk.statements import services
from frontdesk.statements.choices import Delivery, RunStatus
from frontdesk.statements.models import Statement, StatementRun
from frontdesk.statements.tests.helpers import take_payment
from tests.factories import PatientFactory

D = Decimal


@pytest.fixture(autouse=True)
def _no_quiet_hours(settings: Any) -> None:
    settings.NOTIFY_QUIET_HOURS = ""


@pytest.fixture
def biller(make_user: Any, location: Any) -> Any:
    return make_user(Role.BILLING, location)


def _owing(biller: Any, location: Any, amount: str, **patient: Any) -> Any:
    holder = PatientFactory(**patient)
    return ledger.charge_post(
        actor=biller, patient=holder, location=location, code=ChargeCode.VISIT, amount=amount
    ).account


def test_a_statement_snapshots_the_period_and_stores_its_pdf_with_a_hash(
    biller: Any, location: Any
) -> None:
    account = _owing(biller, location, "80", first_name="Stata")
    ledger.charge_post(
        actor=biller,
        patient=account.holder,
        location=location,
        code=ChargeCode.VISIT,
        amount="120",
        bucket=Bucket.INSURANCE,
    )
    take_payment(biller, account, location, "30.00")
    today = timezone.localdate()
    statement = services.statement_create(actor=biller, account=account, cycle_date=today)
    assert statement.opening_balance == D("0.00")
    assert statement.amount_due == D("50.00")
    assert statement.due_date == today + dt.timedelta(days=21)
    assert [(line["kind"], line["bucket"], line["amount"]) for line in statement.lines] == [
        ("charge", "patient", "80.00"),
        ("charge", "insurance", "120.00"),
        ("payment", "patient", "-30.00"),
    ]
    with statement.pdf.open("rb") as handle:
        stored = handle.read()
    assert not stored.startswith(b"%PDF")  # encrypted at rest
    pdf = decrypt_bytes(stored)
    assert pdf.startswith(b"%PDF")
    assert hashlib.sha256(pdf).hexdigest() == statement.pdf_sha256


def test_at_most_one_statement_per_cycle(biller: Any, location: Any, settings: Any) -> None:
    account = _owing(biller, location, "80")
    today = timezone.localdate()
    first = services.statement_create(actor=biller, account=account, cycle_date=today)
    with pytest.raises(Conflict) as caught:
        services.statement_create(
            actor=biller, account=account, cycle_date=today + dt.timedelta(days=29)
        )
    assert caught.value.code == "statement_too_soon"
    later = services.statement_create(
        actor=biller, account=account, cycle_date=today + dt.timedelta(days=30)
    )
    assert later.period_start == first.period_end + dt.timedelta(days=1)
    assert later.opening_balance == D("80.00")
    assert later.lines == []
    assert Statement.objects.count() == 2


def test_a_run_states_accounts_over_the_threshold_once_per_cycle(
    biller: Any, location: Any
) -> None:
    over = _owing(biller, location, "5.01")
    _owing(biller, location, "5.00")  # at the threshold: no statement
    paid = _owing(biller, location, "40")
    take_payment(biller, paid, location, "40.00")
    run = StatementRun.objects.create(cycle_date=timezone.localdate(), started_by=biller)
    done = services.statement_run_execute(run_id=run.pk)
    assert (done.status, done.total, done.processed, done.created, done.skipped) == (
        RunStatus.DONE,
        1,
        1,
        1,
        0,
    )
    assert list(Statement.objects.values_list("account_id", flat=True)) == [over.pk]
    again = StatementRun.objects.create(cycle_date=timezone.localdate(), started_by=biller)
    second = services.statement_run_execute(run_id=again.pk)
    assert (second.created, second.skipped) == (0, 1)
    assert Statement.objects.count() == 1
    # Re-executing a finished run does nothing.
    assert services.statement_run_execute(run_id=run.pk).created == 1
    assert Statement.objects.count() == 1


def test_a_dry_run_counts_without_writing(biller: Any, location: Any) -> None:
    _owing(biller, location, "60")
    run = StatementRun.objects.create(
        cycle_date=timezone.localdate(), started_by=biller, dry_run=True
    )
    done = services.statement_run_execute(run_id=run.pk)
    assert (done.created, done.skipped) == (1, 0)
    assert Statement.objects.count() == 0


def test_the_cli_runs_once_per_cycle(biller: Any, location: Any) -> None:
    _owing(biller, location, "60")
    out = StringIO()
    call_command("statements_run", "--dry-run", stdout=out)
    assert "1 statements would be made, 0 already stated" in out.getvalue()
    assert Statement.objects.count() == 0
    out = StringIO()
    call_command("statements_run", stdout=out)
    assert "1 accounts over the threshold, 1 statements made, 0 already stated" in out.getvalue()
    out = StringIO()
    call_command("statements_run", stdout=out)
    assert "0 statements made, 1 already stated this cycle" in out.getvalue()
    assert Statement.objects.get().created_by.username == "statements-system"


@pytest.mark.django_db(transaction=True)  # the worker closes its connection when done
def test_the_run_screen_starts_a_task_and_polls_progress(
    biller: Any, location: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from django_tasks_db.models import DBTaskResult

    _owing(biller, location, "60")
    client = Client()
    client.force_login(biller)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/statements/runs/")
    run = StatementRun.objects.get()
    assert response["Location"] == f"/statements/runs/{run.pk}/"
    queued = DBTaskResult.objects.get()
    assert queued.task_path == "frontdesk.statements.tasks.statement_run"
    assert queued.args_kwargs["args"] == [run.pk]
    fragment = client.get(f"/statements/runs/{run.pk}/", HTTP_HX_REQUEST="true")
    assert 'hx-trigger="every 2s"' in fragment.content.decode()
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
    run.refresh_from_db()
    assert (run.status, run.created) == (RunStatus.DONE, 1)
    page = client.get(f"/statements/runs/{run.pk}/")
    html = page.content.decode()
    assert "hx-trigger" not in html
    statement = Statement.objects.get()
    assert f'href="/statements/{statement.pk}/pdf/"' in html
    pdf = client.get(f"/statements/{statement.pk}/pdf/")
    assert pdf["Content-Type"] == "application/pdf"
    assert hashlib.sha256(pdf.content).hexdigest() == statement.pdf_sha256


def test_wrong_roles_cannot_run_statements(make_user: Any, location: Any) -> None:
    client = Client()
    client.force_login(make_user(Role.FRONT_DESK, location))
    assert client.post("/statements/runs/").status_code == 403
    assert StatementRun.objects.count() == 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Inbox:
    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp(settings: Any) -> Any:
    inbox = _Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    yield inbox
    controller.stop()


def test_statements_are_emailed_only_to_a_consented_address(
    biller: Any, location: Any, smtp: Any, django_capture_on_commit_callbacks: Any
) -> None:
    consented = _owing(
        biller,
        location,
        "70",
        email="consented@example.com",
        email_consent_at=dt.date(2026, 1, 2),
    )
    _owing(biller, location, "70", email="noconsent@example.com", email_consent_at=None)
    today = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=True):
        run = StatementRun.objects.create(cycle_date=today, started_by=biller)
        services.statement_run_execute(run_id=run.pk)
    by_delivery = dict(Statement.objects.values_list("account_id", "delivery"))
    assert by_delivery[consented.pk] == Delivery.EMAIL
    assert sorted(by_delivery.values()) == [Delivery.EMAIL, Delivery.PRINT]
    message = Message.objects.get()
    assert message.to_address == "consented@example.com"
    assert message_deliver_now(message_id=message.pk) == "sent"
    assert [e.rcpt_tos for e in smtp.envelopes] == [["consented@example.com"]]
    body = smtp.envelopes[0].content.decode()
    assert f"account {consented.number}" in body
    assert "Amount due: $70.00" in body

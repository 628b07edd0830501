"""The clock: periodic tasks declared by the apps, enqueued once per interval by however many clocks."""

from __future__ import annotations

import datetime as dt
import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django_tasks_db.models import DBTaskResult

from frontdesk.core.periodic import Periodic
from frontdesk.ops.clock import clock_tick, due_slot, next_wakeup, periodic_tasks
from frontdesk.ops.models import ClockRun
from frontdesk.ops.supervisor import clock_command
from frontdesk.ops.tasks import housekeeping

EXPECTED = {
    "ops.housekeeping": dt.timedelta(hours=1),
    "ops.audit_chain_check": dt.timedelta(days=1),
    "waitlist.expire_offers": dt.timedelta(minutes=1),
    "documents.watch": dt.timedelta(minutes=1),
    "documents.fetch_mail": dt.timedelta(minutes=1),
    "documents.requeue_stalled": dt.timedelta(minutes=5),
    "documents.sweep_blobs": dt.timedelta(days=1),
    "notifications.reminders_due": dt.timedelta(minutes=5),
    "notifications.messages_release": dt.timedelta(minutes=5),
    "chartprep.readiness_refresh": dt.timedelta(minutes=5),
    "chartprep.readiness_nightly": dt.timedelta(days=1),
    "chartprep.noshows_sweep": dt.timedelta(minutes=5),
    "printing.downtime_packet": dt.timedelta(hours=1),
    "printing.batches_expire": dt.timedelta(hours=1),
    "statements.instalment_reminders": dt.timedelta(hours=1),
    "payments.reconcile": dt.timedelta(minutes=5),
    "clearinghouse.inbox_poll": dt.timedelta(minutes=5),
    "eligibility.nightly_batch": dt.timedelta(days=1),
    "eligibility.retry_due": dt.timedelta(minutes=5),
}


def _at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def _queued() -> list[str]:
    return sorted(DBTaskResult.objects.values_list("task_path", flat=True))


def test_apps_declare_their_periodic_tasks():
    assert {t.name: t.every for t in periodic_tasks()} == EXPECTED
    paths = {t.name: t.task.module_path for t in periodic_tasks()}
    assert paths["notifications.messages_release"] == (
        "frontdesk.notifications.tasks.messages_release"
    )
    assert paths["waitlist.expire_offers"] == "frontdesk.waitlist.tasks.waitlist_expire_offers"


@pytest.mark.parametrize(
    ("every", "now", "slot"),
    [
        (dt.timedelta(minutes=1), "2026-11-26 10:07:59", "2026-11-26 10:07:00"),
        (dt.timedelta(minutes=5), "2026-11-26 10:07:59", "2026-11-26 10:05:00"),
        (dt.timedelta(minutes=5), "2026-11-26 10:10:00", "2026-11-26 10:10:00"),
        (dt.timedelta(hours=1), "2026-11-26 10:59:59", "2026-11-26 10:00:00"),
        (dt.timedelta(days=1), "2026-11-26 23:59:59", "2026-11-26 00:00:00"),
    ],
)
def test_due_slot_is_the_start_of_the_interval(every, now, slot):
    assert due_slot(every, _at(now)) == _at(slot)


def test_next_wakeup_is_the_earliest_next_slot():
    tasks = periodic_tasks()
    assert next_wakeup(tasks, _at("2026-11-26 10:07:30")) == _at("2026-11-26 10:08:00")


def test_periodic_refuses_sub_minute_and_fractional_intervals():
    with pytest.raises(ValueError, match="at most once a minute"):
        Periodic("x", housekeeping, dt.timedelta(seconds=30))
    with pytest.raises(ValueError, match="whole number of minutes"):
        Periodic("x", housekeeping, dt.timedelta(seconds=90))


@pytest.mark.django_db
def test_each_task_runs_once_per_interval():
    first = clock_tick(now=_at("2026-11-26 10:00:30"))
    assert sorted(first) == sorted(EXPECTED)
    assert _queued() == sorted(
        [
            "frontdesk.chartprep.tasks.noshows_sweep",
            "frontdesk.chartprep.tasks.readiness_nightly",
            "frontdesk.chartprep.tasks.readiness_refresh",
            "frontdesk.clearinghouse.tasks.clearinghouse_inbox_poll",
            "frontdesk.documents.tasks.documents_fetch_mail",
            "frontdesk.documents.tasks.documents_requeue_stalled",
            "frontdesk.documents.tasks.documents_sweep_blobs",
            "frontdesk.documents.tasks.documents_watch",
            "frontdesk.eligibility.tasks.eligibility_nightly",
            "frontdesk.eligibility.tasks.eligibility_retry_due",
            "frontdesk.notifications.tasks.messages_release",
            "frontdesk.notifications.tasks.reminders_due",
            "frontdesk.ops.tasks.audit_chain_check",
            "frontdesk.ops.tasks.housekeeping",
            "frontdesk.payments.tasks.payments_reconcile",
            "frontdesk.printing.tasks.downtime_packet",
            "frontdesk.printing.tasks.encounter_form_batches_expire",
            "frontdesk.statements.tasks.instalment_reminders",
            "frontdesk.waitlist.tasks.waitlist_expire_offers",
        ]
    )
    # Same minute again: nothing. Next minute: only the every-minute tasks.
    every_minute = ["documents.fetch_mail", "documents.watch", "waitlist.expire_offers"]
    assert clock_tick(now=_at("2026-11-26 10:00:59")) == []
    assert sorted(clock_tick(now=_at("2026-11-26 10:01:00"))) == every_minute
    assert sorted(clock_tick(now=_at("2026-11-26 10:04:59"))) == every_minute
    assert sorted(clock_tick(now=_at("2026-11-26 10:05:00"))) == [
        "chartprep.noshows_sweep",
        "chartprep.readiness_refresh",
        "clearinghouse.inbox_poll",
        "documents.fetch_mail",
        "documents.requeue_stalled",
        "documents.watch",
        "eligibility.retry_due",
        "notifications.messages_release",
        "notifications.reminders_due",
        "payments.reconcile",
        "waitlist.expire_offers",
    ]
    assert sorted(clock_tick(now=_at("2026-11-26 11:00:00"))) == [
        "chartprep.noshows_sweep",
        "chartprep.readiness_refresh",
        "clearinghouse.inbox_poll",
        "documents.fetch_mail",
        "documents.requeue_stalled",
        "documents.watch",
        "eligibility.retry_due",
        "notifications.messages_release",
        "notifications.reminders_due",
        "ops.housekeeping",
        "payments.reconcile",
        "printing.batches_expire",
        "printing.downtime_packet",
        "statements.instalment_reminders",
        "waitlist.expire_offers",
    ]
    assert DBTaskResult.objects.count() == 19 + 3 + 3 + 11 + 15
    run = ClockRun.objects.get(task_name="ops.housekeeping", due_at=_at("2026-11-26 11:00"))
    assert DBTaskResult.objects.filter(pk=run.task_result_id).exists()


@pytest.mark.django_db
def test_a_clock_that_was_down_runs_each_task_once_not_every_missed_slot():
    clock_tick(now=_at("2026-11-26 10:00:00"))
    assert sorted(clock_tick(now=_at("2026-11-26 10:30:00"))) == [
        "chartprep.noshows_sweep",
        "chartprep.readiness_refresh",
        "clearinghouse.inbox_poll",
        "documents.fetch_mail",
        "documents.requeue_stalled",
        "documents.watch",
        "eligibility.retry_due",
        "notifications.messages_release",
        "notifications.reminders_due",
        "payments.reconcile",
        "waitlist.expire_offers",
    ]


@pytest.mark.django_db
def test_old_runs_are_pruned_after_a_week():
    clock_tick(now=_at("2026-11-01 10:00:00"))
    clock_tick(now=_at("2026-11-26 10:00:00"))
    assert ClockRun.objects.count() == len(EXPECTED)
    assert not ClockRun.objects.filter(due_at__lt=_at("2026-11-19 10:00:00")).exists()


@pytest.mark.django_db(transaction=True)
def test_two_clocks_racing_enqueue_each_run_once():
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(
        ("file:memorydb", ":memory:")
    ):
        pytest.skip("threads need a database file or PostgreSQL to race on their own connections")
    now = _at("2026-11-26 10:00:00")
    start = threading.Barrier(4)
    results: list[list[str]] = []
    errors: list[BaseException] = []

    def clock() -> None:
        try:
            start.wait()
            results.append(clock_tick(now=now))
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=clock) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(name for names in results for name in names) == sorted(EXPECTED)
    assert ClockRun.objects.count() == len(EXPECTED)
    assert DBTaskResult.objects.count() == len(EXPECTED)


@pytest.mark.django_db
def test_clock_once_enqueues_what_is_due_and_exits():
    out = StringIO()
    call_command("clock", "--once", stdout=out)
    assert out.getvalue().startswith("Enqueued: ")
    assert DBTaskResult.objects.count() == len(EXPECTED)

    again = StringIO()
    call_command("clock", "--once", stdout=again)
    assert again.getvalue() == ""
    assert DBTaskResult.objects.count() == len(EXPECTED)


def test_clock_command_is_the_frontdesk_clock_verb():
    assert clock_command()[-3:] == ["-m", "frontdesk", "clock"]

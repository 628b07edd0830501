"""The operations dashboard: downtime packet per location, the clock's tasks, the queue, the audit
chain check and backups; graded ok / amber / red; no PHI; a constant number of queries."""

from __future__ import annotations

import datetime as dt
import os
import uuid

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from frontdesk.accounts.choices import Role
from frontdesk.audit.services import audit_record
from frontdesk.ops.clock import clock_tick, periodic_tasks
from frontdesk.ops.selectors import ops_dashboard
from frontdesk.ops.services import audit_chain_check_record
from frontdesk.ops.tasks import housekeeping
from frontdesk.printing import downtime
from tests.factories import AppointmentFactory, LocationFactory, PatientFactory, UserFactory

pytestmark = pytest.mark.django_db

T = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)


@pytest.fixture
def packet_dir(settings, tmp_path):
    settings.DOWNTIME_PASSWORD = "pw-for-test"
    settings.DOWNTIME_DIR = tmp_path / "downtime"
    settings.DOWNTIME_INTERVAL_MINUTES = 60
    settings.DOWNTIME_DAYS = 2
    return settings.DOWNTIME_DIR


def _client(role: str) -> Client:
    client = Client()
    client.force_login(UserFactory(role=role))
    return client


def _levels(dashboard) -> dict[str, str]:
    return {tile["key"]: tile["level"] for tile in dashboard.tiles}


# --- access and navigation -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.ADMIN, 200),
        (Role.PRACTICE_MANAGER, 200),
        (Role.FRONT_DESK, 403),
        (Role.PRIVACY_OFFICER, 403),
        (Role.PROVIDER, 403),
    ],
)
def test_only_ops_roles_open_the_dashboard(packet_dir, role, status):
    assert _client(role).get(reverse("ops:dashboard")).status_code == status


def test_admin_reaches_it_from_the_admin_menu_and_sees_tiles_at_home(packet_dir):
    client = _client(Role.ADMIN)
    home = client.get(reverse("web:home"))
    assert [item["label"] for item in home.context["nav_admin"]] == [
        "Practice setup",
        "Staff",
        "Audit log",
        "Kiosks",
        "Operations",
    ]
    assert [tile["key"] for tile in home.context["ops_tiles"]] == [
        "downtime",
        "clock",
        "queue",
        "audit",
        "backup",
    ]
    body = home.content.decode()
    assert "<h2>Operations</h2>" in body
    assert 'data-tile="downtime"' in body


def test_desk_home_has_no_operations_tiles(packet_dir):
    home = _client(Role.FRONT_DESK).get(reverse("web:home"))
    assert "ops_tiles" not in home.context
    assert "Operations" not in home.content.decode()


def test_admin_sees_staleness_but_cannot_download_the_packet(packet_dir):
    LocationFactory()
    client = _client(Role.ADMIN)
    body = client.get(reverse("ops:dashboard")).content.decode()
    assert f'href="{reverse("printing:downtime")}"' in body
    assert client.get(reverse("printing:downtime")).status_code == 200
    download = client.get(reverse("printing:downtime_download"), {"location": 1})
    assert download.status_code == 403


# --- downtime packet ------------------------------------------------------------------------------
def test_downtime_rows_age_into_amber_and_red(packet_dir):
    main = LocationFactory(name="Main Clinic", code="main")
    north = LocationFactory(name="North Clinic", code="north")
    LocationFactory(name="Closed Clinic", code="closed", is_active=False)
    AppointmentFactory(location=main, starts_at=T + dt.timedelta(hours=2))
    AppointmentFactory(location=main, starts_at=T + dt.timedelta(days=1))
    downtime.downtime_packet_build(now=T)

    def rows(minutes):
        dashboard = ops_dashboard(now=T + dt.timedelta(minutes=minutes))
        return [
            (r.location_name, r.appointment_count, r.age_text, r.level)
            for r in dashboard.downtime_rows
        ]

    assert rows(30) == [("Main Clinic", 2, "30 min", "ok"), ("North Clinic", 0, "30 min", "ok")]
    assert rows(120) == [("Main Clinic", 2, "2 h", "ok"), ("North Clinic", 0, "2 h", "ok")]
    assert rows(121) == [("Main Clinic", 2, "2 h", "amber"), ("North Clinic", 0, "2 h", "amber")]
    assert rows(181) == [("Main Clinic", 2, "3 h", "red"), ("North Clinic", 0, "3 h", "red")]
    assert north.pk != main.pk


def test_a_failed_build_is_red_with_its_error_and_a_good_build_clears_it(packet_dir, settings):
    LocationFactory(name="Main Clinic", code="main")
    downtime.downtime_packet_build(now=T)
    settings.DOWNTIME_PASSWORD = ""
    with pytest.raises(downtime.DowntimeError):
        downtime.downtime_packet_build(now=T + dt.timedelta(minutes=60))

    dashboard = ops_dashboard(now=T + dt.timedelta(minutes=61))
    assert dashboard.packet.last_error == {
        "failed_at": T + dt.timedelta(minutes=60),
        "error": "FRONTDESK_DOWNTIME_PASSWORD is not set: no downtime packet is written.",
    }
    assert [(r.appointment_count, r.level) for r in dashboard.downtime_rows] == [(0, "red")]
    assert _levels(dashboard)["downtime"] == "red"
    assert dashboard.tiles[0]["text"] == "built 1 h ago; the last build failed"

    settings.DOWNTIME_PASSWORD = "pw-for-test"
    downtime.downtime_packet_build(now=T + dt.timedelta(minutes=62))
    assert not (packet_dir / downtime.LAST_ERROR).exists()
    dashboard = ops_dashboard(now=T + dt.timedelta(minutes=63))
    assert dashboard.packet.last_error is None
    assert _levels(dashboard)["downtime"] == "ok"


def test_other_failures_record_only_the_error_class(packet_dir, monkeypatch):
    LocationFactory()

    def broken(*args, **kwargs):
        raise RuntimeError("Zzsecret, Patient - disk full")

    monkeypatch.setattr(downtime, "_location_packet", broken)
    with pytest.raises(RuntimeError):
        downtime.downtime_packet_build(now=T)
    status = downtime.packet_status(now=T)
    assert status.last_error == {
        "failed_at": T,
        "error": "RuntimeError (details in the worker log)",
    }
    assert (status.level, status.is_stale) == ("red", True)


def test_a_location_missing_from_the_packet_is_red(packet_dir):
    LocationFactory(name="Main Clinic", code="main")
    downtime.downtime_packet_build(now=T)
    LocationFactory(name="New Clinic", code="new")
    dashboard = ops_dashboard(now=T + dt.timedelta(minutes=5))
    assert [(r.location_name, r.appointment_count, r.level) for r in dashboard.downtime_rows] == [
        ("Main Clinic", 0, "ok"),
        ("New Clinic", None, "red"),
    ]
    assert dashboard.tiles[0] == {
        "key": "downtime",
        "label": "Downtime packet",
        "level": "red",
        "text": "built 5 min ago; 1 location missing",
    }


def test_no_packet_at_all_is_red(packet_dir):
    LocationFactory()
    dashboard = ops_dashboard(now=T)
    assert dashboard.packet.level == "red"
    assert dashboard.tiles[0]["text"] == "no packet written yet"


# --- the clock's tasks ----------------------------------------------------------------------------
def _clock(dashboard) -> dict[str, tuple[str, str]]:
    return {row.name: (row.run_status, row.level) for row in dashboard.clock_rows}


def test_tasks_never_enqueued_are_red(packet_dir):
    rows = ops_dashboard(now=T).clock_rows
    assert [row.name for row in rows] == [p.name for p in periodic_tasks()]
    assert {(row.level, row.problem) for row in rows} == {
        ("red", "never enqueued (is the clock running?)")
    }


def test_clock_runs_their_results_and_overdue_tasks(packet_dir):
    with time_machine.travel(T, tick=False):
        clock_tick(now=T)
    names = [p.name for p in periodic_tasks()]
    with time_machine.travel(T + dt.timedelta(seconds=30), tick=False):
        dashboard = ops_dashboard()
    assert _clock(dashboard) == dict.fromkeys(names, ("READY", "ok"))
    housekeeping_row = next(r for r in dashboard.clock_rows if r.name == "ops.housekeeping")
    assert (housekeeping_row.last_enqueued_at, housekeeping_row.every_text) == (T, "1 h")

    # The worker ran housekeeping; the audit check failed.
    DBTaskResult.objects.filter(task_path="frontdesk.ops.tasks.housekeeping").update(
        status="SUCCESSFUL", finished_at=T + dt.timedelta(seconds=40)
    )
    DBTaskResult.objects.filter(task_path="frontdesk.ops.tasks.audit_chain_check").update(
        status="FAILED", finished_at=T + dt.timedelta(seconds=50)
    )
    with time_machine.travel(T + dt.timedelta(minutes=11), tick=False):
        rows = {row.name: row for row in ops_dashboard().clock_rows}
    assert {name: (row.run_status, row.level, row.problem) for name, row in rows.items()} == {
        "ops.housekeeping": ("SUCCESSFUL", "ok", ""),
        "ops.audit_chain_check": ("FAILED", "red", "the last run failed"),
        # Every-minute and 5-minute tasks: the clock has missed a whole slot since 15:00.
        **dict.fromkeys(
            (
                "waitlist.expire_offers",
                "documents.watch",
                "documents.fetch_mail",
                "documents.requeue_stalled",
                "notifications.reminders_due",
                "notifications.messages_release",
                "chartprep.readiness_refresh",
                "chartprep.noshows_sweep",
                "payments.reconcile",
                "clearinghouse.inbox_poll",
                "eligibility.retry_due",
            ),
            ("READY", "red", "overdue: the clock missed its last run"),
        ),
        # Hourly and daily tasks still in their slot, but queued for 11 minutes: no worker?
        **dict.fromkeys(
            (
                "chartprep.readiness_nightly",
                "documents.sweep_blobs",
                "eligibility.nightly_batch",
                "printing.downtime_packet",
                "printing.batches_expire",
                "statements.instalment_reminders",
            ),
            ("READY", "amber", "enqueued but not started (is a worker running?)"),
        ),
    }
    assert rows["ops.housekeeping"].run_finished_at == T + dt.timedelta(seconds=40)

    # Two and a half hours later without a clock: everything but the daily tasks missed a slot.
    with time_machine.travel(T + dt.timedelta(hours=2, minutes=30), tick=False):
        rows = {row.name: row for row in ops_dashboard().clock_rows}
    overdue = sorted(n for n, r in rows.items() if r.problem.startswith("overdue"))
    assert overdue == sorted(
        n
        for n in names
        if n
        not in (
            "ops.audit_chain_check",
            "chartprep.readiness_nightly",
            "documents.sweep_blobs",
            "eligibility.nightly_batch",
        )
    )
    assert rows["chartprep.readiness_nightly"].level == "amber"  # still READY after 2.5 hours


# --- queue, audit chain, backup -------------------------------------------------------------------
def test_queue_depth_failed_tasks_and_a_stalled_worker(packet_dir):
    with time_machine.travel(T, tick=False):
        for _ in range(3):
            housekeeping.enqueue()
    DBTaskResult.objects.filter(pk=DBTaskResult.objects.first().pk).update(
        status="FAILED", finished_at=T
    )
    queue = ops_dashboard(now=T + dt.timedelta(minutes=5)).queue
    assert (queue.backend, queue.waiting, queue.running, queue.failed_recently) == (
        "database",
        2,
        0,
        1,
    )
    assert (queue.oldest_waiting_since, queue.level) == (T, "amber")
    assert ops_dashboard(now=T + dt.timedelta(minutes=11)).queue.level == "amber"
    stalled = ops_dashboard(now=T + dt.timedelta(minutes=31)).queue
    assert (stalled.level, stalled.problem) == ("red", "tasks are waiting: is a worker running?")
    # A day later the failure has left the 24-hour window; the waiting tasks still count.
    assert ops_dashboard(now=T + dt.timedelta(hours=25)).queue.failed_recently == 0


def test_rq_backend_shows_na_when_redis_cannot_be_read(packet_dir, settings):
    settings.RQ_QUEUES = {"default": {"URL": "redis://127.0.0.1:9/0", "SOCKET_TIMEOUT": 1}}
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    dashboard = ops_dashboard(now=T)
    assert (dashboard.queue.backend, dashboard.queue.waiting, dashboard.queue.level) == (
        "rq",
        None,
        "red",
    )
    assert dashboard.queue.problem.startswith("Redis could not be read (")
    assert {row.run_status for row in dashboard.clock_rows} == {"n/a"}
    assert dashboard.tiles[2]["text"] == "n/a"


def test_audit_chain_check_result(packet_dir):
    assert ops_dashboard(now=T).chain_check.level == "red"  # none recorded
    with time_machine.travel(T, tick=False):
        audit_chain_check_record()
    check = ops_dashboard(now=T + dt.timedelta(hours=1)).chain_check
    assert (check.at, check.ok, check.detail, check.level) == (
        T,
        True,
        {"rows": 0, "first_bad_sequence": None},
        "ok",
    )
    assert ops_dashboard(now=T + dt.timedelta(days=3)).chain_check.level == "amber"
    assert ops_dashboard(now=T + dt.timedelta(days=9)).chain_check.level == "red"
    with time_machine.travel(T + dt.timedelta(hours=2), tick=False):
        audit_record(
            actor=None,
            actor_name="system (audit chain check)",
            action="read",
            category="audit",
            object_type="audit_chain",
            outcome="failure",
            detail={"check": "audit_chain", "intact": False, "rows": 5, "first_bad_sequence": 2},
        )
    broken = ops_dashboard(now=T + dt.timedelta(hours=3))
    assert (broken.chain_check.ok, broken.chain_check.level) == (False, "red")
    assert broken.tiles[3]["text"] == "BROKEN, checked 1 h ago"


def test_last_backup(packet_dir):
    assert ops_dashboard(now=T).backup.level == "amber"  # never recorded
    with time_machine.travel(T, tick=False):
        audit_record(
            actor=None,
            actor_name="system (backup)",
            action="export",
            category="configuration",
            object_type="backup",
            detail={"event": "backup_created", "vendor": "sqlite", "tables": 40, "files": 3},
        )
    backup = ops_dashboard(now=T + dt.timedelta(hours=20)).backup
    assert (backup.at, backup.detail, backup.level) == (
        T,
        {"vendor": "sqlite", "files": 3},
        "ok",
    )
    assert ops_dashboard(now=T + dt.timedelta(days=3)).backup.level == "amber"
    assert ops_dashboard(now=T + dt.timedelta(days=8)).backup.level == "red"


# --- no PHI, constant queries ---------------------------------------------------------------------
def test_the_page_shows_no_patient_data(packet_dir):
    location = LocationFactory()
    patient = PatientFactory(last_name="Zzopsname", first_name="Zzopsfirst")
    AppointmentFactory(location=location, patient=patient, starts_at=T + dt.timedelta(hours=3))
    with time_machine.travel(T, tick=False):
        downtime.downtime_packet_build(now=T)
        body = _client(Role.ADMIN).get(reverse("ops:dashboard")).content.decode()
    assert "1</td>" in body  # the appointment is counted ...
    for value in (patient.last_name, patient.first_name, patient.mrn):
        assert value not in body  # ... but nobody is named


def test_a_constant_number_of_queries(packet_dir, django_assert_max_num_queries):
    client = _client(Role.ADMIN)
    LocationFactory()
    with time_machine.travel(T, tick=False):
        downtime.downtime_packet_build(now=T)
    clock_tick(now=T)
    with django_assert_max_num_queries(15) as small:
        assert client.get(reverse("ops:dashboard")).status_code == 200
    # Many more locations, clock runs, queued tasks and audit rows: the same number of queries.
    for _ in range(6):
        LocationFactory()
    for minutes in range(5, 60, 5):
        clock_tick(now=T + dt.timedelta(minutes=minutes))
    audit_chain_check_record()
    with django_assert_max_num_queries(15) as large:
        assert client.get(reverse("ops:dashboard")).status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries)
    with django_assert_max_num_queries(len(small.captured_queries) + 1):
        assert client.get(reverse("web:home")).status_code == 200


REDIS_URL = os.environ.get("FRONTDESK_TEST_REDIS_URL", "").strip()


@pytest.mark.redis
@pytest.mark.skipif(
    not REDIS_URL,
    reason="RQ dashboard test needs Redis: set FRONTDESK_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/14)",
)
@pytest.mark.django_db(transaction=True)
def test_rq_backend_shows_the_queue_length_from_redis(packet_dir, settings):
    import django_rq

    queue_name = f"frontdesk-test-{uuid.uuid4().hex[:10]}"
    settings.RQ_QUEUES = {
        "default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 60},
        queue_name: {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 60},
    }
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": [queue_name]}}
    queue = django_rq.get_queue(queue_name)
    job_ids: list[str] = []
    try:
        job_ids += [housekeeping.using(queue_name=queue_name).enqueue().id for _ in range(2)]
        dashboard = ops_dashboard(now=T)
        queue_status = dashboard.queue
        assert (
            queue_status.backend,
            queue_status.waiting,
            queue_status.running,
            queue_status.failed_recently,
            queue_status.oldest_waiting_since,
            queue_status.level,
        ) == ("rq", 2, 0, 0, None, "ok")
        assert dashboard.tiles[2]["text"] == "2 waiting, 0 failed"
        assert {row.run_status for row in dashboard.clock_rows} == {"n/a"}
    finally:
        queue.empty()
        keys = [*queue.connection.scan_iter(f"rq:*{queue_name}*")]
        keys += [f"rq:{kind}:{job_id}" for job_id in job_ids for kind in ("job", "results")]
        queue.connection.delete(*keys)

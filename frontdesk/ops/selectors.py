"""Reads of the operations dashboard: is the machinery that keeps the practice safe working?

Everything here is operational metadata for IT administrators, who have no patient access: counts,
times, task names, error classes. No patient, appointment detail or name is ever read into it. The
whole dashboard costs a fixed number of queries whatever the number of locations, tasks or runs.

Levels: "ok", "amber" (look soon) and "red" (act now), shown as badges and summed up on the home page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Count, Max, Min, Q
from django.utils import timezone

from frontdesk.accounts.policy import A
from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.models import AuditEvent
from frontdesk.ops.clock import due_slot, periodic_tasks
from frontdesk.ops.models import ClockRun
from frontdesk.practice.models import Location
from frontdesk.printing import downtime

OK, AMBER, RED = "ok", "amber", "red"
_RANK = {OK: 0, AMBER: 1, RED: 2}
# A queued task waiting longer than this means no worker is taking work.
QUEUE_WAIT_AMBER = dt.timedelta(minutes=10)
QUEUE_WAIT_RED = dt.timedelta(minutes=30)
# Failed background tasks are counted over this window.
FAILED_WINDOW = dt.timedelta(hours=24)
# The audit chain is checked daily: older than two days is amber, no check in this window is red.
CHAIN_CHECK_AMBER = dt.timedelta(days=2)
CHAIN_CHECK_WINDOW = dt.timedelta(days=8)
# Backups are run by the operator's scheduler (cron, systemd timer): a day is the expected rhythm.
BACKUP_AMBER = dt.timedelta(days=2)
BACKUP_RED = dt.timedelta(days=7)


def worst(*levels: str) -> str:
    return max(levels, key=_RANK.__getitem__, default=OK)


@dataclass(frozen=True)
class DowntimeRow:
    """One location's part of the newest downtime packet."""

    location_id: int
    location_name: str
    generated_at: dt.datetime | None
    age: dt.timedelta | None
    appointment_count: int | None  # None: the location is not in the packet
    level: str

    @property
    def age_text(self) -> str:
        return ago(self.age) if self.age is not None else "—"


@dataclass(frozen=True)
class ClockRow:
    """One periodic task: when the clock last enqueued it and what became of that run."""

    name: str
    every: dt.timedelta
    last_due_at: dt.datetime | None
    last_enqueued_at: dt.datetime | None
    run_status: str  # READY / RUNNING / SUCCESSFUL / FAILED, "" when unknown, "n/a" on RQ
    run_finished_at: dt.datetime | None
    level: str
    problem: str

    @property
    def every_text(self) -> str:
        return ago(self.every)


@dataclass(frozen=True)
class QueueStatus:
    backend: str  # "database" or "rq"
    waiting: int | None
    running: int | None
    failed_recently: int | None
    oldest_waiting_since: dt.datetime | None
    level: str
    problem: str = ""


@dataclass(frozen=True)
class CheckStatus:
    """The newest recorded audit-chain check or backup (None fields: none recorded)."""

    at: dt.datetime | None
    ok: bool | None
    detail: dict[str, Any]
    level: str


@dataclass(frozen=True)
class Dashboard:
    now: dt.datetime
    packet: downtime.PacketStatus
    downtime_rows: list[DowntimeRow]
    clock_rows: list[ClockRow]
    queue: QueueStatus
    chain_check: CheckStatus
    backup: CheckStatus
    tiles: list[dict[str, str]] = field(default_factory=list)

    @property
    def interval_text(self) -> str:
        return ago(self.packet.interval)

    @property
    def downtime_level(self) -> str:
        return worst(self.packet.level, *(row.level for row in self.downtime_rows))

    @property
    def clock_level(self) -> str:
        return worst(*(row.level for row in self.clock_rows))

    @property
    def overdue_tasks(self) -> list[ClockRow]:
        return [row for row in self.clock_rows if row.level != OK]


# --- downtime packet -------------------------------------------------------------------------------
def _downtime_rows(packet: downtime.PacketStatus, user: Any | None) -> list[DowntimeRow]:
    locations = (
        Location.objects.all() if user is None else Location.objects.restrict(user, A.OPS_VIEW)
    )
    rows = []
    for location_id, name in (
        locations.filter(is_active=True).order_by("name").values_list("pk", "name")
    ):
        entry = packet.entry_for(location_id)
        rows.append(
            DowntimeRow(
                location_id=location_id,
                location_name=name,
                generated_at=packet.generated_at if entry else None,
                age=packet.age if entry else None,
                appointment_count=int(entry.get("appointment_count", 0)) if entry else None,
                # A location missing from the packet has nothing on paper: as bad as no packet.
                level=packet.level if entry else RED,
            )
        )
    return rows


# --- the clock ------------------------------------------------------------------------------------
def _uses_database_tasks() -> bool:
    return str(settings.TASKS["default"]["BACKEND"]).startswith("django_tasks_db")


def _clock_rows(now: dt.datetime) -> list[ClockRow]:
    from django_tasks_db.models import DBTaskResult

    tasks = periodic_tasks()
    newest = dict(
        ClockRun.objects.filter(task_name__in=[t.name for t in tasks])
        .values("task_name")
        .annotate(last=Max("due_at"))
        .values_list("task_name", "last")
    )
    runs: dict[str, ClockRun] = {}
    if newest:
        pairs = Q()
        for name, due_at in newest.items():
            pairs |= Q(task_name=name, due_at=due_at)
        runs = {run.task_name: run for run in ClockRun.objects.filter(pairs)}
    database = _uses_database_tasks()
    results: dict[str, Any] = {}
    ids = [run.task_result_id for run in runs.values() if run.task_result_id]
    if database and ids:
        results = {
            str(result["id"]): result
            for result in DBTaskResult.objects.filter(pk__in=ids).values(
                "id", "status", "finished_at"
            )
        }
    rows = []
    for periodic in tasks:
        run = runs.get(periodic.name)
        result = results.get(run.task_result_id) if run is not None else None
        status = ""
        finished_at = None
        if not database:
            status = "n/a"
        elif result is not None:
            status, finished_at = str(result["status"]), result["finished_at"]
        level, problem = OK, ""
        current_slot = due_slot(periodic.every, now)
        if run is None:
            level, problem = RED, "never enqueued (is the clock running?)"
        elif run.due_at < current_slot - periodic.every:
            # The clock enqueues at the start of every slot: a whole slot missed means it is down.
            level, problem = RED, "overdue: the clock missed its last run"
        elif status == "FAILED":
            level, problem = RED, "the last run failed"
        elif status == "READY" and now - run.enqueued_at > min(periodic.every, QUEUE_WAIT_AMBER):
            level, problem = AMBER, "enqueued but not started (is a worker running?)"
        rows.append(
            ClockRow(
                name=periodic.name,
                every=periodic.every,
                last_due_at=run.due_at if run else None,
                last_enqueued_at=run.enqueued_at if run else None,
                run_status=status,
                run_finished_at=finished_at,
                level=level,
                problem=problem,
            )
        )
    return rows


# --- the task queue -------------------------------------------------------------------------------
def _queue(now: dt.datetime) -> QueueStatus:
    if not _uses_database_tasks():
        return _rq_queue()
    from django_tasks_db.models import DBTaskResult, get_date_max

    # Tasks without a "run after" carry the backend's far-future marker: they are due now.
    due = Q(run_after=get_date_max()) | Q(run_after__lte=now)
    counts = DBTaskResult.objects.aggregate(
        waiting=Count("pk", filter=Q(status="READY")),
        running=Count("pk", filter=Q(status="RUNNING")),
        failed=Count("pk", filter=Q(status="FAILED", finished_at__gte=now - FAILED_WINDOW)),
        oldest=Min("enqueued_at", filter=Q(status="READY") & due),
    )
    oldest = counts["oldest"]
    level, problem = OK, ""
    if counts["failed"]:
        level, problem = AMBER, "tasks failed in the last 24 hours (see the worker log)"
    if oldest is not None and now - oldest > QUEUE_WAIT_AMBER:
        level = RED if now - oldest > QUEUE_WAIT_RED else worst(level, AMBER)
        problem = "tasks are waiting: is a worker running?"
    return QueueStatus(
        backend="database",
        waiting=counts["waiting"],
        running=counts["running"],
        failed_recently=counts["failed"],
        oldest_waiting_since=oldest,
        level=level,
        problem=problem,
    )


def _rq_queue() -> QueueStatus:
    """With Redis, the queue length and failed-job registry are cheap to read; anything else is n/a."""
    try:
        import django_rq
        from rq.registry import FailedJobRegistry, StartedJobRegistry

        queue = django_rq.get_queue(settings.TASKS["default"].get("QUEUES", ["default"])[0])
        waiting = int(queue.count)
        running = int(StartedJobRegistry(queue=queue).count)
        failed = int(FailedJobRegistry(queue=queue).count)
    except Exception as exc:  # Redis down or not reachable: say so, never break the page
        return QueueStatus(
            backend="rq",
            waiting=None,
            running=None,
            failed_recently=None,
            oldest_waiting_since=None,
            level=RED,
            problem=f"Redis could not be read ({type(exc).__name__})",
        )
    return QueueStatus(
        backend="rq",
        waiting=waiting,
        running=running,
        failed_recently=failed,
        oldest_waiting_since=None,
        level=AMBER if failed else OK,
        problem="failed jobs are kept in Redis's failed registry" if failed else "",
    )


# --- audit chain check and backups ----------------------------------------------------------------
def _chain_check(now: dt.datetime) -> CheckStatus:
    # Bounded by time so the (action, occurred_at) index serves it even on a large audit log.
    event = (
        AuditEvent.objects.filter(
            action=AuditAction.READ,
            occurred_at__gte=now - CHAIN_CHECK_WINDOW,
            category=AuditCategory.AUDIT,
            object_type="audit_chain",
        )
        .order_by("-occurred_at", "-sequence")
        .values("occurred_at", "outcome", "detail")
        .first()
    )
    if event is None:
        return CheckStatus(at=None, ok=None, detail={}, level=RED)
    detail = event["detail"] or {}
    intact = bool(detail.get("intact")) and event["outcome"] == "success"
    level = OK
    if not intact:
        level = RED
    elif now - event["occurred_at"] > CHAIN_CHECK_AMBER:
        level = AMBER
    return CheckStatus(
        at=event["occurred_at"],
        ok=intact,
        detail={
            "rows": detail.get("rows"),
            "first_bad_sequence": detail.get("first_bad_sequence"),
        },
        level=level,
    )


def _backup(now: dt.datetime) -> CheckStatus:
    event = (
        AuditEvent.objects.filter(
            action=AuditAction.EXPORT,
            category=AuditCategory.CONFIGURATION,
            object_type="backup",
        )
        .order_by("-occurred_at", "-sequence")
        .values("occurred_at", "detail")
        .first()
    )
    if event is None:
        return CheckStatus(at=None, ok=None, detail={}, level=AMBER)
    age = now - event["occurred_at"]
    detail = event["detail"] or {}
    return CheckStatus(
        at=event["occurred_at"],
        ok=True,
        detail={"vendor": detail.get("vendor"), "files": detail.get("files")},
        level=RED if age > BACKUP_RED else AMBER if age > BACKUP_AMBER else OK,
    )


# --- the dashboard --------------------------------------------------------------------------------
def ops_dashboard(*, user: Any | None = None, now: dt.datetime | None = None) -> Dashboard:
    """Everything the operations dashboard shows, in a fixed number of queries (seven).

    ``user`` scopes the locations listed (``None``: the system, every location).
    """
    now = now or timezone.now()
    packet = downtime.packet_status(now=now)
    dashboard = Dashboard(
        now=now,
        packet=packet,
        downtime_rows=_downtime_rows(packet, user),
        clock_rows=_clock_rows(now),
        queue=_queue(now),
        chain_check=_chain_check(now),
        backup=_backup(now),
    )
    dashboard.tiles.extend(_tiles(dashboard))
    return dashboard


def _tiles(d: Dashboard) -> list[dict[str, str]]:
    """The home page's summary: one tile per area, its level and one line of text."""
    if d.packet.generated_at is None:
        packet_text = "no packet written yet"
    else:
        packet_text = f"built {ago(d.packet.age)} ago"
    if d.packet.last_error is not None:
        packet_text += "; the last build failed"
    missing = sum(1 for row in d.downtime_rows if row.appointment_count is None)
    if missing and d.packet.generated_at is not None:
        packet_text += f"; {missing} location{'s' if missing != 1 else ''} missing"
    overdue = len(d.overdue_tasks)
    queue = d.queue
    if queue.waiting is None:
        queue_text = "n/a"
    else:
        queue_text = f"{queue.waiting} waiting, {queue.failed_recently} failed"
    chain = d.chain_check
    if chain.at is None:
        chain_text = "no check recorded in 8 days"
    else:
        chain_text = ("intact" if chain.ok else "BROKEN") + f", checked {ago(d.now - chain.at)} ago"
    backup_text = "none recorded" if d.backup.at is None else f"last {ago(d.now - d.backup.at)} ago"
    return [
        {
            "key": "downtime",
            "label": "Downtime packet",
            "level": d.downtime_level,
            "text": packet_text,
        },
        {
            "key": "clock",
            "label": "Scheduled tasks",
            "level": d.clock_level,
            "text": f"{overdue} need attention" if overdue else "all on time",
        },
        {"key": "queue", "label": "Task queue", "level": queue.level, "text": queue_text},
        {"key": "audit", "label": "Audit chain", "level": chain.level, "text": chain_text},
        {"key": "backup", "label": "Backup", "level": d.backup.level, "text": backup_text},
    ]


def ago(delta: dt.timedelta | None) -> str:
    """A short duration: 45 s, 12 min, 3 h, 2 d (rounded down)."""
    if delta is None:
        return "?"
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} d"

"""Reading the front desk's day: today's list, the flow board, the check-in panel, flow metrics.

The board is read as plain rows in a constant number of queries (location, appointments joined with
patient, provider, type, visit and room, the rooms, the running-late notices), whatever the number of
cards. Patients are shown as "Last, F." (minimum necessary on a shared screen). Each read writes one
audit row.
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db.models import Count, Max

from frontdesk.accounts.policy import A
from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.core.queryset import get_restricted
from frontdesk.patients.models import Coverage, Verification
from frontdesk.practice.models import Location, Provider, Room
from frontdesk.scheduling.choices import AppointmentStatus
from frontdesk.scheduling.models import Appointment
from frontdesk.visits.choices import FLOW_ORDER, FlowState
from frontdesk.visits.models import CheckIn, RunningLateNotice, Visit
from frontdesk.visits.services import active_coverage, copay_to_collect

# Statuses that belong on the board: still expected, in the office, or seen today.
BOARD_STATUSES = (
    AppointmentStatus.BOOKED,
    AppointmentStatus.ARRIVED,
    AppointmentStatus.CHECKED_IN,
    AppointmentStatus.FULFILLED,
)
NO_FORMS = "No forms configured."
FORMS_CURRENT = "All required consents are on file and current."
PRIOR_BALANCE_UNKNOWN = "Prior balance: none recorded (no account yet)."


def amber_minutes() -> int:
    return int(settings.FLOW_AMBER_MINUTES)


def red_minutes() -> int:
    return int(settings.FLOW_RED_MINUTES)


def on_time_grace_minutes() -> int:
    return int(settings.FLOW_ON_TIME_MINUTES)


def day_span(location: Location, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = location.tzinfo
    return (
        dt.datetime.combine(day, dt.time(0), tzinfo=tz),
        dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=tz),
    )


def _short(first: str, last: str) -> str:
    return f"{last}, {(first or '?')[:1].upper()}."


def _provider_short(first: str, last: str, credentials: str) -> str:
    return f"{last}, {(first or '?')[:1]}." + (f" {credentials}" if credentials else "")


def _level(minutes: int) -> str:
    if minutes >= red_minutes():
        return "red"
    if minutes >= amber_minutes():
        return "amber"
    return ""


@dataclass(slots=True)
class Card:
    """One patient on the board."""

    appointment_id: int
    patient_short: str
    provider_id: int
    provider_short: str
    type_name: str
    starts_at: dt.datetime
    local_start: dt.datetime
    status: str
    state: str
    state_since: dt.datetime | None
    arrived_at: dt.datetime | None
    room_id: int | None
    room_name: str
    minutes_in_state: int
    total_wait: int | None  # minutes since arrival while still in the office; None before / after
    level: str  # "", "amber" or "red": time in state past the thresholds
    local_hm: str = ""  # the appointment time, "HH:MM" in the location's zone
    since_ts: int = (
        0  # when the clock of the current state started (epoch seconds), for the page's ticking
    )
    arrived_ts: int = 0
    since_hm: str = ""


@dataclass
class BoardColumn:
    state: str
    label: str
    cards: list[Card] = field(default_factory=list)


@dataclass
class RoomStatus:
    room: Room
    card: Card | None


@dataclass
class Board:
    location: Location
    day: dt.date
    columns: list[BoardColumn]
    rooms: list[RoomStatus]
    providers: list[tuple[int, str]]
    late_notices: list[RunningLateNotice]
    version: str
    now: dt.datetime
    provider_id: int | None = None

    @property
    def cards(self) -> list[Card]:
        return [card for column in self.columns for card in column.cards]


_FIELDS = (
    "pk",
    "provider_id",
    "starts_at",
    "status",
    "patient__first_name",
    "patient__last_name",
    "provider__first_name",
    "provider__last_name",
    "provider__credentials",
    "appointment_type__name",
    "visit__state",
    "visit__state_since",
    "visit__arrived_at",
    "visit__room_id",
    "visit__room__name",
)


def board_version(*, user: Any, location_id: int, day: dt.date) -> str:
    """Cheap change token for a location's board: appointments, visits and notices (one query)."""
    location = get_restricted(Location.objects.all(), user, A.SCHEDULE_VIEW, pk=location_id)
    start, end = day_span(location, day)
    agg = Appointment.objects.filter(
        location_id=location.pk, starts_at__gte=start, starts_at__lt=end
    ).aggregate(
        n=Count("pk"),
        latest=Max("updated_at"),
        visit_latest=Max("visit__updated_at"),
    )
    notices = RunningLateNotice.objects.filter(location_id=location.pk, day=day).count()
    parts = [str(agg["n"]), str(notices)]
    for key in ("latest", "visit_latest"):
        parts.append(agg[key].isoformat() if agg[key] else "-")
    return ".".join(parts)


def flow_board(
    *,
    user: Any,
    location_id: int,
    day: dt.date,
    provider_id: int | None = None,
    now: dt.datetime | None = None,
    audit: bool = True,
) -> Board:
    """The flow board of a location's day (optionally one provider's patients); one audit row."""
    from django.utils import timezone

    location = get_restricted(Location.objects.all(), user, A.SCHEDULE_VIEW, pk=location_id)
    now = now or timezone.now()
    tz = location.tzinfo
    start, end = day_span(location, day)
    rows = (
        Appointment.objects.restrict(user, A.SCHEDULE_VIEW)
        .filter(location=location, starts_at__gte=start, starts_at__lt=end)
        .filter(status__in=BOARD_STATUSES)
        .order_by("starts_at", "pk")
        .values_list(*_FIELDS)
    )
    columns = {state: BoardColumn(state, label) for state, label in FlowState.choices}
    providers: dict[int, str] = {}
    by_room: dict[int, Card] = {}
    for (
        pk,
        prov_id,
        starts_at,
        status,
        first,
        last,
        p_first,
        p_last,
        p_cred,
        type_name,
        state,
        since,
        arrived_at,
        room_id,
        room_name,
    ) in rows:
        providers.setdefault(prov_id, _provider_short(p_first, p_last, p_cred))
        if provider_id is not None and prov_id != provider_id:
            continue
        if not state:
            # No visit row: still expected, unless the visit was completed without the board
            # (marked fulfilled through the schedule or the API, or imported).
            state = FlowState.DONE if status == AppointmentStatus.FULFILLED else FlowState.EXPECTED
        if state == FlowState.EXPECTED:
            # Expected: the clock runs from the appointment time once it has passed.
            in_state = max(0, int((now - starts_at).total_seconds() // 60))
            total = None
        else:
            in_state = max(0, int((now - since).total_seconds() // 60)) if since else 0
            total = (
                max(0, int((now - arrived_at).total_seconds() // 60))
                if arrived_at and state != FlowState.DONE
                else None
            )
        local_start = starts_at.astimezone(tz)
        clock_from = starts_at if state == FlowState.EXPECTED else (since or starts_at)
        card = Card(
            appointment_id=pk,
            patient_short=_short(first, last),
            provider_id=prov_id,
            provider_short=providers[prov_id],
            type_name=type_name,
            starts_at=starts_at,
            local_start=local_start,
            status=status,
            state=state,
            state_since=since,
            arrived_at=arrived_at,
            room_id=room_id,
            room_name=room_name or "",
            minutes_in_state=in_state,
            total_wait=total,
            level="" if state == FlowState.DONE else _level(in_state),
            local_hm=f"{local_start:%H:%M}",
            since_ts=int(clock_from.timestamp()),
            arrived_ts=int(arrived_at.timestamp()) if arrived_at else 0,
            since_hm=f"{clock_from.astimezone(tz):%H:%M}",
        )
        columns[state].cards.append(card)
        if room_id is not None and state == FlowState.ROOMED:
            by_room[room_id] = card
    rooms = [
        RoomStatus(room=room, card=by_room.get(room.pk))
        for room in Room.objects.filter(location=location, is_active=True).order_by("name", "pk")
    ]
    notices = list(
        RunningLateNotice.objects.filter(location=location, day=day)
        .select_related("provider")
        .order_by("-created_at", "-pk")
    )
    version = board_version(user=user, location_id=location.pk, day=day)
    if audit:
        audit_record(
            actor=user,
            action=AuditAction.QUERY,
            category=AuditCategory.SCHEDULE,
            object_type="flow_board",
            detail={
                "location_id": location.pk,
                "date": day.isoformat(),
                "results": sum(len(c.cards) for c in columns.values()),
            },
        )
    return Board(
        location=location,
        day=day,
        columns=[columns[state] for state in FLOW_ORDER],
        rooms=rooms,
        providers=sorted(providers.items(), key=lambda item: item[1]),
        late_notices=notices,
        version=version,
        now=now,
        provider_id=provider_id,
    )


# --- the check-in panel --------------------------------------------------------------------------


@dataclass
class CheckInPanel:
    appointment: Appointment
    visit: Visit | None
    check_in: CheckIn | None
    coverage: Coverage | None
    copay: Decimal | None
    last_verification: Verification | None
    forms_due: list[str]
    forms_note: str
    forms_url: str
    balance_note: str
    needs_override: bool
    # When the coverage last changed, if no insurance verification has confirmed it since (e.g. a
    # coverage applied from a kiosk report): the desk checks the card.
    coverage_unverified_since: dt.datetime | None = None
    balance_due: Decimal | None = None  # the guarantor's patient-responsibility balance (ledger)
    pay_url: str = ""  # the desk's "Take payment" screen for this visit ("" without payments)


def check_in_panel(*, user: Any, appointment_id: int, today: dt.date) -> CheckInPanel:
    """What the desk needs to check one patient in (identity, insurance, money due); one audit row."""
    appointment: Appointment = get_restricted(
        Appointment.objects.select_related("patient", "provider", "location", "appointment_type"),
        user,
        A.APPOINTMENT_CHECK_IN,
        pk=appointment_id,
    )
    visit = Visit.objects.filter(appointment=appointment).first()
    check_in = (
        CheckIn.objects.filter(visit=visit, undone_at__isnull=True).first() if visit else None
    )
    coverage = active_coverage(appointment.patient, today)
    last = (
        Verification.objects.filter(patient=appointment.patient)
        .order_by("-verified_at", "-pk")
        .first()
    )
    unverified_since = None
    if (
        coverage is not None
        and not Verification.objects.filter(
            patient=appointment.patient,
            insurance_confirmed=True,
            verified_at__gte=coverage.updated_at,
        ).exists()
    ):
        unverified_since = coverage.updated_at
    audit_record(
        actor=user,
        action=AuditAction.READ,
        category=AuditCategory.DEMOGRAPHICS,
        patient_id=appointment.patient_id,
        object_type="appointment",
        object_id=appointment.pk,
        detail={"view": "check_in_panel"},
    )
    return CheckInPanel(
        appointment=appointment,
        visit=visit,
        check_in=check_in,
        coverage=coverage,
        copay=copay_to_collect(coverage, appointment.provider, today),
        last_verification=last,
        forms_due=forms_due_for(appointment),
        forms_note=FORMS_CURRENT if apps.is_installed("frontdesk.chartprep") else NO_FORMS,
        forms_url=_forms_url(appointment.patient_id),
        needs_override=coverage is None,
        coverage_unverified_since=unverified_since,
        **_balance(appointment),
    )


def _balance(appointment: Appointment) -> dict[str, Any]:
    """The prior balance from the ledger (patient responsibility of the guarantor's account) and
    where to take the payment, when the payments app is installed."""
    from frontdesk.ledger.selectors import patient_balance_due

    balance = patient_balance_due(patient=appointment.patient)
    if balance is None:
        note = PRIOR_BALANCE_UNKNOWN
    elif balance > 0:
        note = f"Prior balance: ${balance:,.2f} owed on the account."
    elif balance < 0:
        note = f"Prior balance: none; ${-balance:,.2f} credit on the account."
    else:
        note = "Prior balance: none (paid in full)."
    pay_url = ""
    if apps.is_installed("frontdesk.payments"):
        from django.urls import reverse

        pay_url = (
            reverse("payments:take", kwargs={"pk": appointment.patient_id})
            + f"?appointment={appointment.pk}"
        )
    return {"balance_note": note, "balance_due": balance, "pay_url": pay_url}


def _forms_url(patient_id: int) -> str:
    """Where the desk records a consent signed on paper (chart prep's patient page)."""
    if not apps.is_installed("frontdesk.chartprep"):
        return ""
    from django.urls import reverse

    return reverse("chartprep:patient", kwargs={"pk": patient_id})


def forms_due_for(appointment: Appointment) -> list[str]:
    """Consents the patient must sign before this visit (required kinds missing or out of date on
    the visit's local date), from chart prep's acknowledgements when that app is installed."""
    if not apps.is_installed("frontdesk.chartprep"):
        return []
    from frontdesk.chartprep.selectors import consents_due

    on = appointment.starts_at.astimezone(appointment.location.tzinfo).date()
    return consents_due(patient_id=appointment.patient_id, on=on)


# --- metrics -------------------------------------------------------------------------------------


@dataclass
class MetricsRow:
    label: str
    visits: int = 0
    arrival_to_roomed: list[float] = field(default_factory=list)
    cycle: list[float] = field(default_factory=list)
    on_time: int = 0
    started: int = 0

    @property
    def wait_median(self) -> float | None:
        return (
            round(statistics.median(self.arrival_to_roomed), 1) if self.arrival_to_roomed else None
        )

    @property
    def cycle_median(self) -> float | None:
        return round(statistics.median(self.cycle), 1) if self.cycle else None

    @property
    def on_time_rate(self) -> float | None:
        return round(100 * self.on_time / self.started, 1) if self.started else None


@dataclass
class Metrics:
    start: dt.date
    end: dt.date
    by_provider: list[MetricsRow]
    by_location: list[MetricsRow]
    total: MetricsRow

    @property
    def total_rows(self) -> list[MetricsRow]:
        return [self.total] if self.total.visits else []


def flow_metrics(
    *, user: Any, start: dt.date, end: dt.date, location_id: int | None = None
) -> Metrics:
    """Arrival-to-roomed wait, cycle time (arrival to done) and on-time start rate, in minutes.

    A start is on time when the patient was roomed at most ``FLOW_ON_TIME_MINUTES`` (default 10)
    after the appointment time. Over the locations the user may see (or one), ``start``..``end``
    inclusive, by provider and by location.
    """
    locations = Location.objects.restrict(user, A.SCHEDULE_VIEW)
    if location_id is not None:
        locations = locations.filter(pk=location_id)
    location_list = list(locations)
    grace = dt.timedelta(minutes=on_time_grace_minutes())
    by_provider: dict[int, MetricsRow] = {}
    by_location: dict[int, MetricsRow] = {}
    total = MetricsRow("All")
    names = {p.pk: p.display_name for p in Provider.objects.all()}
    for location in location_list:
        span_start, _ = day_span(location, start)
        _, span_end = day_span(location, end)
        rows = Visit.objects.filter(
            location=location,
            appointment__starts_at__gte=span_start,
            appointment__starts_at__lt=span_end,
            arrived_at__isnull=False,
        ).values_list(
            "appointment__provider_id",
            "appointment__starts_at",
            "arrived_at",
            "roomed_at",
            "done_at",
        )
        for prov_id, starts_at, arrived, roomed, done in rows:
            targets = (
                by_provider.setdefault(prov_id, MetricsRow(names.get(prov_id, str(prov_id)))),
                by_location.setdefault(location.pk, MetricsRow(location.name)),
                total,
            )
            for row in targets:
                row.visits += 1
                if roomed:
                    row.arrival_to_roomed.append((roomed - arrived).total_seconds() / 60)
                    row.started += 1
                    row.on_time += roomed <= starts_at + grace
                if done:
                    row.cycle.append((done - arrived).total_seconds() / 60)
    audit_record(
        actor=user,
        action=AuditAction.QUERY,
        category=AuditCategory.SCHEDULE,
        object_type="flow_metrics",
        detail={"start": start.isoformat(), "end": end.isoformat(), "location_id": location_id},
    )
    return Metrics(
        start=start,
        end=end,
        by_provider=sorted(by_provider.values(), key=lambda r: r.label),
        by_location=sorted(by_location.values(), key=lambda r: r.label),
        total=total,
    )

"""Schedule screens: the day view of a location, a provider's week, booking / appointment panels (htmx),
cheap change detection for live updates, and the printable day schedule.

Thin: the grid reader (grid.py), selectors and services do the work (they scope, validate and audit).
URLs carry only ids and dates, never patient details.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.apps import apps as django_apps
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from frontdesk.accounts.decorators import authenticated, requires
from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from frontdesk.core.queryset import get_restricted
from frontdesk.patients.models import Patient
from frontdesk.patients.selectors import patient_search
from frontdesk.practice.models import Location, Provider
from frontdesk.scheduling import grid, linked, series, services
from frontdesk.scheduling.choices import (
    ACTIVE_STATUSES,
    OPEN_STATUSES,
    CancellationReason,
    CancelledBy,
)
from frontdesk.scheduling.errors import SlotTaken
from frontdesk.scheduling.models import Appointment, AppointmentSeries, AppointmentType
from frontdesk.scheduling.noshow import no_show_flag, no_show_flags
from frontdesk.scheduling.selectors import appointment_get, appointment_type_list, slot_search
from frontdesk.scheduling.slots import grid_minutes

VIEW = "schedule.view"
BOOK = "appointment.book"
ESTIMATE = "estimate.create"  # the patient cost estimate panel (eligibility's, loaded by htmx)
OVERBOOK = "appointment.overbook"
OPTIONS = 5
ROW_CLASS_LIMIT = 24 * 60 // grid.STEP + 2
MSG_NO_SUCH_PROVIDER = "That provider cannot be picked here."


def _user(request: HttpRequest) -> Any:
    return request.user


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _location(request: HttpRequest, raw: Any) -> Location:
    scoped = (
        Location.objects.restrict(_user(request), VIEW)
        .filter(is_active=True)
        .order_by("name", "pk")
    )
    pk = _int(raw)
    location = scoped.filter(pk=pk).first() if pk is not None else scoped.first()
    if location is None:
        raise Http404
    return location


def _day(raw: Any, location: Location) -> dt.date:
    try:
        return dt.date.fromisoformat(str(raw))
    except ValueError:
        return timezone.now().astimezone(location.tzinfo).date()


def _columns(request: HttpRequest) -> str:
    """ "providers" (default) or "rooms"; anything else is the default (allow-listed)."""
    value = request.GET.get("columns", grid.BY_PROVIDER)
    return value if value in grid.COLUMN_KINDS else grid.BY_PROVIDER


def _grid_context(request: HttpRequest, location: Location, day: dt.date) -> dict[str, Any]:
    by = _columns(request)
    try:
        day_grid = grid.day_grid(user=_user(request), location_id=location.pk, day=day, by=by)
    except NotFound:
        raise Http404 from None
    can_book = _user(request).can(BOOK)
    return {
        "grid": day_grid,
        "location": location,
        "day": day,
        "columns": by,
        "can_book": can_book,
        "can_move": can_book,
        "movable_statuses": OPEN_STATUSES,
        # Reversed once per page, not once per block: a busy day has hundreds of blocks. The
        # script and the template append the appointment id (ids only in URLs).
        "appointment_url": reverse("scheduling:appointment", args=[0])[: -len("0/")],
        "move_url": reverse("scheduling:reschedule", args=[0]).replace("/0/", "/{id}/"),
        "book_url": reverse("scheduling:book"),
        "grid_step": grid_minutes(),
    }


@requires(VIEW)
@require_GET
def day_view(request: HttpRequest) -> HttpResponse:
    location = _location(request, request.GET.get("location"))
    day = _day(request.GET.get("date"), location)
    context = _grid_context(request, location, day)
    context.update(
        locations=Location.objects.restrict(_user(request), VIEW)
        .filter(is_active=True)
        .order_by("name", "pk"),
        prev_day=day - dt.timedelta(days=1),
        next_day=day + dt.timedelta(days=1),
    )
    return render(request, "scheduling/day.html", context)


@requires(VIEW)
@require_GET
def day_grid(request: HttpRequest) -> HttpResponse:
    location = _location(request, request.GET.get("location"))
    day = _day(request.GET.get("date"), location)
    context = _grid_context(request, location, day)
    return render(request, "scheduling/_grid.html", context)


@requires(VIEW)
@require_GET
def changes(request: HttpRequest) -> HttpResponse:
    """204 while the location's day is unchanged (one aggregate query); the fresh grid otherwise."""
    location = _location(request, request.GET.get("location"))
    day = _day(request.GET.get("date"), location)
    version = grid.day_version(user=_user(request), location_id=location.pk, day=day)
    if version == request.GET.get("v", ""):
        return HttpResponse(status=204)
    context = _grid_context(request, location, day)
    return render(request, "scheduling/_grid.html", context)


@authenticated
@require_GET
def grid_css(request: HttpRequest) -> HttpResponse:
    """Row placement classes (CSP forbids style= attributes) and one colour class per appointment type."""
    lines = [f".r-{n}{{grid-row-start:{n}}}" for n in range(1, ROW_CLASS_LIMIT + 1)]
    lines += [f".rs-{n}{{grid-row-end:span {n}}}" for n in range(1, ROW_CLASS_LIMIT + 1)]
    types = AppointmentType.objects.restrict(_user(request), VIEW)
    for pk, color in types.values_list("pk", "color"):
        lines.append(f".t-{int(pk)}{{--type-color:{color}}}")
    response = HttpResponse("\n".join(lines) + "\n", content_type="text/css")
    response["Cache-Control"] = "private, max-age=60"
    return response


@requires(VIEW)
@require_GET
def week_view(request: HttpRequest) -> HttpResponse:
    location = _location(request, request.GET.get("location"))
    day = _day(request.GET.get("date"), location)
    monday = day - dt.timedelta(days=day.weekday())
    providers = Provider.objects.restrict(_user(request), VIEW).filter(
        locations=location, is_active=True
    )
    provider_id = _int(request.GET.get("provider"))
    provider = (
        providers.filter(pk=provider_id).first() if provider_id is not None else providers.first()
    )
    if provider is None:
        raise Http404
    try:
        days = grid.provider_week(
            user=_user(request), provider_id=provider.pk, location_id=location.pk, monday=monday
        )
    except NotFound:
        raise Http404 from None
    return render(
        request,
        "scheduling/week.html",
        {
            "location": location,
            "provider": provider,
            "providers": providers,
            "days": days,
            "monday": monday,
            "prev_week": monday - dt.timedelta(days=7),
            "next_week": monday + dt.timedelta(days=7),
        },
    )


# --- booking panel -------------------------------------------------------------------------------


def _parse_start(raw: Any, location: Location) -> dt.datetime | None:
    try:
        naive = dt.datetime.fromisoformat(str(raw))
    except ValueError:
        return None
    if timezone.is_aware(naive):
        return naive
    return naive.replace(tzinfo=location.tzinfo)


def _options(
    request: HttpRequest,
    *,
    type_id: int,
    provider: Provider,
    location: Location,
    after: dt.datetime,
) -> list[dict[str, Any]]:
    try:
        found = slot_search(
            user=_user(request),
            appointment_type_id=type_id,
            provider_ids=[provider.pk],
            location_ids=[location.pk],
            start=max(after, timezone.now()),
            end=after + dt.timedelta(days=14),
            limit=OPTIONS,
        )
    except DomainError:
        return []
    tz = location.tzinfo
    return [
        {"local": option.starts_at.astimezone(tz), "provider_id": option.provider_id}
        for option in found
    ]


def _book_context(
    request: HttpRequest, data: Any, *, errors: dict[str, list[str]] | None = None
) -> dict[str, Any]:
    user = _user(request)
    location = _location(request, data.get("location"))
    provider = Provider.objects.restrict(user, VIEW).filter(pk=_int(data.get("provider"))).first()
    if provider is None:
        raise Http404
    start = _parse_start(data.get("pick") or data.get("start"), location)
    patient = None
    patient_id = _int(data.get("patient"))
    if patient_id is not None:
        patient = Patient.objects.restrict(user, "patient.search").filter(pk=patient_id).first()
    return {
        "location": location,
        "provider": provider,
        "start": start,
        "start_local": start.astimezone(location.tzinfo).strftime("%Y-%m-%dT%H:%M")
        if start
        else "",
        "types": appointment_type_list(user=user),
        "type_id": _int(data.get("appointment_type")),
        "patient": patient,
        "patient_label": f"{grid.patient_short(patient)} · MRN {patient.mrn}" if patient else "",
        "noshow_flag": no_show_flag(patient.pk) if patient else None,
        "can_overbook": user.can(OVERBOOK) or provider.allows_overbooking,
        "overbook_reason": data.get("overbook_reason", ""),
        "kind_override_reason": data.get("patient_kind_override_reason", ""),
        "ask_kind_override": bool(data.get("patient_kind_override_reason", "")),
        "errors": errors or {},
        "options": [],
        "repeat": data.get("repeat", "") == "weekly",
        "interval_weeks": data.get("interval_weeks", "1"),
        "repeat_end": "until" if data.get("repeat_end") == "until" else "count",
        "count": data.get("count", ""),
        "until": data.get("until", ""),
        "max_count": series.MAX_COUNT,
        "max_interval": series.MAX_INTERVAL_WEEKS,
        "linked": data.get("linked", "") in LINK_SIDES,
        "linked_side": data.get("linked", "") or "before",
        "linked_type_id": _int(data.get("linked_type")),
        "linked_provider_id": _int(data.get("linked_provider")),
        "linked_minutes": data.get("linked_minutes", "15"),
        "linked_providers": Provider.objects.restrict(user, VIEW)
        .filter(locations=location, is_active=True)
        .order_by("last_name", "first_name", "pk"),
    }


LINK_SIDES = ("before", "after")
MAX_LINK_MINUTES = 8 * 60
MSG_REPEAT_AND_LINK = "Book a repeat or a linked appointment, not both at once."
MSG_INTERVAL_NUMBER = "Give the number of weeks between visits."
MSG_COUNT_NUMBER = "Give how many visits in all."
MSG_UNTIL_DATE = "Give the date of the last visit."
MSG_LINK_MINUTES = f"Give the minutes between the two visits (0 to {MAX_LINK_MINUTES})."
MSG_LINK_TYPE = "Choose the linked appointment's type."
MSG_LINK_PROVIDER = "Choose who sees the patient for the linked appointment."


def _series_plan(context: dict[str, Any], data: Any) -> tuple[int, int] | dict[str, list[str]]:
    """(interval in weeks, count) from the Repeat fields, or the field errors."""
    interval = _int(data.get("interval_weeks"))
    if interval is None:
        return {"interval_weeks": [MSG_INTERVAL_NUMBER]}
    if context["repeat_end"] == "until":
        try:
            until = dt.date.fromisoformat(str(data.get("until", "")))
        except ValueError:
            return {"until": [MSG_UNTIL_DATE]}
        try:
            until_count = series.series_count_until(
                first_start=context["start"],
                until=until,
                interval_weeks=interval,
                tz=context["location"].tzinfo,
            )
        except ValidationFailed as exc:
            return dict(exc.fields)
        return interval, until_count
    count = _int(data.get("count"))
    if count is None:
        return {"count": [MSG_COUNT_NUMBER]}
    return interval, count


def _series_rows(items: list[Any], tz: Any, *, verdicts: bool = False) -> list[dict[str, Any]]:
    """Rows for the preview / result table: local time and, for a conflict, its reason."""
    rows = []
    for item in items:
        conflict = item.conflict if verdicts else item
        rows.append(
            {
                "local": item.starts_at.astimezone(tz),
                "free": verdicts and conflict is None,
                "reason": conflict.message if conflict is not None else "",
            }
        )
    return rows


def _book_series(
    request: HttpRequest, context: dict[str, Any], appointment_type: AppointmentType
) -> HttpResponse:
    """Repeat: first the preview (every date with its verdict), then, when confirmed, the booking."""
    plan = _series_plan(context, request.POST)
    if isinstance(plan, dict):
        context["errors"] = plan
        return render(request, "scheduling/_book.html", context, status=422)
    interval, count = plan
    if request.POST.get("confirm") == "cancel":
        return render(request, "scheduling/_book.html", context)
    args: dict[str, Any] = {
        "actor": _user(request),
        "patient": context["patient"],
        "provider": context["provider"],
        "location": context["location"],
        "appointment_type": appointment_type,
        "first_start": context["start"],
        "interval_weeks": interval,
        "count": count,
    }
    tz = context["location"].tzinfo
    try:
        if request.POST.get("confirm") != "series":
            verdicts = series.series_preview(**args)
            context["preview"] = _series_rows(verdicts, tz, verdicts=True)
            context["preview_free"] = sum(1 for v in verdicts if v.is_free)
            context["preview_conflicts"] = len(verdicts) - context["preview_free"]
            context["repeat_count"] = count
            return render(request, "scheduling/_book.html", context)
        result = series.series_book(**args)
    except DomainError as exc:
        context["errors"] = _errors_of(exc)
        return render(request, "scheduling/_book.html", context, status=422)
    conflicts = _series_rows(result.conflicts, tz)
    if result.series is None:
        context["errors"] = {"general": ["No date of the series could be booked; nothing was."]}
        context["series_conflicts"] = conflicts
        return render(request, "scheduling/_book.html", context, status=409)
    response = render(
        request,
        "scheduling/_series_done.html",
        {
            "booked": [a.starts_at.astimezone(tz) for a in result.booked],
            "conflicts": conflicts,
            "conflicts_title": "Not booked",
            "mrn": context["patient"].mrn,
        },
    )
    response["HX-Trigger"] = "schedule-changed"
    return response


def _book_linked(
    request: HttpRequest, context: dict[str, Any], appointment_type: AppointmentType
) -> HttpResponse:
    """The visit and its linked appointment (e.g. a lab draw before it) together or not at all."""
    data = request.POST
    user = _user(request)
    errors: dict[str, list[str]] = {}
    linked_type = (
        appointment_type_list(user=user).filter(pk=context["linked_type_id"]).first()
        if context["linked_type_id"] is not None
        else None
    )
    if linked_type is None:
        errors["linked_type"] = [MSG_LINK_TYPE]
    linked_provider = (
        context["linked_providers"].filter(pk=context["linked_provider_id"]).first()
        if context["linked_provider_id"] is not None
        else None
    )
    if linked_provider is None:
        errors["linked_provider"] = [MSG_LINK_PROVIDER]
    minutes = _int(data.get("linked_minutes"))
    if minutes is None or not 0 <= minutes <= MAX_LINK_MINUTES:
        errors["linked_minutes"] = [MSG_LINK_MINUTES]
    if errors:
        context["errors"] = errors
        return render(request, "scheduling/_book.html", context, status=422)
    assert linked_type is not None and linked_provider is not None and minutes is not None
    start: dt.datetime = context["start"]
    # "Before": the linked visit ends ``minutes`` before the visit starts (a 15-minute lab draw
    # with 0 minutes ends as the visit begins); "after": it starts ``minutes`` after the visit ends.
    if context["linked_side"] == "before":
        linked_start = start - dt.timedelta(minutes=minutes + linked_type.duration_minutes)
        order = ("linked", "visit")
    else:
        linked_start = start + dt.timedelta(minutes=minutes + appointment_type.duration_minutes)
        order = ("visit", "linked")
    parts = {
        "visit": (context["provider"], context["location"], appointment_type, start),
        "linked": (linked_provider, context["location"], linked_type, linked_start),
    }
    names = {"visit": "The visit", "linked": f"The linked {linked_type.name}"}
    try:
        booked = linked.linked_book(
            actor=user, patient=context["patient"], items=[parts[name] for name in order]
        )
    except linked.LinkedItemFailed as exc:
        part = order[exc.item - 1]
        context["errors"] = {"general": [f"{names[part]}: {exc.cause_message} Nothing was booked."]}
        return render(request, "scheduling/_book.html", context, status=409)
    except DomainError as exc:
        context["errors"] = _errors_of(exc)
        return render(request, "scheduling/_book.html", context, status=422)
    tz = context["location"].tzinfo
    times = " and ".join(
        f"{a.appointment_type.name} {a.starts_at.astimezone(tz):%H:%M}" for a in booked
    )
    response = render(
        request,
        "scheduling/_done.html",
        {
            "message": f"Booked together on {start.astimezone(tz):%a %d %b}: {times} "
            f"for MRN {context['patient'].mrn}."
        },
    )
    response["HX-Trigger"] = "schedule-changed"
    return response


@requires(BOOK)
@require_http_methods(["GET", "POST"])
def book(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return render(request, "scheduling/_book.html", _book_context(request, request.GET))
    data = request.POST
    context = _book_context(request, data)
    errors: dict[str, list[str]] = {}
    appointment_type = None
    if context["type_id"] is not None:
        appointment_type = (
            appointment_type_list(user=_user(request)).filter(pk=context["type_id"]).first()
        )
    if appointment_type is None:
        errors["appointment_type"] = ["Choose an appointment type."]
    if context["patient"] is None:
        errors["patient"] = ["Search for and pick a patient."]
    if context["start"] is None:
        errors["start"] = ["Give a start date and time."]
    if context["repeat"] and context["linked"]:
        errors["general"] = [MSG_REPEAT_AND_LINK]
    if errors:
        context["errors"] = errors
        return render(request, "scheduling/_book.html", context, status=422)
    assert appointment_type is not None
    if context["repeat"]:
        return _book_series(request, context, appointment_type)
    if context["linked"]:
        return _book_linked(request, context, appointment_type)
    try:
        appointment = services.appointment_book(
            actor=_user(request),
            patient=context["patient"],
            provider=context["provider"],
            location=context["location"],
            appointment_type=appointment_type,
            starts_at=context["start"],
            overbook_reason=data.get("overbook_reason", "") if context["can_overbook"] else "",
            patient_kind_override_reason=context["kind_override_reason"],
        )
    except (SlotTaken, ValidationFailed, DomainError) as exc:
        context["errors"] = _errors_of(exc)
        # A new-patient type for a patient seen within 3 years (or the reverse) may be booked
        # anyway with a reason, which goes into the appointment's history.
        if exc.code in PATIENT_KIND_CODES:
            context["ask_kind_override"] = True
        if isinstance(exc, SlotTaken) or "starts_at" in getattr(exc, "fields", {}):
            context["options"] = _options(
                request,
                type_id=appointment_type.pk,
                provider=context["provider"],
                location=context["location"],
                after=context["start"],
            )
            context["slot_taken"] = isinstance(exc, SlotTaken)
        return render(
            request,
            "scheduling/_book.html",
            context,
            status=409 if isinstance(exc, SlotTaken) else 422,
        )
    response = render(
        request,
        "scheduling/_done.html",
        {
            "message": f"Booked {appointment.starts_at.astimezone(context['location'].tzinfo):%a %d %b %H:%M} "
            f"for MRN {context['patient'].mrn}."
        },
    )
    response["HX-Trigger"] = "schedule-changed"
    return response


PATIENT_KIND_CODES = frozenset({"patient_not_new", "patient_not_established"})


def _errors_of(exc: DomainError) -> dict[str, list[str]]:
    fields = dict(getattr(exc, "fields", {}) or {})
    if "starts_at" in fields:
        fields["start"] = fields.pop("starts_at")
    if not fields:
        fields["general"] = [exc.message]
    return fields


@requires(BOOK)
@require_POST
def patient_pick(request: HttpRequest) -> HttpResponse:
    """Search results for the booking panel (POST keeps the typed text out of URLs and logs)."""
    query = request.POST.get("q", "").strip()
    hits = patient_search(user=_user(request), query=query, limit=10) if query else []
    flags = no_show_flags([h.patient.pk for h in hits]) if hits else {}
    rows = [
        {
            "pk": h.patient.pk,
            "label": f"{grid.patient_short(h.patient)} · MRN {h.patient.mrn}",
            "dob": h.patient.date_of_birth,
            "noshow_flag": flags[h.patient.pk],
        }
        for h in hits
    ]
    return render(request, "scheduling/_patient_pick.html", {"rows": rows, "query": query})


# --- appointment panel -----------------------------------------------------------------------------


def _appointment(request: HttpRequest, pk: int, action: str) -> Appointment:
    try:
        return appointment_get(user=_user(request), appointment_id=pk, action=action)
    except NotFound:
        raise Http404 from None


def _appointment_context(request: HttpRequest, appointment: Appointment) -> dict[str, Any]:
    tz = appointment.location.tzinfo
    local = appointment.starts_at.astimezone(tz)
    can_book = _user(request).can(BOOK)
    is_open = appointment.status in OPEN_STATUSES
    return {
        "a": appointment,
        "local_start": local,
        "local_end": appointment.ends_at.astimezone(tz),
        "patient_label": f"{grid.patient_short(appointment.patient)} · MRN {appointment.patient.mrn}",
        "can_change": can_book and is_open,
        "can_no_show": can_book and is_open and appointment.starts_at <= timezone.now(),
        "start_local": local.strftime("%Y-%m-%dT%H:%M"),
        "reasons": CancellationReason.choices,
        "cancelled_by_choices": CancelledBy.choices,
        "options": _options(
            request,
            type_id=appointment.appointment_type_id,
            provider=appointment.provider,
            location=appointment.location,
            after=max(appointment.starts_at - dt.timedelta(days=1), timezone.now()),
        )
        if can_book and is_open
        else [],
        "errors": {},
        "show_estimate": appointment.status in ACTIVE_STATUSES and _user(request).can(ESTIMATE),
        **_series_context(appointment),
        **_linked_context(appointment),
    }


SERIES_SCOPES = (
    ("this", "This one"),
    ("following", "This and following"),
    ("all", "All (every open one from today)"),
)
LINK_SCOPES = (("one", "This appointment only"), ("group", "This and its linked appointments"))
MSG_SERIES_DATE = (
    "To move several occurrences, keep the date and change only the time of day "
    "(each one moves on its own date)."
)


def _series_context(appointment: Appointment) -> dict[str, Any]:
    """ "Occurrence k of n" for an appointment of a series.

    Counted among the series' rows (the dates that were booked): the series does not store its
    first date, so dates that could not be booked have no place to be counted from; the panel also
    says how many dates the series asked for, so the gap is visible.
    """
    if appointment.series_id is None:
        return {"series_position": None}
    rows = list(
        Appointment.objects.filter(series_id=appointment.series_id)
        .order_by("starts_at", "pk")
        .values_list("pk", flat=True)
    )
    found = AppointmentSeries.objects.only("count", "interval_weeks").get(pk=appointment.series_id)
    return {
        "series_position": rows.index(appointment.pk) + 1,
        "series_total": len(rows),
        "series_count": found.count,
        "series_interval": found.interval_weeks,
        "series_scopes": SERIES_SCOPES,
    }


def _linked_context(appointment: Appointment) -> dict[str, Any]:
    if appointment.link_group is None:
        return {"partners": []}
    tz = appointment.location.tzinfo
    partners = [
        {
            "pk": a.pk,
            "type": a.appointment_type.name,
            "local": a.starts_at.astimezone(tz),
            "provider": f"{a.provider.last_name}, {a.provider.first_name[:1]}.",
            "status": a.get_status_display(),
        }
        for a in Appointment.objects.filter(link_group=appointment.link_group)
        .exclude(pk=appointment.pk)
        .select_related("appointment_type", "provider")
        .order_by("starts_at", "pk")
    ]
    return {"partners": partners, "link_scopes": LINK_SCOPES}


@requires(VIEW)
@require_GET
def appointment_panel(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = _appointment(request, pk, VIEW)
    audit_record(
        actor=_user(request),
        action=AuditAction.READ,
        category=AuditCategory.SCHEDULE,
        patient_id=appointment.patient_id,
        object_type="appointment",
        object_id=appointment.pk,
        detail={"view": "appointment_panel"},
    )
    return render(
        request, "scheduling/_appointment.html", _appointment_context(request, appointment)
    )


def _changed(request: HttpRequest, message: str) -> HttpResponse:
    response = render(request, "scheduling/_done.html", {"message": message})
    response["HX-Trigger"] = "schedule-changed"
    return response


def _failed(request: HttpRequest, appointment: Appointment, exc: DomainError) -> HttpResponse:
    appointment.refresh_from_db()
    context = _appointment_context(request, appointment)
    context["errors"] = _errors_of(exc)
    status = 409 if isinstance(exc, SlotTaken) else 422
    if isinstance(exc, PermissionDenied):
        status = 403
    return render(request, "scheduling/_appointment.html", context, status=status)


@requires(BOOK)
@require_POST
def reschedule(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = _appointment(request, pk, BOOK)
    start = _parse_start(
        request.POST.get("pick") or request.POST.get("start"), appointment.location
    )
    if start is None:
        return _failed(
            request, appointment, ValidationFailed("Give a start date and time.", field="start")
        )
    # The day view's drag / keyboard move may also change the provider (another column).
    provider = None
    raw_provider = request.POST.get("provider", "")
    if raw_provider and _int(raw_provider) != appointment.provider_id:
        provider = (
            Provider.objects.restrict(_user(request), VIEW)
            .filter(pk=_int(raw_provider), is_active=True)
            .first()
        )
        if provider is None:
            return _failed(request, appointment, ValidationFailed(MSG_NO_SUCH_PROVIDER))
    scope = request.POST.get("scope", "this")
    if appointment.series_id is not None and scope != "this":
        return _reschedule_series(request, appointment, start, scope)
    try:
        services.appointment_reschedule(
            actor=_user(request), appointment=appointment, starts_at=start, provider=provider
        )
    except DomainError as exc:
        return _failed(request, appointment, exc)
    local = appointment.starts_at.astimezone(appointment.location.tzinfo)
    with_whom = (
        f" with {appointment.provider.last_name}, {appointment.provider.first_name[:1]}."
        if provider
        else ""
    )
    return _changed(request, f"Moved to {local:%a %d %b %H:%M}{with_whom}.")


def _reschedule_series(
    request: HttpRequest, appointment: Appointment, start: dt.datetime, scope: Any
) -> HttpResponse:
    """Shift this and following / all occurrences to a new time of day, all or none."""
    tz = appointment.location.tzinfo
    local = start.astimezone(tz)
    if local.date() != appointment.starts_at.astimezone(tz).date():
        return _failed(request, appointment, ValidationFailed(MSG_SERIES_DATE, field="start"))
    try:
        result = series.series_reschedule(
            actor=_user(request), appointment=appointment, scope=scope, new_start_time=local.time()
        )
    except DomainError as exc:
        return _failed(request, appointment, exc)
    if result.conflicts:
        appointment.refresh_from_db()
        context = _appointment_context(request, appointment)
        context["errors"] = {
            "general": [
                f"{len(result.conflicts)} occurrence(s) cannot move to {local:%H:%M}; "
                "nothing was moved."
            ]
        }
        context["series_conflicts"] = _series_rows(result.conflicts, tz)
        return render(request, "scheduling/_appointment.html", context, status=409)
    response = render(
        request,
        "scheduling/_series_done.html",
        {"moved": [a.starts_at.astimezone(tz) for a in result.booked], "conflicts": []},
    )
    response["HX-Trigger"] = "schedule-changed"
    return response


def _waitlist_installed() -> bool:
    return django_apps.is_installed("frontdesk.waitlist")


def _waitlist_slot_opened(appointment: Appointment) -> None:
    """Offer the freed time to the waitlist when that app is installed (guarded: no hard dependency)."""
    if not _waitlist_installed():
        return
    try:
        from frontdesk.waitlist.services import (  # type: ignore[import-not-found,unused-ignore]
            waitlist_slot_opened,
        )
    except ImportError:
        return
    waitlist_slot_opened(
        provider_id=appointment.provider_id,
        location_id=appointment.location_id,
        starts_at=appointment.starts_at,
        ends_at=appointment.ends_at,
        appointment_type_id=appointment.appointment_type_id,
    )


@requires(BOOK)
@require_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = _appointment(request, pk, BOOK)
    scope = request.POST.get("scope", "")
    reason = request.POST.get("reason", "")
    cancelled_by = request.POST.get("cancelled_by", "")
    try:
        if appointment.series_id is not None and scope in ("following", "all"):
            cancelled = series.series_cancel(
                actor=_user(request),
                appointment=appointment,
                scope=scope,  # type: ignore[arg-type]
                reason=reason,
                cancelled_by=cancelled_by,
            )
        elif appointment.link_group is not None and scope == "group":
            cancelled = linked.linked_cancel(
                actor=_user(request),
                appointment=appointment,
                scope="group",
                reason=reason,
                cancelled_by=cancelled_by,
            )
        else:
            cancelled = [
                services.appointment_cancel(
                    actor=_user(request),
                    appointment=appointment,
                    reason=reason,
                    cancelled_by=cancelled_by,
                )
            ]
    except DomainError as exc:
        return _failed(request, appointment, exc)
    for row in cancelled:
        _waitlist_slot_opened(row)
    if len(cancelled) == 1 and cancelled[0].pk == appointment.pk and scope in ("", "this", "one"):
        return _changed(request, "Appointment cancelled.")
    tz = appointment.location.tzinfo
    done = {row.pk for row in cancelled}
    # Nothing hidden: the occurrences the scope left as they were (already cancelled, seen, no-show).
    left: list[dict[str, Any]] = []
    if appointment.series_id is not None and scope in ("following", "all"):
        others = Appointment.objects.filter(series_id=appointment.series_id).exclude(pk__in=done)
        if scope == "following":
            others = others.filter(starts_at__gte=appointment.starts_at)
        left = [
            {
                "local": a.starts_at.astimezone(tz),
                "reason": f"left as it was ({a.get_status_display()})",
            }
            for a in others.order_by("starts_at", "pk")
        ]
    response = render(
        request,
        "scheduling/_series_done.html",
        {
            "cancelled": [
                {"local": a.starts_at.astimezone(tz), "type": a.appointment_type.name}
                for a in sorted(cancelled, key=lambda a: (a.starts_at, a.pk))
            ],
            "conflicts": left,
        },
    )
    response["HX-Trigger"] = "schedule-changed"
    return response


@requires(BOOK)
@require_POST
def no_show(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = _appointment(request, pk, BOOK)
    try:
        services.appointment_mark_no_show(actor=_user(request), appointment=appointment)
    except DomainError as exc:
        return _failed(request, appointment, exc)
    return _changed(request, "Marked as a no-show.")


@requires(VIEW)
@require_GET
def day_pdf(request: HttpRequest) -> HttpResponse:
    """A provider's day at a location as a PDF (patient name, DOB, time, type, status); audited "print"."""
    from frontdesk.scheduling.pdf import day_schedule_pdf

    location = _location(request, request.GET.get("location"))
    day = _day(request.GET.get("date"), location)
    try:
        provider = get_restricted(
            Provider.objects.all(), _user(request), VIEW, pk=_int(request.GET.get("provider"))
        )
    except NotFound:
        raise Http404 from None
    content = day_schedule_pdf(user=_user(request), location=location, provider=provider, day=day)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="schedule-{day.isoformat()}-{provider.pk}.pdf"'
    )
    response["Cache-Control"] = "no-store"
    return response

"""Configuring the schedule: appointment types, provider availability templates, time off.

Writes for the practice manager's schedule-setup screens (action ``schedule.configure``). Each service
checks the permission and the location scope, validates every input before writing (one
``ValidationFailed`` carrying a message per bad field), writes atomically and appends one
``configuration`` audit row naming the fields that changed.

Availability changes never move or cancel booked appointments. Every template or time-off change
returns the active appointments that the availability now leaves stranded (``impact.py``) over the
dates the change touches (at most ``IMPACT_DAYS`` days from its start), for someone to resolve.

History is not rewritten: a template that already applied on an earlier date is never edited in
place or deleted; it is ended the day before the change and a new row carries the new pattern.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from frontdesk.accounts.policy import A
from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.core.errors import FieldErrors, NotFound, PermissionDenied, ValidationFailed
from frontdesk.practice.choices import RoomKind
from frontdesk.practice.models import Equipment, Location, Provider
from frontdesk.scheduling.choices import ExceptionReason, Modality, PatientKind, TemplateKind
from frontdesk.scheduling.impact import StrandedAppointment, template_change_impact
from frontdesk.scheduling.models import AppointmentType, AvailabilityTemplate, ScheduleException

CONFIGURE = A.SCHEDULE_CONFIGURE

# The same bounds as the database's check constraints (scheduling.models), checked first so the
# manager sees a message beside the field instead of an IntegrityError.
MAX_DURATION_MINUTES = 720
MAX_BUFFER_MINUTES = 240
MAX_DAILY_CAP = 200
MAX_INSTRUCTIONS = 2000
MAX_RELEASE_MINUTES = 14 * 24 * 60
MAX_EXCEPTION_DAYS = 366
IMPACT_DAYS = 180
COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
CODE_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")

MSG_REQUIRED = "This field is required."
MSG_WHOLE_MINUTES = "Enter a whole number of minutes."
MSG_DURATION = f"A visit lasts 1 to {MAX_DURATION_MINUTES} minutes."
MSG_BUFFER = f"A buffer is 0 to {MAX_BUFFER_MINUTES} minutes."
MSG_DAILY_CAP = f"Leave empty for no limit, or enter 1 to {MAX_DAILY_CAP}."
MSG_COLOR = "Use a hex colour like #4a90d9."
MSG_CODE = "Use lower-case letters, digits and dashes only, e.g. new-patient."
MSG_CODE_TAKEN = "Another appointment type already uses this code."
MSG_NAME_TAKEN = "Another appointment type already has this name."
MSG_PROVIDERS_AND_SPECIALTIES = (
    "Choose providers or specialties, not both: listed providers would make the specialties "
    "ignored."
)
MSG_SPECIALTY = "Choose specialties from the providers' specialties."
MSG_EQUIPMENT_KIND = "Choose a kind of equipment the practice has."
MSG_ROOM_KIND = "Choose a room kind from the list."
MSG_TELEHEALTH_ROOM = "A telehealth visit cannot need a room or equipment at the location."
MSG_INSTRUCTIONS = f"Keep instructions under {MAX_INSTRUCTIONS} characters."
MSG_PROVIDER_LOCATION = (
    "This provider does not work at this location; add the location to the provider first."
)
MSG_PROVIDER_INACTIVE = "This provider is not active."
MSG_LOCATION_INACTIVE = "This location is not active."
MSG_WEEKDAYS = "Choose at least one weekday."
MSG_END_AFTER_START = "End time must be after start time."
MSG_OFF_GRID = "Use times on the {grid}-minute grid, e.g. 08:00 or 08:{grid:02d}."
MSG_KIND = "Choose open, block or reserved."
MSG_FROM_PAST = "A template cannot start in the past; the earliest is today ({today})."
MSG_UNTIL_BEFORE_FROM = "The last day cannot be before the first day."
MSG_BLOCK_TYPES = "A block keeps every appointment out; leave appointment types empty."
MSG_RESERVED_TYPES = "Choose the appointment types this window is reserved for."
MSG_RELEASE_ONLY_RESERVED = "Only a reserved window is released to other types."
MSG_RELEASE_RANGE = f"Release 0 to {MAX_RELEASE_MINUTES} minutes before the window starts."
MSG_TYPE_INACTIVE = "Inactive appointment types cannot be chosen."
MSG_OVERLAP = (
    "Overlaps the {kind} window {weekday} {start}–{end} (from {since}) that allows the same "
    "appointment types; change that window instead."
)
MSG_LABEL = "Keep the label under 60 characters."
MSG_CHANGE_FROM_PAST = "Changes apply from today ({today}) or later."
MSG_CHANGE_FROM_AFTER_END = (
    "This template ends on {until}; a change after that has nothing to change."
)
MSG_ENDED = "This template ended on {until}; add a new template instead of changing it."
MSG_END_TOO_EARLY = (
    "The last day can be yesterday ({yesterday}) at the earliest: earlier days are history."
)
MSG_END_BEFORE_START = "The last day is before the template's first day; delete it instead."
MSG_DELETE_APPLIED = (
    "This template already applied on earlier days; end it instead so the history stays."
)
MSG_EXCEPTION_WHO = "Choose a provider, a location or both."
MSG_EXCEPTION_END = "The end must be after the start."
MSG_EXCEPTION_PAST = "Time off must end in the future."
MSG_EXCEPTION_LONG = f"Time off lasts at most {MAX_EXCEPTION_DAYS} days; add another for longer."
MSG_REASON = "Choose a reason from the list."
MSG_NOTE = "Keep the note under 200 characters."
MSG_EXCEPTION_STARTED = "This time off has already started; end it now instead of removing it."
MSG_EXCEPTION_OVER = "This time off is over; it stays on record."
MSG_EXCEPTION_NOT_STARTED = "This time off has not started; remove it instead."
MSG_AWARE = "Give a date and time with its timezone."

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# Plain model fields an appointment type's services accept (providers are passed separately).
APPOINTMENT_TYPE_FIELDS = (
    "name",
    "code",
    "duration_minutes",
    "color",
    "patient_kind",
    "modality",
    "specialties",
    "required_room_kind",
    "required_equipment_kind",
    "buffer_before_minutes",
    "buffer_after_minutes",
    "daily_cap_per_provider",
    "instructions",
    "requires_referral",
    "requires_prior_auth",
)
TEMPLATE_FIELDS = (
    "weekday",
    "start_time",
    "end_time",
    "effective_from",
    "effective_until",
    "kind",
    "release_minutes_before",
    "label",
)


@dataclass(frozen=True)
class ImpactRange:
    """Local dates ``first``..``last`` (inclusive) of one provider at one location to re-check."""

    provider_id: int
    location_id: int
    first: dt.date
    last: dt.date


@dataclass
class ScheduleChange:
    """What a template or time-off change did, and the appointments it left outside availability."""

    templates: list[AvailabilityTemplate] = field(default_factory=list)
    exception: ScheduleException | None = None
    changed: list[str] = field(default_factory=list)
    ranges: list[ImpactRange] = field(default_factory=list)
    stranded: list[StrandedAppointment] = field(default_factory=list)


# --- helpers -------------------------------------------------------------------------------------


def _require(actor: Any) -> None:
    if actor is None or not actor.can(CONFIGURE):
        raise PermissionDenied()


def _require_location(actor: Any, location: Location) -> None:
    """Out-of-scope locations look absent (404), like every other scoped object."""
    if not Location.objects.restrict(actor, CONFIGURE).filter(pk=location.pk).exists():
        raise NotFound()


def grid_minutes() -> int:
    return int(getattr(settings, "SCHEDULE_GRID_MINUTES", 5))


def local_today(location: Location) -> dt.date:
    return timezone.now().astimezone(location.tzinfo).date()


def _clean_values(data: Mapping[str, Any], allowed: Sequence[str]) -> dict[str, Any]:
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValueError(f"Unknown fields: {sorted(unknown)}")
    return {key: value.strip() if isinstance(value, str) else value for key, value in data.items()}


def _int_in(
    values: dict[str, Any],
    name: str,
    low: int,
    high: int,
    message: str,
    errors: FieldErrors,
    *,
    optional: bool = False,
) -> None:
    if name not in values:
        return
    value = values[name]
    if value in (None, "") and optional:
        values[name] = None
        return
    if isinstance(value, bool) or not isinstance(value, int):
        errors.add(name, MSG_REQUIRED if value in (None, "") else MSG_WHOLE_MINUTES)
        return
    if not low <= value <= high:
        errors.add(name, message)


def _lock_provider(provider: Provider) -> None:
    """Serialize schedule-configuration writers per provider (PostgreSQL; SQLite is IMMEDIATE)."""
    list(Provider.objects.select_for_update().filter(pk=provider.pk))


def _weekday_name(weekday: int) -> str:
    return WEEKDAY_NAMES[weekday] if 0 <= weekday <= 6 else str(weekday)


def _fmt_date(day: dt.date | None) -> str:
    return day.strftime("%-d %b %Y") if day else ""


# --- appointment types ---------------------------------------------------------------------------


def known_specialties() -> list[str]:
    """Specialties of the practice's providers (what a type can be limited to)."""
    return sorted({s for s in Provider.objects.values_list("specialty", flat=True).distinct() if s})


def known_equipment_kinds() -> list[str]:
    return sorted({k for k in Equipment.objects.values_list("kind", flat=True).distinct() if k})


def _validate_type(
    values: dict[str, Any],
    providers: Sequence[Provider] | None,
    instance: AppointmentType | None,
) -> None:
    errors = FieldErrors()
    for name in ("name", "color", "patient_kind", "modality"):
        if name in values and not values[name]:
            errors.add(name, MSG_REQUIRED)
    if values.get("name"):
        if len(values["name"]) > 100:
            errors.add("name", "Keep the name under 100 characters.")
        same = AppointmentType.objects.filter(name__iexact=values["name"])
        if instance is not None:
            same = same.exclude(pk=instance.pk)
        if same.exists():
            errors.add("name", MSG_NAME_TAKEN)
    if "code" in values:
        if not values["code"]:
            errors.add("code", MSG_REQUIRED)
        elif not CODE_RE.match(values["code"]) or len(values["code"]) > 40:
            errors.add("code", MSG_CODE)
        else:
            same = AppointmentType.objects.filter(code=values["code"])
            if instance is not None:
                same = same.exclude(pk=instance.pk)
            if same.exists():
                errors.add("code", MSG_CODE_TAKEN)
    _int_in(values, "duration_minutes", 1, MAX_DURATION_MINUTES, MSG_DURATION, errors)
    _int_in(values, "buffer_before_minutes", 0, MAX_BUFFER_MINUTES, MSG_BUFFER, errors)
    _int_in(values, "buffer_after_minutes", 0, MAX_BUFFER_MINUTES, MSG_BUFFER, errors)
    _int_in(
        values, "daily_cap_per_provider", 1, MAX_DAILY_CAP, MSG_DAILY_CAP, errors, optional=True
    )
    if values.get("color") and not COLOR_RE.match(values["color"]):
        errors.add("color", MSG_COLOR)
    if values.get("patient_kind") and values["patient_kind"] not in PatientKind.values:
        errors.add("patient_kind", "Choose new, established or any patient.")
    if values.get("modality") and values["modality"] not in Modality.values:
        errors.add("modality", "Choose in person or telehealth.")
    if values.get("required_room_kind") and values["required_room_kind"] not in RoomKind.values:
        errors.add("required_room_kind", MSG_ROOM_KIND)
    if "required_room_kind" in values and values["required_room_kind"] is None:
        values["required_room_kind"] = ""
    if "required_equipment_kind" in values:
        kind = values["required_equipment_kind"] or ""
        values["required_equipment_kind"] = kind
        current = instance.required_equipment_kind if instance is not None else ""
        if kind and kind != current and kind not in known_equipment_kinds():
            errors.add("required_equipment_kind", MSG_EQUIPMENT_KIND)
    if "specialties" in values:
        raw = values["specialties"] or []
        if isinstance(raw, str) or not all(isinstance(s, str) for s in raw):
            errors.add("specialties", MSG_SPECIALTY)
        else:
            chosen = sorted({s.strip() for s in raw if s.strip()})
            allowed = set(known_specialties()) | set(instance.specialties if instance else [])
            if any(s not in allowed for s in chosen):
                errors.add("specialties", MSG_SPECIALTY)
            values["specialties"] = chosen
    modality = values.get("modality", instance.modality if instance else Modality.IN_PERSON)
    room = values.get("required_room_kind", instance.required_room_kind if instance else "")
    gear = values.get(
        "required_equipment_kind", instance.required_equipment_kind if instance else ""
    )
    if modality == Modality.TELEHEALTH and (room or gear):
        errors.add("modality", MSG_TELEHEALTH_ROOM)
    if len(values.get("instructions") or "") > MAX_INSTRUCTIONS:
        errors.add("instructions", MSG_INSTRUCTIONS)
    if "instructions" in values and values["instructions"] is None:
        values["instructions"] = ""
    for flag in ("requires_referral", "requires_prior_auth"):
        if flag in values:
            values[flag] = bool(values[flag])
    specialties = values.get("specialties", instance.specialties if instance else [])
    listed = (
        list(providers)
        if providers is not None
        else (list(instance.providers.all()) if instance else [])
    )
    if listed and specialties:
        errors.add("specialties", MSG_PROVIDERS_AND_SPECIALTIES)
    errors.raise_if_any()


def _unique_code(name: str) -> str:
    base = (slugify(name) or "type")[:34].strip("-") or "type"
    code, n = base, 2
    while AppointmentType.objects.filter(code=code).exists():
        code, n = f"{base}-{n}", n + 1
    return code


def appointment_type_create(
    *, actor: Any, data: Mapping[str, Any], providers: Sequence[Provider] = ()
) -> AppointmentType:
    """Add an appointment type; ``providers`` (optional) are the only ones who may take it."""
    _require(actor)
    values = _clean_values(data, APPOINTMENT_TYPE_FIELDS)
    for name in ("name", "duration_minutes"):
        values.setdefault(name, "")
    if not values.get("code"):
        values["code"] = _unique_code(values.get("name") or "")
    _validate_type(values, providers, None)
    with transaction.atomic():
        kind = AppointmentType(**values)
        kind.save()
        if providers:
            kind.providers.set(providers)
        given = sorted(
            {n for n, v in values.items() if v not in ("", None, [], False)}
            | ({"providers"} if providers else set())
        )
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            category=AuditCategory.CONFIGURATION,
            object_type="scheduling.appointmenttype",
            object_id=kind.pk,
            detail={"fields": given},
        )
    return kind


def appointment_type_update(
    *,
    actor: Any,
    appointment_type: AppointmentType,
    data: Mapping[str, Any],
    providers: Sequence[Provider] | None = None,
) -> list[str]:
    """Change an appointment type; returns the changed field names (empty: nothing written).

    Booked appointments keep their own times: a new duration or buffer applies to new bookings.
    """
    _require(actor)
    values = _clean_values(data, APPOINTMENT_TYPE_FIELDS)
    _validate_type(values, providers, appointment_type)
    with transaction.atomic():
        kind = AppointmentType.objects.select_for_update().get(pk=appointment_type.pk)
        changed = sorted(name for name, value in values.items() if getattr(kind, name) != value)
        providers_changed = providers is not None and {p.pk for p in providers} != set(
            kind.providers.values_list("pk", flat=True)
        )
        if providers_changed:
            changed = sorted([*changed, "providers"])
        if not changed:
            return []
        for name, value in values.items():
            setattr(kind, name, value)
        kind.save()
        if providers_changed:
            kind.providers.set(providers or [])
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            category=AuditCategory.CONFIGURATION,
            object_type="scheduling.appointmenttype",
            object_id=kind.pk,
            detail={"fields": changed},
        )
    appointment_type.refresh_from_db()
    return changed


def appointment_type_set_active(
    *, actor: Any, appointment_type: AppointmentType, is_active: bool
) -> bool:
    """Offer a type again or stop offering it for new bookings; True when something changed.

    Deactivating never touches booked appointments: they keep their type and their time.
    """
    _require(actor)
    with transaction.atomic():
        kind = AppointmentType.objects.select_for_update().get(pk=appointment_type.pk)
        if kind.is_active == is_active:
            return False
        kind.is_active = is_active
        kind.save(update_fields=["is_active", "updated_at"])
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            category=AuditCategory.CONFIGURATION,
            object_type="scheduling.appointmenttype",
            object_id=kind.pk,
            detail={"fields": ["is_active"], "is_active": is_active},
        )
    appointment_type.is_active = is_active
    return True


# --- impact --------------------------------------------------------------------------------------


def impact_range(
    provider_id: int, location: Location, first: dt.date, last: dt.date | None
) -> ImpactRange | None:
    """The dates to re-check, from today at the earliest and at most IMPACT_DAYS long."""
    start = max(first, local_today(location))
    cap = start + dt.timedelta(days=IMPACT_DAYS - 1)
    end = cap if last is None else min(last, cap)
    if end < start:
        return None
    return ImpactRange(provider_id, location.pk, start, end)


def _stranded(ranges: Iterable[ImpactRange | None]) -> tuple[list[ImpactRange], list[Any]]:
    """Appointments not yet started in the ranges that availability no longer allows, in time order."""
    now = timezone.now()
    kept = [r for r in ranges if r is not None]
    found: dict[int, StrandedAppointment] = {}
    for item in kept:
        for stranded in template_change_impact(
            provider_id=item.provider_id,
            location_id=item.location_id,
            date_from=item.first,
            date_to=item.last,
        ):
            if stranded.appointment.starts_at >= now:
                found.setdefault(stranded.appointment.pk, stranded)
    ordered = sorted(found.values(), key=lambda s: (s.appointment.starts_at, s.appointment.pk))
    return kept, ordered


# --- templates -----------------------------------------------------------------------------------


def _types_key(types: Iterable[AppointmentType]) -> frozenset[int]:
    return frozenset(t.pk for t in types)


def _validate_template(
    *,
    provider: Provider,
    location: Location,
    values: dict[str, Any],
    weekdays: Sequence[int],
    types: Sequence[AppointmentType],
    exclude_pk: int | None,
    earliest_from: dt.date | None,
    errors: FieldErrors,
    previous_types: frozenset[int] = frozenset(),
) -> None:
    """Check one template pattern (for each of ``weekdays``) against the model and its neighbours."""
    today = local_today(location)
    if not provider.is_active:
        errors.add("provider", MSG_PROVIDER_INACTIVE)
    if not location.is_active:
        errors.add("location", MSG_LOCATION_INACTIVE)
    if not provider.locations.filter(pk=location.pk).exists():
        errors.add("location", MSG_PROVIDER_LOCATION)
    if not weekdays or any(
        isinstance(d, bool) or not isinstance(d, int) or not 0 <= d <= 6 for d in weekdays
    ):
        errors.add("weekday", MSG_WEEKDAYS)
    start, end = values.get("start_time"), values.get("end_time")
    grid = grid_minutes()
    for name in ("start_time", "end_time"):
        value = values.get(name)
        if not isinstance(value, dt.time):
            errors.add(name, MSG_REQUIRED)
        elif value.second or value.microsecond or value.minute % grid:
            errors.add(name, MSG_OFF_GRID.format(grid=grid))
    if isinstance(start, dt.time) and isinstance(end, dt.time) and end <= start:
        errors.add("end_time", MSG_END_AFTER_START)
    kind = values.get("kind")
    if kind not in TemplateKind.values:
        errors.add("kind", MSG_KIND)
    first, last = values.get("effective_from"), values.get("effective_until")
    if not isinstance(first, dt.date):
        errors.add("effective_from", MSG_REQUIRED)
    elif earliest_from is not None and first < earliest_from:
        errors.add("effective_from", MSG_FROM_PAST.format(today=_fmt_date(today)))
    if last is not None and isinstance(first, dt.date) and last < first:
        errors.add("effective_until", MSG_UNTIL_BEFORE_FROM)
    release = values.get("release_minutes_before")
    if kind == TemplateKind.BLOCK and types:
        errors.add("appointment_types", MSG_BLOCK_TYPES)
    if kind == TemplateKind.RESERVED and not types:
        errors.add("appointment_types", MSG_RESERVED_TYPES)
    inactive = [t for t in types if not t.is_active and t.pk not in previous_types]
    if inactive:
        errors.add("appointment_types", MSG_TYPE_INACTIVE)
    if release is not None:
        if kind != TemplateKind.RESERVED:
            errors.add("release_minutes_before", MSG_RELEASE_ONLY_RESERVED)
        elif (
            isinstance(release, bool)
            or not isinstance(release, int)
            or not 0 <= release <= MAX_RELEASE_MINUTES
        ):
            errors.add("release_minutes_before", MSG_RELEASE_RANGE)
    if len(values.get("label") or "") > 60:
        errors.add("label", MSG_LABEL)
    if errors.fields:
        return
    # The engine merges overlapping windows, so two overlapping windows of one kind that allow the
    # same types are one window written twice: almost always a typing mistake (and a confusing
    # table). Overlaps of different kinds or type sets are meaningful (a lunch block inside an open
    # day, a "new patients only" window carving time out of a general one) and allowed.
    assert isinstance(first, dt.date)
    assert isinstance(start, dt.time) and isinstance(end, dt.time)
    neighbours = (
        AvailabilityTemplate.objects.filter(
            provider=provider,
            location=location,
            weekday__in=list(weekdays),
            kind=kind,
            start_time__lt=end,
            end_time__gt=start,
        )
        .filter(Q(effective_until__isnull=True) | Q(effective_until__gte=first))
        .prefetch_related("appointment_types")
        .order_by("weekday", "start_time", "pk")
    )
    if last is not None:
        neighbours = neighbours.filter(effective_from__lte=last)
    if exclude_pk is not None:
        neighbours = neighbours.exclude(pk=exclude_pk)
    wanted = _types_key(types)
    for other in neighbours:
        if _types_key(other.appointment_types.all()) == wanted:
            errors.add(
                "start_time",
                MSG_OVERLAP.format(
                    kind=other.kind,
                    weekday=_weekday_name(other.weekday),
                    start=f"{other.start_time:%H:%M}",
                    end=f"{other.end_time:%H:%M}",
                    since=_fmt_date(other.effective_from),
                ),
            )
            return


def _template_values(data: Mapping[str, Any]) -> dict[str, Any]:
    values = _clean_values(data, TEMPLATE_FIELDS)
    if values.get("release_minutes_before") == "":
        values["release_minutes_before"] = None
    if values.get("effective_until") == "":
        values["effective_until"] = None
    values.setdefault("label", "")
    values.setdefault("release_minutes_before", None)
    values.setdefault("effective_until", None)
    values["label"] = values["label"] or ""
    return values


def _audit_template(
    *,
    actor: Any,
    action: AuditAction,
    template: AvailabilityTemplate,
    detail: dict[str, Any],
) -> None:
    audit_record(
        actor=actor,
        action=action,
        category=AuditCategory.CONFIGURATION,
        object_type="scheduling.availabilitytemplate",
        object_id=template.pk,
        detail={"provider_id": template.provider_id, "location_id": template.location_id, **detail},
    )


def template_create(
    *,
    actor: Any,
    provider: Provider,
    location: Location,
    weekdays: Sequence[int],
    data: Mapping[str, Any],
    appointment_types: Sequence[AppointmentType] = (),
) -> ScheduleChange:
    """Add a weekly window (one row per weekday) for a provider at a location, from a date onwards.

    ``data``: start_time, end_time (local wall times in the location's zone, half-open), kind,
    effective_from (today or later), effective_until (inclusive, optional), release_minutes_before
    (reserved windows only), label.
    """
    _require(actor)
    _require_location(actor, location)
    values = _template_values({k: v for k, v in data.items() if k != "weekday"})
    days = sorted(set(weekdays))
    with transaction.atomic():
        _lock_provider(provider)
        errors = FieldErrors()
        _validate_template(
            provider=provider,
            location=location,
            values=values,
            weekdays=days,
            types=appointment_types,
            exclude_pk=None,
            earliest_from=local_today(location),
            errors=errors,
        )
        errors.raise_if_any()
        rows = []
        for weekday in days:
            row = AvailabilityTemplate(
                provider=provider, location=location, weekday=weekday, **values
            )
            row.save()
            if appointment_types:
                row.appointment_types.set(appointment_types)
            rows.append(row)
        changed = sorted(
            {"weekday", *(n for n, v in values.items() if v not in ("", None))}
            | ({"appointment_types"} if appointment_types else set())
        )
        _audit_template(
            actor=actor,
            action=AuditAction.CREATE,
            template=rows[0],
            detail={"fields": changed, "template_ids": [r.pk for r in rows], "weekdays": days},
        )
        ranges, stranded = _stranded(
            [
                impact_range(
                    provider.pk, location, values["effective_from"], values["effective_until"]
                )
            ]
        )
    return ScheduleChange(templates=rows, changed=changed, ranges=ranges, stranded=stranded)


def template_has_applied(template: AvailabilityTemplate, location: Location | None = None) -> bool:
    """True when the template was in force on a day before today (that day is history)."""
    return template.effective_from < local_today(location or template.location)


def _locked_template(template: AvailabilityTemplate) -> AvailabilityTemplate:
    locked: AvailabilityTemplate = (
        AvailabilityTemplate.objects.select_for_update(of=("self",))
        .select_related("provider", "location")
        .get(pk=template.pk)
    )
    return locked


def _earliest_until(a: dt.date | None, b: dt.date | None) -> dt.date | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


def _latest_until(a: dt.date | None, b: dt.date | None) -> dt.date | None:
    return None if a is None or b is None else max(a, b)


def template_update(
    *,
    actor: Any,
    template: AvailabilityTemplate,
    data: Mapping[str, Any],
    appointment_types: Sequence[AppointmentType] | None = None,
    change_from: dt.date | None = None,
) -> ScheduleChange:
    """Change a window. Returns the rows written and the appointments now outside availability.

    A template that has not applied yet (starts today or later) is changed in place. One that
    already applied keeps its history: it is ended the day before ``change_from`` (today or later)
    and a new row with the new pattern starts on ``change_from``. A label-only change is made in
    place (it does not change availability).
    """
    _require(actor)
    _require_location(actor, template.location)
    values = _template_values(data)
    with transaction.atomic():
        _lock_provider(template.provider)
        current = _locked_template(template)
        location = current.location
        today = local_today(location)
        old_types = _types_key(current.appointment_types.all())
        new_types = list(appointment_types) if appointment_types is not None else None
        merged = {name: getattr(current, name) for name in TEMPLATE_FIELDS}
        merged.update(values)
        changed = sorted(n for n in TEMPLATE_FIELDS if merged[n] != getattr(current, n))
        if new_types is not None and _types_key(new_types) != old_types:
            changed = sorted([*changed, "appointment_types"])
        if not changed:
            return ScheduleChange(templates=[current])
        types_for_check = (
            new_types if new_types is not None else list(current.appointment_types.all())
        )
        applied = template_has_applied(current, location)
        errors = FieldErrors()
        if (
            applied
            and current.effective_until is not None
            and current.effective_until < today - dt.timedelta(days=1)
        ):
            errors.add(
                "effective_until", MSG_ENDED.format(until=_fmt_date(current.effective_until))
            )
            errors.raise_if_any()
        split = applied and changed != ["label"]
        if applied and "effective_from" in changed:
            # The first day of a template that applied is history; the change date says when the
            # new pattern starts.
            merged["effective_from"] = current.effective_from
            changed.remove("effective_from")
        if split:
            if change_from is None:
                errors.add("change_from", MSG_REQUIRED)
            elif change_from < today:
                errors.add("change_from", MSG_CHANGE_FROM_PAST.format(today=_fmt_date(today)))
            elif current.effective_until is not None and change_from > current.effective_until:
                errors.add(
                    "change_from",
                    MSG_CHANGE_FROM_AFTER_END.format(until=_fmt_date(current.effective_until)),
                )
            errors.raise_if_any()
            assert change_from is not None
            new_values = {**merged, "effective_from": change_from}
            if "effective_until" not in values:
                new_values["effective_until"] = current.effective_until
            _validate_template(
                provider=current.provider,
                location=location,
                values=new_values,
                weekdays=[new_values["weekday"]],
                types=types_for_check,
                exclude_pk=current.pk,
                earliest_from=today,
                errors=errors,
                previous_types=old_types,
            )
            errors.raise_if_any()
            old_until = current.effective_until
            current.effective_until = change_from - dt.timedelta(days=1)
            current.save(update_fields=["effective_until", "updated_at"])
            successor = AvailabilityTemplate(
                provider=current.provider,
                location=location,
                **new_values,
            )
            successor.save()
            successor.appointment_types.set(types_for_check)
            _audit_template(
                actor=actor,
                action=AuditAction.UPDATE,
                template=current,
                detail={
                    "fields": changed,
                    "ended": current.pk,
                    "replaced_by": successor.pk,
                    "change_from": change_from.isoformat(),
                },
            )
            ranges, stranded = _stranded(
                [
                    impact_range(
                        current.provider_id,
                        location,
                        change_from,
                        _latest_until(old_until, successor.effective_until),
                    )
                ]
            )
            template.refresh_from_db()
            return ScheduleChange(
                templates=[current, successor], changed=changed, ranges=ranges, stranded=stranded
            )
        _validate_template(
            provider=current.provider,
            location=location,
            values=merged,
            weekdays=[merged["weekday"]],
            types=types_for_check,
            exclude_pk=current.pk,
            earliest_from=None if applied else today,
            errors=errors,
            previous_types=old_types,
        )
        errors.raise_if_any()
        old_from, old_until = current.effective_from, current.effective_until
        for name in TEMPLATE_FIELDS:
            setattr(current, name, merged[name])
        current.save()
        if "appointment_types" in changed:
            current.appointment_types.set(types_for_check)
        _audit_template(
            actor=actor, action=AuditAction.UPDATE, template=current, detail={"fields": changed}
        )
        ranges, stranded = _stranded(
            [
                impact_range(
                    current.provider_id,
                    location,
                    min(old_from, current.effective_from),
                    _latest_until(old_until, current.effective_until),
                )
            ]
            if changed != ["label"]
            else []
        )
    template.refresh_from_db()
    return ScheduleChange(templates=[current], changed=changed, ranges=ranges, stranded=stranded)


def template_end(
    *, actor: Any, template: AvailabilityTemplate, last_day: dt.date
) -> ScheduleChange:
    """Stop a window after ``last_day`` (inclusive; yesterday at the earliest, history stays)."""
    _require(actor)
    _require_location(actor, template.location)
    with transaction.atomic():
        _lock_provider(template.provider)
        current = _locked_template(template)
        location = current.location
        today = local_today(location)
        yesterday = today - dt.timedelta(days=1)
        errors = FieldErrors()
        if not isinstance(last_day, dt.date):
            errors.add("last_day", MSG_REQUIRED)
        elif current.effective_until is not None and current.effective_until < yesterday:
            errors.add("last_day", MSG_ENDED.format(until=_fmt_date(current.effective_until)))
        elif last_day < yesterday:
            errors.add("last_day", MSG_END_TOO_EARLY.format(yesterday=_fmt_date(yesterday)))
        elif last_day < current.effective_from:
            errors.add("last_day", MSG_END_BEFORE_START)
        errors.raise_if_any()
        if current.effective_until == last_day:
            return ScheduleChange(templates=[current])
        old_until = current.effective_until
        current.effective_until = last_day
        current.save(update_fields=["effective_until", "updated_at"])
        _audit_template(
            actor=actor,
            action=AuditAction.UPDATE,
            template=current,
            detail={"fields": ["effective_until"], "ended": current.pk},
        )
        first_changed = _earliest_until(old_until, last_day)
        assert first_changed is not None
        ranges, stranded = _stranded(
            [
                impact_range(
                    current.provider_id,
                    location,
                    first_changed + dt.timedelta(days=1),
                    _latest_until(old_until, last_day),
                )
            ]
        )
    template.refresh_from_db()
    return ScheduleChange(
        templates=[current], changed=["effective_until"], ranges=ranges, stranded=stranded
    )


def template_delete(*, actor: Any, template: AvailabilityTemplate) -> ScheduleChange:
    """Delete a window that never applied (it starts today or later); end one that did instead."""
    _require(actor)
    _require_location(actor, template.location)
    with transaction.atomic():
        _lock_provider(template.provider)
        current = _locked_template(template)
        location = current.location
        if template_has_applied(current, location):
            raise ValidationFailed(MSG_DELETE_APPLIED, code="template_applied")
        first, last, provider_id = (
            current.effective_from,
            current.effective_until,
            current.provider_id,
        )
        _audit_template(
            actor=actor,
            action=AuditAction.DELETE,
            template=current,
            detail={"fields": [], "weekday": current.weekday, "kind": current.kind},
        )
        current.delete()
        ranges, stranded = _stranded([impact_range(provider_id, location, first, last)])
    return ScheduleChange(changed=["deleted"], ranges=ranges, stranded=stranded)


# --- schedule exceptions (time off, holidays) ----------------------------------------------------


def _exception_pairs(
    provider: Provider | None, location: Location | None
) -> list[tuple[int, Location]]:
    """(provider, location) pairs an exception takes time from."""
    if provider is not None and location is not None:
        return [(provider.pk, location)]
    if provider is not None:
        return [(provider.pk, loc) for loc in provider.locations.order_by("pk")]
    assert location is not None
    ids = set(location.providers.values_list("pk", flat=True)) | set(
        AvailabilityTemplate.objects.filter(location=location).values_list("provider_id", flat=True)
    )
    return [(pk, location) for pk in sorted(ids)]


def _exception_ranges(
    provider: Provider | None,
    location: Location | None,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
) -> list[ImpactRange | None]:
    result = []
    for provider_id, loc in _exception_pairs(provider, location):
        tz = loc.tzinfo
        last_instant = ends_at - dt.timedelta(microseconds=1)
        result.append(
            impact_range(
                provider_id,
                loc,
                starts_at.astimezone(tz).date(),
                last_instant.astimezone(tz).date(),
            )
        )
    return result


def _exception_scope(actor: Any, provider: Provider | None, location: Location | None) -> None:
    locations = (
        [location]
        if location is not None
        else (list(provider.locations.all()) if provider is not None else [])
    )
    for loc in locations:
        _require_location(actor, loc)


def exception_create(
    *,
    actor: Any,
    provider: Provider | None,
    location: Location | None,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    reason: str,
    note: str = "",
) -> ScheduleChange:
    """Record time off or a closure ``[starts_at, ends_at)``.

    A provider with a location: that provider there. A provider alone: at all their locations. A
    location alone: every provider there (a holiday). Booked appointments inside are listed, not moved.
    """
    _require(actor)
    _exception_scope(actor, provider, location)
    note = (note or "").strip()
    errors = FieldErrors()
    if provider is None and location is None:
        errors.add("provider", MSG_EXCEPTION_WHO)
    if (
        provider is not None
        and location is not None
        and not provider.locations.filter(pk=location.pk).exists()
    ):
        errors.add("location", MSG_PROVIDER_LOCATION)
    aware = True
    for name, value in (("starts_at", starts_at), ("ends_at", ends_at)):
        if not isinstance(value, dt.datetime) or timezone.is_naive(value):
            errors.add(name, MSG_AWARE)
            aware = False
    if aware:
        if ends_at <= starts_at:
            errors.add("ends_at", MSG_EXCEPTION_END)
        elif ends_at <= timezone.now():
            errors.add("ends_at", MSG_EXCEPTION_PAST)
        elif ends_at - starts_at > dt.timedelta(days=MAX_EXCEPTION_DAYS):
            errors.add("ends_at", MSG_EXCEPTION_LONG)
    if reason not in ExceptionReason.values:
        errors.add("reason", MSG_REASON)
    if len(note) > 200:
        errors.add("note", MSG_NOTE)
    errors.raise_if_any()
    with transaction.atomic():
        if provider is not None:
            _lock_provider(provider)
        exception = ScheduleException.objects.create(
            provider=provider,
            location=location,
            starts_at=starts_at,
            ends_at=ends_at,
            reason=reason,
            note=note,
        )
        changed = sorted(
            n
            for n, v in (
                ("provider", provider),
                ("location", location),
                ("starts_at", starts_at),
                ("ends_at", ends_at),
                ("reason", reason),
                ("note", note),
            )
            if v not in (None, "")
        )
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            category=AuditCategory.CONFIGURATION,
            object_type="scheduling.scheduleexception",
            object_id=exception.pk,
            detail={
                "fields": changed,
                "provider_id": exception.provider_id,
                "location_id": exception.location_id,
                "reason": reason,
            },
        )
        ranges, stranded = _stranded(_exception_ranges(provider, location, starts_at, ends_at))
    return ScheduleChange(exception=exception, changed=changed, ranges=ranges, stranded=stranded)


def _locked_exception(exception: ScheduleException) -> ScheduleException:
    locked: ScheduleException = (
        # of=("self",): PostgreSQL cannot lock the nullable side of the outer joins.
        ScheduleException.objects.select_for_update(of=("self",))
        .select_related("provider", "location")
        .get(pk=exception.pk)
    )
    return locked


def exception_delete(*, actor: Any, exception: ScheduleException) -> ScheduleChange:
    """Remove time off that has not started (started or past time off stays on record)."""
    _require(actor)
    _exception_scope(actor, exception.provider, exception.location)
    with transaction.atomic():
        current = _locked_exception(exception)
        now = timezone.now()
        if current.ends_at <= now:
            raise ValidationFailed(MSG_EXCEPTION_OVER, code="exception_over")
        if current.starts_at <= now:
            raise ValidationFailed(MSG_EXCEPTION_STARTED, code="exception_started")
        provider, location = current.provider, current.location
        starts_at, ends_at = current.starts_at, current.ends_at
        audit_record(
            actor=actor,
            action=AuditAction.DELETE,
            category=AuditCategory.CONFIGURATION,
            object_type="scheduling.scheduleexception",
            object_id=current.pk,
            detail={
                "fields": [],
                "provider_id": current.provider_id,
                "location_id": current.location_id,
                "reason": current.reason,
            },
        )
        current.delete()
        ranges, stranded = _stranded(_exception_ranges(provider, location, starts_at, ends_at))
    return ScheduleChange(changed=["deleted"], ranges=ranges, stranded=stranded)


def exception_end_now(*, actor: Any, exception: ScheduleException) -> ScheduleChange:
    """End time off that is under way now (the provider is back early); the part taken stays."""
    _require(actor)
    _exception_scope(actor, exception.provider, exception.location)
    with transaction.atomic():
        current = _locked_exception(exception)
        now = timezone.now()
        if current.ends_at <= now:
            raise ValidationFailed(MSG_EXCEPTION_OVER, code="exception_over")
        if current.starts_at > now:
            raise ValidationFailed(MSG_EXCEPTION_NOT_STARTED, code="exception_not_started")
        old_end = current.ends_at
        current.ends_at = now
        current.save(update_fields=["ends_at", "updated_at"])
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            category=AuditCategory.CONFIGURATION,
            object_type="scheduling.scheduleexception",
            object_id=current.pk,
            detail={
                "fields": ["ends_at"],
                "provider_id": current.provider_id,
                "location_id": current.location_id,
            },
        )
        ranges, stranded = _stranded(
            _exception_ranges(current.provider, current.location, now, old_end)
        )
    exception.refresh_from_db()
    return ScheduleChange(exception=current, changed=["ends_at"], ranges=ranges, stranded=stranded)

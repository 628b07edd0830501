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

The input checks, bounds and messages live in ``setup_rules`` (the forms use the same bounds). The
stranded list is computed inside the write's transaction, so it sees exactly the state just written
(it reads in a constant number of queries: ``impact.template_change_impact``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from frontdesk.accounts.policy import A
from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.core.errors import FieldErrors, NotFound, PermissionDenied, ValidationFailed
from frontdesk.practice.models import Location, Provider
from frontdesk.scheduling.impact import StrandedAppointment, template_change_impact
from frontdesk.scheduling.models import AppointmentType, AvailabilityTemplate, ScheduleException
from frontdesk.scheduling.setup_rules import (
    APPOINTMENT_TYPE_FIELDS,
    IMPACT_DAYS,
    MSG_CHANGE_FROM_AFTER_END,
    MSG_CHANGE_FROM_PAST,
    MSG_DELETE_APPLIED,
    MSG_END_BEFORE_START,
    MSG_END_TOO_EARLY,
    MSG_ENDED,
    MSG_EXCEPTION_NOT_STARTED,
    MSG_EXCEPTION_OVER,
    MSG_EXCEPTION_STARTED,
    MSG_REQUIRED,
    TEMPLATE_FIELDS,
    clean_values,
    fmt_date,
    local_today,
    template_values,
    types_key,
    validate_exception,
    validate_template,
    validate_type,
)

CONFIGURE = A.SCHEDULE_CONFIGURE


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


def _lock_provider(provider: Provider) -> None:
    """Serialize schedule-configuration writers per provider (PostgreSQL; SQLite is IMMEDIATE)."""
    list(Provider.objects.select_for_update().filter(pk=provider.pk))


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
    values = clean_values(data, APPOINTMENT_TYPE_FIELDS)
    for name in ("name", "duration_minutes"):
        values.setdefault(name, "")
    if not values.get("code"):
        values["code"] = _unique_code(values.get("name") or "")
    validate_type(values, providers, None)
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
    values = clean_values(data, APPOINTMENT_TYPE_FIELDS)
    validate_type(values, providers, appointment_type)
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
    values = template_values({k: v for k, v in data.items() if k != "weekday"}, defaults=True)
    days = sorted(set(weekdays))
    with transaction.atomic():
        _lock_provider(provider)
        errors = FieldErrors()
        validate_template(
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
    values = template_values(data, defaults=False)
    with transaction.atomic():
        _lock_provider(template.provider)
        current = _locked_template(template)
        location = current.location
        today = local_today(location)
        old_types = types_key(current.appointment_types.all())
        new_types = list(appointment_types) if appointment_types is not None else None
        merged = {name: getattr(current, name) for name in TEMPLATE_FIELDS}
        merged.update(values)
        changed = sorted(n for n in TEMPLATE_FIELDS if merged[n] != getattr(current, n))
        if new_types is not None and types_key(new_types) != old_types:
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
            errors.add("effective_until", MSG_ENDED.format(until=fmt_date(current.effective_until)))
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
                errors.add("change_from", MSG_CHANGE_FROM_PAST.format(today=fmt_date(today)))
            elif current.effective_until is not None and change_from > current.effective_until:
                errors.add(
                    "change_from",
                    MSG_CHANGE_FROM_AFTER_END.format(until=fmt_date(current.effective_until)),
                )
            errors.raise_if_any()
            assert change_from is not None
            new_values = {**merged, "effective_from": change_from}
            if "effective_until" not in values:
                new_values["effective_until"] = current.effective_until
            validate_template(
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
        validate_template(
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
            errors.add("last_day", MSG_ENDED.format(until=fmt_date(current.effective_until)))
        elif last_day < yesterday:
            errors.add("last_day", MSG_END_TOO_EARLY.format(yesterday=fmt_date(yesterday)))
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
    validate_exception(
        provider=provider,
        location=location,
        starts_at=starts_at,
        ends_at=ends_at,
        reason=reason,
        note=note,
    )
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

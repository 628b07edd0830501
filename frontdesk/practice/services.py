"""Writing practice configuration: organization, locations and hours, rooms, equipment, providers,
payers and plans.

Each service checks the actor's permission, validates every input before touching the database
(raising ``ValidationFailed`` with one message per bad field), writes atomically and appends one
``configuration`` audit row naming the fields that changed. Configuration is not PHI, but the field
*values* still stay out of the audit detail: names are enough to review who changed what.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import time
from itertools import pairwise
from typing import Any

import phonenumbers
from django.db import IntegrityError, models, transaction

from frontdesk.accounts.models import User
from frontdesk.accounts.policy import A
from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.core.errors import FieldErrors, PermissionDenied, ValidationFailed
from frontdesk.practice.choices import PayerType, PlanType, RoomKind, Weekday
from frontdesk.practice.models import (
    Equipment,
    Location,
    OpeningHours,
    Organization,
    Payer,
    Plan,
    Provider,
    Room,
)
from frontdesk.standards import npi as npi_standard

TAXONOMY_RE = re.compile(r"^[0-9]{3}[0-9A-Z]{6}X$")
STATE_RE = re.compile(r"^[A-Z]{2}$")
ZIP_RE = re.compile(r"^[0-9]{5}(-[0-9]{4})?$")
TAX_ID_RE = re.compile(r"^[0-9]{2}-?[0-9]{7}$")
CODE_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
PAYER_ID_RE = re.compile(r"^[A-Z0-9]{2,20}$")
PLACE_OF_SERVICE_RE = re.compile(r"^[0-9]{2}$")

MSG_REQUIRED = "This field is required."
MSG_TIMEZONE = "Choose a timezone from the list, e.g. America/New_York."
MSG_PHONE = "Enter a US phone number with area code, e.g. (202) 555-0123."
MSG_STATE = "Use the two-letter USPS state code, e.g. IL."
MSG_ZIP = "Enter a ZIP code as 12345 or 12345-6789."
MSG_TAXONOMY = "A taxonomy code is 10 characters: 9 letters or digits then X, like 207Q00000X."
MSG_CLOSE_AFTER_OPEN = "Closing time must be after opening time."
MSG_HOURS_OVERLAP = "Opening intervals on the same day must not overlap."

# Field names the services accept per entity (plain model fields; relations handled explicitly).
ADDRESS_FIELDS = ("address_line1", "address_line2", "city", "state", "postal_code")
ORGANIZATION_FIELDS = ("name", "npi", "tax_id", "phone", *ADDRESS_FIELDS)
LOCATION_FIELDS = (
    "name",
    "code",
    "timezone",
    "phone",
    "fax",
    "npi",
    "place_of_service",
    "is_active",
    *ADDRESS_FIELDS,
)
ROOM_FIELDS = ("name", "kind", "is_active")
EQUIPMENT_FIELDS = ("name", "kind", "is_active")
PROVIDER_FIELDS = (
    "first_name",
    "middle_name",
    "last_name",
    "suffix",
    "credentials",
    "npi",
    "taxonomy_code",
    "specialty",
    "allows_overbooking",
    "is_active",
)
PAYER_FIELDS = ("name", "payer_id", "payer_type", "phone", "is_active")
PLAN_FIELDS = ("name", "plan_type", "requires_referral", "is_active")


@dataclass(frozen=True)
class HoursInterval:
    """One opening interval on a weekday (0 = Monday)."""

    weekday: int
    opens_at: time
    closes_at: time


# --- shared helpers ---------------------------------------------------------------------------


def _require(actor: User) -> None:
    if not actor.can(A.PRACTICE_MANAGE):
        raise PermissionDenied()


def _clean_values(data: Mapping[str, Any], allowed: Sequence[str]) -> dict[str, Any]:
    """Keep only known fields; strip text (surrounding spaces are never meaningful here)."""
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValueError(f"Unknown fields: {sorted(unknown)}")
    return {key: value.strip() if isinstance(value, str) else value for key, value in data.items()}


def _phone(values: dict[str, Any], field: str, errors: FieldErrors) -> None:
    """Store phones in E.164; an empty value stays empty (phones are optional)."""
    raw = values.get(field)
    if not raw:
        return
    try:
        parsed = phonenumbers.parse(raw, "US")
    except phonenumbers.NumberParseException:
        errors.add(field, MSG_PHONE)
        return
    if not phonenumbers.is_possible_number(parsed):
        errors.add(field, MSG_PHONE)
        return
    values[field] = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _address(values: dict[str, Any], errors: FieldErrors) -> None:
    if values.get("state"):
        values["state"] = values["state"].upper()
        if not STATE_RE.match(values["state"]):
            errors.add("state", MSG_STATE)
    if values.get("postal_code") and not ZIP_RE.match(values["postal_code"]):
        errors.add("postal_code", MSG_ZIP)


def _npi(values: dict[str, Any], field: str, errors: FieldErrors, *, required: bool) -> None:
    raw = values.get(field, "")
    if not raw:
        if required:
            errors.add(field, MSG_REQUIRED)
        return
    try:
        values[field] = npi_standard.validate(raw)
    except npi_standard.InvalidNPI as exc:
        errors.add(field, str(exc))


def _required(values: dict[str, Any], fields: Iterable[str], errors: FieldErrors) -> None:
    for field in fields:
        if field in values and not values[field]:
            errors.add(field, MSG_REQUIRED)


def _choice(
    values: dict[str, Any], field: str, allowed: Iterable[str], errors: FieldErrors, message: str
) -> None:
    if field in values and values[field] not in set(allowed):
        errors.add(field, message)


def _unique(
    errors: FieldErrors,
    field: str,
    queryset: models.QuerySet[Any],
    instance: models.Model | None,
    message: str,
) -> None:
    if instance is not None and instance.pk is not None:
        queryset = queryset.exclude(pk=instance.pk)
    if queryset.exists():
        errors.add(field, message)


def _changed_fields(instance: models.Model, values: Mapping[str, Any]) -> list[str]:
    return sorted(name for name, value in values.items() if getattr(instance, name) != value)


def _save(
    *,
    actor: User,
    instance: models.Model,
    values: Mapping[str, Any],
    creating: bool,
    extra_changed: Iterable[str] = (),
    after_save: Callable[[], None] | None = None,
    unique_field: str | None = None,
    unique_message: str = "",
) -> list[str]:
    """Apply ``values``, save, run ``after_save`` and audit, all in one transaction.

    Returns the changed field names (empty: nothing was written and nothing audited).
    """
    if creating:  # every field given a value, even one equal to the model default
        given = {name for name, value in values.items() if value not in ("", None)}
    else:
        given = set(_changed_fields(instance, values))
    changed = sorted(given | set(extra_changed))
    if not creating and not changed:
        return []
    for name, value in values.items():
        setattr(instance, name, value)
    try:
        with transaction.atomic():
            instance.save()
            if after_save is not None:
                after_save()
            audit_record(
                actor=actor,
                action=AuditAction.CREATE if creating else AuditAction.UPDATE,
                category=AuditCategory.CONFIGURATION,
                object_type=instance._meta.label_lower,
                object_id=instance.pk,
                detail={"fields": changed},
            )
    except IntegrityError as exc:
        # A concurrent writer took the same unique value between our check and the insert.
        if unique_field is None:
            raise
        if creating:
            instance.pk = None
        raise ValidationFailed(unique_message, field=unique_field) from exc
    return changed


# --- organization -----------------------------------------------------------------------------


def _validate_organization(values: dict[str, Any]) -> None:
    errors = FieldErrors()
    _required(values, ["name"], errors)
    if "npi" in values:
        _npi(values, "npi", errors, required=False)
    if values.get("tax_id") and not TAX_ID_RE.match(values["tax_id"]):
        errors.add("tax_id", "Enter the 9-digit EIN, e.g. 12-3456789.")
    _phone(values, "phone", errors)
    _address(values, errors)
    errors.raise_if_any()


def organization_create(*, actor: User, data: Mapping[str, Any]) -> Organization:
    """Record the practice's legal details the first time (there is one organization)."""
    _require(actor)
    values = _clean_values(data, ORGANIZATION_FIELDS)
    values.setdefault("name", "")
    _validate_organization(values)
    organization = Organization()
    _save(actor=actor, instance=organization, values=values, creating=True)
    return organization


def organization_update(
    *, actor: User, organization: Organization, data: Mapping[str, Any]
) -> Organization:
    """Change the practice's legal details (name, group NPI, tax id, phone, address)."""
    _require(actor)
    values = _clean_values(data, ORGANIZATION_FIELDS)
    _validate_organization(values)
    _save(actor=actor, instance=organization, values=values, creating=False)
    return organization


# --- locations and opening hours --------------------------------------------------------------


def _validate_hours(hours: Sequence[HoursInterval], errors: FieldErrors) -> None:
    by_day: dict[int, list[HoursInterval]] = {}
    for interval in hours:
        field = f"hours_{interval.weekday}"
        if interval.weekday not in Weekday.values:
            errors.add("hours", "Weekday must be 0 (Monday) to 6 (Sunday).")
            continue
        if interval.closes_at <= interval.opens_at:
            if MSG_CLOSE_AFTER_OPEN not in errors.fields.get(field, []):
                errors.add(field, MSG_CLOSE_AFTER_OPEN)
            continue
        by_day.setdefault(interval.weekday, []).append(interval)
    for weekday, intervals in by_day.items():
        intervals.sort(key=lambda item: item.opens_at)
        for earlier, later in pairwise(intervals):
            if later.opens_at < earlier.closes_at:
                errors.add(f"hours_{weekday}", MSG_HOURS_OVERLAP)
                break


def _validate_location(
    values: dict[str, Any], location: Location | None, errors: FieldErrors
) -> None:
    _required(values, ["name", "code", "timezone", "place_of_service"], errors)
    if values.get("code"):
        values["code"] = values["code"].lower()
        if not CODE_RE.match(values["code"]):
            errors.add("code", "Use lower-case letters, digits and dashes only, e.g. north-1.")
        elif len(values["code"]) > 20:
            errors.add("code", "Use at most 20 characters.")
        else:
            _unique(
                errors,
                "code",
                Location.objects.filter(code=values["code"]),
                location,
                "Another location already uses this code.",
            )
    if values.get("name"):
        _unique(
            errors,
            "name",
            Location.objects.filter(name__iexact=values["name"]),
            location,
            "Another location already has this name.",
        )
    if values.get("timezone") and values["timezone"] not in zoneinfo.available_timezones():
        errors.add("timezone", MSG_TIMEZONE)
    if values.get("place_of_service") and not PLACE_OF_SERVICE_RE.match(values["place_of_service"]):
        errors.add("place_of_service", "A place-of-service code is two digits, e.g. 11.")
    _phone(values, "phone", errors)
    _phone(values, "fax", errors)
    if "npi" in values:
        _npi(values, "npi", errors, required=False)
    _address(values, errors)


def _hours_key(hours: Iterable[HoursInterval]) -> list[tuple[int, time, time]]:
    return sorted((item.weekday, item.opens_at, item.closes_at) for item in hours)


def _replace_hours(location: Location, hours: Sequence[HoursInterval]) -> None:
    location.opening_hours.all().delete()
    OpeningHours.objects.bulk_create(
        OpeningHours(
            location=location,
            weekday=item.weekday,
            opens_at=item.opens_at,
            closes_at=item.closes_at,
        )
        for item in hours
    )


def location_create(
    *,
    actor: User,
    organization: Organization,
    data: Mapping[str, Any],
    hours: Sequence[HoursInterval] = (),
) -> Location:
    """Add a location with its address, phones, timezone and weekly opening hours."""
    _require(actor)
    values = _clean_values(data, LOCATION_FIELDS)
    for field in ("name", "code", "timezone"):
        values.setdefault(field, "")
    errors = FieldErrors()
    _validate_location(values, None, errors)
    _validate_hours(hours, errors)
    errors.raise_if_any()
    location = Location(organization=organization)
    _save(
        actor=actor,
        instance=location,
        values=values,
        creating=True,
        extra_changed=["hours"] if hours else [],
        after_save=lambda: _replace_hours(location, hours),
        unique_field="code",
        unique_message="Another location already uses this code or name.",
    )
    return location


def location_update(
    *,
    actor: User,
    location: Location,
    data: Mapping[str, Any],
    hours: Sequence[HoursInterval] | None = None,
) -> Location:
    """Change a location; ``hours`` (when given) replaces the whole weekly schedule."""
    _require(actor)
    values = _clean_values(data, LOCATION_FIELDS)
    errors = FieldErrors()
    _validate_location(values, location, errors)
    if hours is not None:
        _validate_hours(hours, errors)
    errors.raise_if_any()
    hours_changed = hours is not None and _hours_key(hours) != _hours_key(
        HoursInterval(h.weekday, h.opens_at, h.closes_at) for h in location.opening_hours.all()
    )
    _save(
        actor=actor,
        instance=location,
        values=values,
        creating=False,
        extra_changed=["hours"] if hours_changed else [],
        after_save=(lambda: _replace_hours(location, hours or ())) if hours_changed else None,
        unique_field="code",
        unique_message="Another location already uses this code or name.",
    )
    return location


# --- rooms and equipment ----------------------------------------------------------------------


def _validate_room(values: dict[str, Any], location: Location, room: Room | None) -> None:
    errors = FieldErrors()
    _required(values, ["name", "kind"], errors)
    _choice(values, "kind", RoomKind.values, errors, "Choose a room kind from the list.")
    if values.get("name"):
        _unique(
            errors,
            "name",
            Room.objects.filter(location=location, name__iexact=values["name"]),
            room,
            "This location already has a room with this name.",
        )
    errors.raise_if_any()


def room_create(*, actor: User, location: Location, data: Mapping[str, Any]) -> Room:
    """Add a bookable room to a location."""
    _require(actor)
    values = _clean_values(data, ROOM_FIELDS)
    values.setdefault("name", "")
    _validate_room(values, location, None)
    room = Room(location=location)
    _save(
        actor=actor,
        instance=room,
        values=values,
        creating=True,
        unique_field="name",
        unique_message="This location already has a room with this name.",
    )
    return room


def room_update(*, actor: User, room: Room, data: Mapping[str, Any]) -> Room:
    """Rename, re-kind, or (de)activate a room."""
    _require(actor)
    values = _clean_values(data, ROOM_FIELDS)
    _validate_room(values, room.location, room)
    _save(
        actor=actor,
        instance=room,
        values=values,
        creating=False,
        unique_field="name",
        unique_message="This location already has a room with this name.",
    )
    return room


def _validate_equipment(
    values: dict[str, Any], location: Location, equipment: Equipment | None
) -> None:
    errors = FieldErrors()
    _required(values, ["name", "kind"], errors)
    if values.get("name"):
        _unique(
            errors,
            "name",
            Equipment.objects.filter(location=location, name__iexact=values["name"]),
            equipment,
            "This location already has equipment with this name.",
        )
    errors.raise_if_any()


def equipment_create(*, actor: User, location: Location, data: Mapping[str, Any]) -> Equipment:
    """Add a bookable piece of equipment to a location."""
    _require(actor)
    values = _clean_values(data, EQUIPMENT_FIELDS)
    values.setdefault("name", "")
    values.setdefault("kind", "")
    _validate_equipment(values, location, None)
    equipment = Equipment(location=location)
    _save(
        actor=actor,
        instance=equipment,
        values=values,
        creating=True,
        unique_field="name",
        unique_message="This location already has equipment with this name.",
    )
    return equipment


def equipment_update(*, actor: User, equipment: Equipment, data: Mapping[str, Any]) -> Equipment:
    """Rename, re-kind, or (de)activate equipment."""
    _require(actor)
    values = _clean_values(data, EQUIPMENT_FIELDS)
    _validate_equipment(values, equipment.location, equipment)
    _save(
        actor=actor,
        instance=equipment,
        values=values,
        creating=False,
        unique_field="name",
        unique_message="This location already has equipment with this name.",
    )
    return equipment


# --- providers --------------------------------------------------------------------------------


def _validate_provider(values: dict[str, Any], provider: Provider | None) -> None:
    errors = FieldErrors()
    _required(values, ["first_name", "last_name"], errors)
    if "npi" in values:
        _npi(values, "npi", errors, required=True)
        if "npi" not in errors.fields:
            _unique(
                errors,
                "npi",
                Provider.objects.filter(npi=values["npi"]),
                provider,
                "Another provider already has this NPI.",
            )
    if values.get("taxonomy_code"):
        values["taxonomy_code"] = values["taxonomy_code"].upper()
        if not TAXONOMY_RE.match(values["taxonomy_code"]):
            errors.add("taxonomy_code", MSG_TAXONOMY)
    errors.raise_if_any()


def _provider_locations(data: Mapping[str, Any]) -> tuple[dict[str, Any], list[Location] | None]:
    rest = dict(data)
    locations = rest.pop("locations", None)
    return rest, None if locations is None else list(locations)


def provider_create(*, actor: User, data: Mapping[str, Any]) -> Provider:
    """Add a provider (name, credentials, NPI, taxonomy, specialty, the locations they work at)."""
    _require(actor)
    plain, locations = _provider_locations(data)
    values = _clean_values(plain, PROVIDER_FIELDS)
    for field in ("first_name", "last_name", "npi"):
        values.setdefault(field, "")
    _validate_provider(values, None)
    provider = Provider()
    _save(
        actor=actor,
        instance=provider,
        values=values,
        creating=True,
        extra_changed=["locations"] if locations else [],
        after_save=(lambda: provider.locations.set(locations)) if locations else None,
        unique_field="npi",
        unique_message="Another provider already has this NPI.",
    )
    return provider


def provider_update(*, actor: User, provider: Provider, data: Mapping[str, Any]) -> Provider:
    """Change a provider; ``locations`` (when given) replaces the set of locations."""
    _require(actor)
    plain, locations = _provider_locations(data)
    values = _clean_values(plain, PROVIDER_FIELDS)
    _validate_provider(values, provider)
    locations_changed = locations is not None and {loc.pk for loc in locations} != set(
        provider.locations.values_list("pk", flat=True)
    )
    _save(
        actor=actor,
        instance=provider,
        values=values,
        creating=False,
        extra_changed=["locations"] if locations_changed else [],
        after_save=(lambda: provider.locations.set(locations or [])) if locations_changed else None,
        unique_field="npi",
        unique_message="Another provider already has this NPI.",
    )
    return provider


# --- payers and plans -------------------------------------------------------------------------


def _validate_payer(values: dict[str, Any], payer: Payer | None) -> None:
    errors = FieldErrors()
    _required(values, ["name", "payer_id", "payer_type"], errors)
    _choice(values, "payer_type", PayerType.values, errors, "Choose a payer type from the list.")
    if values.get("payer_id"):
        values["payer_id"] = values["payer_id"].upper()
        if not PAYER_ID_RE.match(values["payer_id"]):
            errors.add("payer_id", "A payer ID is 2 to 20 letters or digits, e.g. 60054.")
        else:
            _unique(
                errors,
                "payer_id",
                Payer.objects.filter(payer_id=values["payer_id"]),
                payer,
                "Another payer already has this payer ID.",
            )
    _phone(values, "phone", errors)
    errors.raise_if_any()


def payer_create(*, actor: User, data: Mapping[str, Any]) -> Payer:
    """Add a payer (name, electronic payer ID, type)."""
    _require(actor)
    values = _clean_values(data, PAYER_FIELDS)
    for field in ("name", "payer_id"):
        values.setdefault(field, "")
    _validate_payer(values, None)
    payer = Payer()
    _save(
        actor=actor,
        instance=payer,
        values=values,
        creating=True,
        unique_field="payer_id",
        unique_message="Another payer already has this payer ID.",
    )
    return payer


def payer_update(*, actor: User, payer: Payer, data: Mapping[str, Any]) -> Payer:
    """Change a payer's name, payer ID, type, phone or active flag."""
    _require(actor)
    values = _clean_values(data, PAYER_FIELDS)
    _validate_payer(values, payer)
    _save(
        actor=actor,
        instance=payer,
        values=values,
        creating=False,
        unique_field="payer_id",
        unique_message="Another payer already has this payer ID.",
    )
    return payer


def _validate_plan(values: dict[str, Any], payer: Payer, plan: Plan | None) -> None:
    errors = FieldErrors()
    _required(values, ["name", "plan_type"], errors)
    _choice(values, "plan_type", PlanType.values, errors, "Choose a plan type from the list.")
    if values.get("name"):
        _unique(
            errors,
            "name",
            Plan.objects.filter(payer=payer, name__iexact=values["name"]),
            plan,
            "This payer already has a plan with this name.",
        )
    errors.raise_if_any()


def plan_create(*, actor: User, payer: Payer, data: Mapping[str, Any]) -> Plan:
    """Add a benefit plan to a payer."""
    _require(actor)
    values = _clean_values(data, PLAN_FIELDS)
    values.setdefault("name", "")
    _validate_plan(values, payer, None)
    plan = Plan(payer=payer)
    _save(
        actor=actor,
        instance=plan,
        values=values,
        creating=True,
        unique_field="name",
        unique_message="This payer already has a plan with this name.",
    )
    return plan


def plan_update(*, actor: User, plan: Plan, data: Mapping[str, Any]) -> Plan:
    """Change a plan's name, type, referral rule or active flag."""
    _require(actor)
    values = _clean_values(data, PLAN_FIELDS)
    _validate_plan(values, plan.payer, plan)
    _save(
        actor=actor,
        instance=plan,
        values=values,
        creating=False,
        unique_field="name",
        unique_message="This payer already has a plan with this name.",
    )
    return plan

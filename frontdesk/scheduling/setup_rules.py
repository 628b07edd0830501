"""The rules of schedule setup: bounds, messages and input checks shared by services and forms.

The bounds are the database's check constraints (``scheduling.models``) checked first, so a manager
sees a message beside the field instead of an IntegrityError; the checks collect every problem of a
form at once (``FieldErrors``) and never write.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from frontdesk.core.errors import FieldErrors
from frontdesk.practice.choices import RoomKind
from frontdesk.practice.models import Equipment, Location, Provider
from frontdesk.scheduling.choices import ExceptionReason, Modality, PatientKind, TemplateKind
from frontdesk.scheduling.models import AppointmentType, AvailabilityTemplate
from frontdesk.standards.codes import PLANNED_PROCEDURE_RE

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
MAX_ESTIMATE_CODES = 10
MAX_ESTIMATE_UNITS = 99
# One planned code of a type: "99213", "36415 x2" (upper-cased first).
ESTIMATE_ITEM_RE = re.compile(r"^(?P<code>[0-9A-Z]{5})(?:\s*X\s*(?P<units>[0-9]+))?$")

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
MSG_ESTIMATE_CODE = (
    "Not a CPT or HCPCS code with optional units (e.g. 99213 or 36415 x2): {item!r}."
)
MSG_ESTIMATE_UNITS = f"Units are 1 to {MAX_ESTIMATE_UNITS}: {{item!r}}."
MSG_ESTIMATE_TWICE = "{code} is listed twice; give its units instead (e.g. {code} x2)."
MSG_ESTIMATE_MANY = f"List at most {MAX_ESTIMATE_CODES} codes."
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
    "estimate_codes",
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


def grid_minutes() -> int:
    return int(getattr(settings, "SCHEDULE_GRID_MINUTES", 5))


def local_today(location: Location) -> dt.date:
    return timezone.now().astimezone(location.tzinfo).date()


def clean_values(data: Mapping[str, Any], allowed: Sequence[str]) -> dict[str, Any]:
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


def weekday_name(weekday: int) -> str:
    return WEEKDAY_NAMES[weekday] if 0 <= weekday <= 6 else str(weekday)


def fmt_date(day: dt.date | None) -> str:
    return day.strftime("%-d %b %Y") if day else ""


# --- appointment types ---------------------------------------------------------------------------


def known_specialties() -> list[str]:
    """Specialties of the practice's providers (what a type can be limited to)."""
    return sorted({s for s in Provider.objects.values_list("specialty", flat=True).distinct() if s})


def known_equipment_kinds() -> list[str]:
    return sorted({k for k in Equipment.objects.values_list("kind", flat=True).distinct() if k})


def estimate_codes_clean(text: str | None) -> tuple[str, list[str]]:
    """ "99213,36415 X2" -> ("99213, 36415 x2", []): the planned codes of a type in the form the
    cost estimate reads (``eligibility.estimates.parse_services``), or the problems found."""
    problems: list[str] = []
    items: list[str] = []
    seen: set[str] = set()
    for raw in re.split(r"[,;\n]", text or ""):
        item = raw.strip().upper()
        if not item:
            continue
        found = ESTIMATE_ITEM_RE.match(item)
        if found is None or not PLANNED_PROCEDURE_RE.match(found["code"]):
            problems.append(MSG_ESTIMATE_CODE.format(item=raw.strip()))
            continue
        code, units = found["code"], int(found["units"] or 1)
        if not 1 <= units <= MAX_ESTIMATE_UNITS:
            problems.append(MSG_ESTIMATE_UNITS.format(item=raw.strip()))
            continue
        if code in seen:
            problems.append(MSG_ESTIMATE_TWICE.format(code=code))
            continue
        seen.add(code)
        items.append(code if units == 1 else f"{code} x{units}")
    if len(items) > MAX_ESTIMATE_CODES:
        problems.append(MSG_ESTIMATE_MANY)
    return ", ".join(items), problems


def validate_type(
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
    if "estimate_codes" in values:
        planned, problems = estimate_codes_clean(values["estimate_codes"])
        for problem in problems:
            errors.add("estimate_codes", problem)
        values["estimate_codes"] = planned if not problems else (values["estimate_codes"] or "")
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


def types_key(types: Iterable[AppointmentType]) -> frozenset[int]:
    return frozenset(t.pk for t in types)


def validate_template(
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
        errors.add("effective_from", MSG_FROM_PAST.format(today=fmt_date(today)))
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
    wanted = types_key(types)
    for other in neighbours:
        if types_key(other.appointment_types.all()) == wanted:
            errors.add(
                "start_time",
                MSG_OVERLAP.format(
                    kind=other.kind,
                    weekday=weekday_name(other.weekday),
                    start=f"{other.start_time:%H:%M}",
                    end=f"{other.end_time:%H:%M}",
                    since=fmt_date(other.effective_from),
                ),
            )
            return


def template_values(data: Mapping[str, Any], *, defaults: bool) -> dict[str, Any]:
    """Known template fields with empty optional values as None; ``defaults`` fills the optional
    fields a new window may omit (an update keeps what it is not given)."""
    values = clean_values(data, TEMPLATE_FIELDS)
    for name in ("release_minutes_before", "effective_until"):
        if values.get(name) == "":
            values[name] = None
    if "label" in values:
        values["label"] = values["label"] or ""
    if defaults:
        values.setdefault("label", "")
        values.setdefault("release_minutes_before", None)
        values.setdefault("effective_until", None)
    return values


def validate_exception(
    *,
    provider: Provider | None,
    location: Location | None,
    starts_at: Any,
    ends_at: Any,
    reason: str,
    note: str,
) -> None:
    """Check time off before it is written: who, an aware range ending in the future, a reason."""
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

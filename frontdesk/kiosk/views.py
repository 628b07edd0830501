"""Kiosk screens: the tablet's patient flow (public, device cookie), device admin and review queue.

The patient-facing views are ``@public`` (no staff session is ever used) but refuse any browser without
a valid device cookie (403). The patient's progress lives in the server session under ``kiosk``, tied
to the device, and is dropped after the last screen, after ``IDLE_SECONDS`` without a request, or when
another device's cookie shows up. Pages are never cached, so Back never shows the previous patient.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from functools import wraps
from typing import Any, cast

import segno
from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.signing import BadSignature
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from frontdesk.accounts.decorators import public, requires
from frontdesk.accounts.policy import A
from frontdesk.core import throttle
from frontdesk.core.errors import DomainError
from frontdesk.kiosk import selectors, services
from frontdesk.kiosk.choices import CARD_SIDES, CHANGE_FIELDS, InsuranceHolder
from frontdesk.kiosk.codes import kiosk_code
from frontdesk.kiosk.errors import InvalidKioskCode
from frontdesk.kiosk.models import KioskDevice
from frontdesk.patients.normalize import name_key
from frontdesk.patients.services import image_type
from frontdesk.practice.models import Location, Payer
from frontdesk.scheduling.models import Appointment
from frontdesk.visits.services import active_coverage

COOKIE = "fd_kiosk"
COOKIE_SALT = "frontdesk.kiosk.cookie"
COOKIE_MAX_AGE = 400 * 24 * 3600  # browsers cap cookie lifetime at 400 days
STATE = "kiosk"
IDLE_SECONDS = 120
# Brute-force guard, fair to a busy waiting room: lookups that found nobody are counted per tablet and
# last name (a patient who mistypes a birth date a few times is sent to the desk, nobody else is), and
# per tablet: the higher device-wide ceiling locks the tablet until a manager unlocks it.
NAME_MISS_LIMIT = 5
DEVICE_MISS_LIMIT = 30
MISS_WINDOW = 900
MISS_SALT = "frontdesk.kiosk.miss"
SEE_DESK = "Please see the front desk."
NOT_ENROLLED = "This tablet is not enrolled."

KioskView = Callable[..., HttpResponse]


def _user(request: HttpRequest) -> Any:
    return request.user


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _device_from_cookie(request: HttpRequest) -> KioskDevice | None:
    try:
        value = request.get_signed_cookie(COOKIE, salt=COOKIE_SALT)
    except (KeyError, BadSignature):
        return None
    if not value:
        return None
    device_id, _, secret = value.partition(":")
    if not device_id.isdigit() or not secret:
        return None
    return services.kiosk_device_authenticate(device_id=int(device_id), secret=secret)


def _state(request: HttpRequest, device: KioskDevice) -> dict[str, Any]:
    """The patient in progress on this device, or {} (expired after IDLE_SECONDS, or another device's)."""
    state = request.session.get(STATE) or {}
    now = time.time()
    if state and (
        state.get("device") != device.pk or now - float(state.get("seen", 0)) > IDLE_SECONDS
    ):
        state = {}
        request.session.pop(STATE, None)
    if state:
        state["seen"] = now
        request.session[STATE] = state
    return dict(state)


def _reset(request: HttpRequest) -> None:
    request.session.pop(STATE, None)


def kiosk_page(view: KioskView) -> KioskView:
    """A patient-facing kiosk view: a valid device cookie or 403; no caching."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        device = _device_from_cookie(request)
        if device is None:
            _reset(request)
            response = render(
                request, "kiosk/message.html", {"message": NOT_ENROLLED, "enrol": True}, status=403
            )
            return _no_store(response)
        return _no_store(view(request, device, *args, **kwargs))

    return public(wrapped)  # type: ignore[arg-type]


def _render(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    context = {"idle_seconds": IDLE_SECONDS, **context}
    return render(request, f"kiosk/{template}", context, status=status)


def _appointment(request: HttpRequest, device: KioskDevice) -> Appointment | None:
    state = _state(request, device)
    if not state.get("appointment"):
        return None
    appointment = services.kiosk_appointment(
        device=device, appointment_id=int(state["appointment"])
    )
    if appointment is None:
        _reset(request)
    return appointment


def _device_miss_key(device: KioskDevice) -> str:
    return f"kiosk-miss:{device.pk}"


def _name_miss_key(device: KioskDevice, last_name: str) -> str:
    """The per-name counter's key: a keyed digest of the normalised last name (no PHI in the cache)."""
    digest = salted_hmac(MISS_SALT, name_key(last_name), algorithm="sha256").hexdigest()[:32]
    return f"kiosk-miss:{device.pk}:{digest}"


def _misses(key: str) -> int:
    return throttle.misses(key)


def _bump(key: str) -> int:
    """Count one miss under ``key`` (the window starts at the first miss); returns the new count."""
    return throttle.miss_record(key, MISS_WINDOW)


def _count_miss(device: KioskDevice, last_name: str | None = None) -> None:
    """One lookup found nobody: count it for the name (if any) and the device; lock at the ceiling."""
    if last_name is not None:
        _bump(_name_miss_key(device, last_name))
    misses = _bump(_device_miss_key(device))
    if misses >= DEVICE_MISS_LIMIT:
        services.kiosk_device_lock(device=device, misses=misses)


def kiosk_misses_clear(device: KioskDevice) -> None:
    """Forget the device-wide count (on unlock); per-name counts run out with their window."""
    cache.delete(_device_miss_key(device))


def _see_desk(request: HttpRequest, message: str = SEE_DESK) -> HttpResponse:
    _reset(request)
    return _render(request, "message.html", {"message": message, "restart": True})


def _start_patient(
    request: HttpRequest, device: KioskDevice, appointment: Appointment
) -> HttpResponse:
    request.session.cycle_key()
    request.session[STATE] = {
        "device": device.pk,
        "appointment": appointment.pk,
        "seen": time.time(),
    }
    return redirect("kiosk:confirm")


# --- enrolment -------------------------------------------------------------------------------------


@public
@require_http_methods(["GET", "POST"])
def enroll(request: HttpRequest) -> HttpResponse:
    """Typed on the tablet: the one-time code from the device admin sets the device cookie."""
    error = ""
    if request.method == "POST":
        try:
            device, secret = services.kiosk_device_enrol(code=request.POST.get("code", ""))
        except DomainError as exc:
            error = exc.message
        else:
            response = redirect("kiosk:start")
            response.set_signed_cookie(
                COOKIE,
                f"{device.pk}:{secret}",
                salt=COOKIE_SALT,
                max_age=COOKIE_MAX_AGE,
                httponly=True,
                secure=settings.SESSION_COOKIE_SECURE,
                samesite="Strict",
            )
            return _no_store(response)
    return _no_store(
        _render(request, "enroll.html", {"error": error}, status=400 if error else 200)
    )


# --- the patient's screens -------------------------------------------------------------------------


@kiosk_page
@require_http_methods(["GET", "POST"])
def start(request: HttpRequest, device: KioskDevice) -> HttpResponse:
    """Last name + date of birth, or the check-in code. A locked tablet sends everyone to the desk."""
    _reset(request)
    if device.locked_at is not None:
        return _see_desk(request)
    if request.method == "GET":
        return _render(request, "start.html", {"device": device})
    code = request.POST.get("code", "").strip()
    last_name: str | None = None
    if code:
        try:
            appointment = services.kiosk_find_by_code(device=device, code=code)
        except InvalidKioskCode as exc:
            _count_miss(device)
            return _see_desk(request, exc.message)
    else:
        last_name = request.POST.get("last_name", "")
        if _misses(_name_miss_key(device, last_name)) >= NAME_MISS_LIMIT:
            return _see_desk(request)
        try:
            dob = dt.date.fromisoformat(request.POST.get("date_of_birth", "").strip())
        except ValueError:
            return _render(
                request,
                "start.html",
                {"device": device, "error": "Enter your date of birth."},
                status=400,
            )
        appointment = services.kiosk_find(device=device, last_name=last_name, date_of_birth=dob)
    if appointment is None:
        _count_miss(device, last_name)
        return _see_desk(request)
    return _start_patient(request, device, appointment)


def _masked(appointment: Appointment) -> dict[str, str]:
    patient = appointment.patient
    street = patient.address_line1 or ""
    # The house number is hidden: someone reading over the shoulder learns no address.
    parts = street.split(" ", 1)
    if parts and parts[0][:1].isdigit():
        street = "••• " + (parts[1] if len(parts) > 1 else "")
    phones = list(patient.phones.order_by("rank", "id")[:1])
    local_day = appointment.starts_at.astimezone(appointment.location.tzinfo).date()
    coverage = active_coverage(patient, local_day)
    return {
        "address": ", ".join(p for p in (street, patient.city, patient.state) if p),
        "phone": f"ending in {phones[0].number[-4:]}" if phones else "",
        "insurance": (
            f"{coverage.payer.name}, member ID ending in {coverage.member_id[-4:]}"
            if coverage is not None
            else ""
        ),
    }


@kiosk_page
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, device: KioskDevice) -> HttpResponse:
    """Hello <first name>: your time and provider; is your address, phone and insurance the same?"""
    appointment = _appointment(request, device)
    if appointment is None:
        return redirect("kiosk:start")
    if request.method == "POST":
        if request.POST.get("answer") == "changed":
            return redirect("kiosk:update")
        return redirect("kiosk:consents")
    tz = appointment.location.tzinfo
    return _render(
        request,
        "confirm.html",
        {
            "first_name": appointment.patient.first_name,
            "starts": appointment.starts_at.astimezone(tz),
            "provider": appointment.provider.display_name,
            "current": _masked(appointment),
        },
    )


INSURANCE_INPUTS = (
    "ins_payer",
    "ins_payer_other",
    "ins_member_id",
    "ins_group_number",
    "ins_holder",
    "ins_sub_first_name",
    "ins_sub_last_name",
    "ins_sub_dob",
)


@kiosk_page
@require_http_methods(["GET", "POST"])
def update(request: HttpRequest, device: KioskDevice) -> HttpResponse:
    """The patient reports what changed (address, phone, insurance with card photos from the
    tablet's camera); it goes to the staff review queue, never straight into the record."""
    appointment = _appointment(request, device)
    if appointment is None:
        return redirect("kiosk:start")
    errors: dict[str, list[str]] = {}
    values = dict.fromkeys((*CHANGE_FIELDS, *INSURANCE_INPUTS), "")
    if request.method == "POST":
        values = {name: request.POST.get(name, "") for name in values}
        try:
            services.kiosk_change_request_submit(
                device=device,
                appointment=appointment,
                data=values,
                files={name: request.FILES.get(name) for name in CARD_SIDES.values()},
            )
        except DomainError as exc:
            errors = exc.fields
        else:
            return redirect("kiosk:consents")
    fields = [
        {"name": name, "label": label, "value": values[name], "errors": errors.get(name, [])}
        for name, label in CHANGE_FIELDS.items()
    ]
    return _render(
        request,
        "update.html",
        {
            "fields": fields,
            "ins": values,
            "payers": selectors.kiosk_payers(),
            "holders": InsuranceHolder.choices,
            "errors": errors,
            "form_errors": errors.get("__all__", []),
        },
        status=400 if errors else 200,
    )


@kiosk_page
@require_http_methods(["GET", "POST"])
def consents(request: HttpRequest, device: KioskDevice) -> HttpResponse:
    """Sign what is due (full name + "I have read"), then the patient is checked in."""
    appointment = _appointment(request, device)
    if appointment is None:
        return redirect("kiosk:start")
    due = services.kiosk_consents_due(appointment=appointment)
    errors: dict[str, list[str]] = {}
    if request.method == "POST" or not due:
        try:
            if due:
                services.kiosk_consents_sign(
                    device=device,
                    appointment=appointment,
                    signature=request.POST.get("signature", ""),
                    has_read=request.POST.get("has_read") == "on",
                )
            services.kiosk_check_in(device=device, appointment=appointment)
        except DomainError as exc:
            if not exc.fields:
                return _see_desk(request)
            errors = exc.fields
        else:
            _reset(request)
            return redirect("kiosk:done")
    return _render(
        request, "consents.html", {"due": due, "errors": errors}, status=400 if errors else 200
    )


@kiosk_page
def done(request: HttpRequest, device: KioskDevice) -> HttpResponse:
    """ "You are checked in" - then back to the start screen after a few seconds."""
    _reset(request)
    return _render(request, "done.html", {"return_seconds": 10})


@kiosk_page
@require_POST
def reset(request: HttpRequest, device: KioskDevice) -> HttpResponse:
    """Start over (the "Cancel" button)."""
    _reset(request)
    return redirect("kiosk:start")


# --- staff: devices ---------------------------------------------------------------------------------


@requires(A.PRACTICE_MANAGE)
@require_http_methods(["GET", "POST"])
def devices(request: HttpRequest) -> HttpResponse:
    """Registered tablets; register a new one (its enrolment code is shown once)."""
    code = ""
    error = ""
    locations = list(Location.objects.restrict(_user(request), A.PRACTICE_MANAGE).order_by("name"))
    if request.method == "POST":
        location = next(
            (loc for loc in locations if str(loc.pk) == request.POST.get("location", "")), None
        )
        if location is None:
            error = "Choose a location."
        else:
            try:
                _device, code = services.kiosk_device_register(
                    actor=request.user, location=location, name=request.POST.get("name", "")
                )
            except DomainError as exc:
                error = exc.message
    response = render(
        request,
        "kiosk/devices.html",
        {
            "devices": selectors.kiosk_devices(user=request.user),
            "locations": locations,
            "code": code,
            "error": error,
            "enroll_url": request.build_absolute_uri(reverse("kiosk:enroll")),
        },
        status=400 if error else 200,
    )
    return _no_store(response)


@requires(A.PRACTICE_MANAGE)
@require_POST
def device_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    device = selectors.kiosk_device_get(user=request.user, pk=pk)
    if device is None:
        raise Http404
    try:
        services.kiosk_device_revoke(actor=request.user, device=device)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Kiosk “{device.name}” revoked.")
    return redirect("kiosk:devices")


@requires(A.PRACTICE_MANAGE)
@require_POST
def device_unlock(request: HttpRequest, pk: int) -> HttpResponse:
    device = selectors.kiosk_device_get(user=request.user, pk=pk)
    if device is None:
        raise Http404
    try:
        services.kiosk_device_unlock(actor=request.user, device=device)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        kiosk_misses_clear(device)
        messages.success(request, f"Kiosk “{device.name}” unlocked.")
    return redirect("kiosk:devices")


# --- staff: review queue and the printable code -----------------------------------------------------


@requires(A.PATIENT_UPDATE)
def changes(request: HttpRequest) -> HttpResponse:
    """Pending changes patients reported at the kiosks of the user's locations."""
    return _no_store(
        render(
            request,
            "kiosk/changes.html",
            {
                "items": selectors.kiosk_changes_pending(user=request.user),
                "payers": selectors.kiosk_payers(),
                "can_edit_coverage": _user(request).can(A.COVERAGE_EDIT),
            },
        )
    )


@requires(A.PATIENT_UPDATE)
@require_POST
def change_apply(request: HttpRequest, pk: int) -> HttpResponse:
    change = selectors.kiosk_change_get(user=request.user, pk=pk)
    if change is None:
        raise Http404
    payer = None
    raw = request.POST.get("payer", "")
    if raw:
        payer = Payer.objects.filter(pk=int(raw) if raw.isdigit() else 0).first()
        if payer is None:
            messages.error(request, "Choose the payer from the list.")
            return redirect("kiosk:changes")
    try:
        services.kiosk_change_apply(actor=request.user, change=change, payer=payer)
    except DomainError as exc:
        details = [message for messages_ in exc.fields.values() for message in messages_]
        messages.error(request, " ".join(dict.fromkeys([exc.message, *details])))
    else:
        if change.fields.get("insurance"):
            messages.success(
                request,
                f"Change #{change.pk} applied. The coverage is not verified: confirm the card "
                "at check-in.",
            )
        else:
            messages.success(request, f"Change #{change.pk} applied.")
    return redirect("kiosk:changes")


@requires(A.PATIENT_UPDATE)
@require_GET
def change_card(request: HttpRequest, pk: int, side: str) -> HttpResponse:
    """A card photo the patient took on the tablet: as an attachment with nosniff, audited."""
    found = selectors.kiosk_change_card(user=request.user, pk=pk, side=side)
    if found is None:
        raise Http404
    change, stored = found
    content_type, extension = image_type(stored)
    response = FileResponse(
        stored.open("rb"),
        as_attachment=True,
        filename=f"kiosk-card-{change.pk}-{side}{extension}",
        content_type=content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return cast(HttpResponse, _no_store(cast(HttpResponse, response)))


@requires(A.PATIENT_UPDATE)
@require_POST
def change_reject(request: HttpRequest, pk: int) -> HttpResponse:
    change = selectors.kiosk_change_get(user=request.user, pk=pk)
    if change is None:
        raise Http404
    try:
        services.kiosk_change_reject(
            actor=request.user, change=change, reason=request.POST.get("reason", "")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Change #{change.pk} rejected.")
    return redirect("kiosk:changes")


@requires(A.APPOINTMENT_CHECK_IN)
def check_in_code(request: HttpRequest, pk: int) -> HttpResponse:
    """The appointment's check-in code as text and QR, for staff to print and hand over."""
    appointment = (
        Appointment.objects.restrict(_user(request), A.APPOINTMENT_CHECK_IN).filter(pk=pk).first()
    )
    if appointment is None:
        raise Http404
    code = kiosk_code(appointment)
    svg = segno.make(code, error="m").svg_inline(scale=6, title="Check-in code")
    return _no_store(
        render(request, "kiosk/code.html", {"code": code, "svg": svg, "appointment": appointment})
    )

"""The check-in code a patient can scan at the kiosk: ``FDCHK:<appointment id>:<YYYYMMDD>:<signature>``.

Signed like the encounter-form code (``frontdesk.printing.formcode``) under its own salt and prefix, so
an edited or invented code is refused and a form code cannot be used to check in. The date is the
appointment's day in its location's timezone and is covered by the signature: the code only works on
that day (a code from a reminder of a visit that was later moved to another day is refused too). No
PHI, only the id and the date.

The reminder e-mail carries the code as a QR image; notifications does not import the kiosk, so the
kiosk's app config registers ``kiosk_code_or_none`` with ``frontdesk.notifications.checkin_code``.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re

from django.utils.crypto import salted_hmac

from frontdesk.kiosk.errors import InvalidKioskCode

PREFIX = "FDCHK"
_SALT = "frontdesk.kiosk.check-in-code"
_SIGNATURE_LENGTH = 16
_CODE_RE = re.compile(r"^FDCHK:([1-9]\d{0,17}):(\d{8}):([0-9a-f]{16})$")


def _signature(appointment_id: int, day: dt.date) -> str:
    return salted_hmac(
        _SALT, f"{PREFIX}:{appointment_id}:{day:%Y%m%d}", algorithm="sha256"
    ).hexdigest()[:_SIGNATURE_LENGTH]


def kiosk_code_for(appointment_id: int, day: dt.date) -> str:
    """Return the check-in code of the appointment with ``appointment_id`` on ``day``."""
    if appointment_id < 1:
        raise ValueError("An appointment id is a positive integer.")
    return f"{PREFIX}:{appointment_id}:{day:%Y%m%d}:{_signature(appointment_id, day)}"


def appointment_day(appointment: object) -> dt.date:
    """The appointment's day in its location's timezone."""
    starts_at: dt.datetime = appointment.starts_at  # type: ignore[attr-defined]
    return starts_at.astimezone(appointment.location.tzinfo).date()  # type: ignore[attr-defined]


def kiosk_code(appointment: object) -> str:
    """Return the check-in code of ``appointment`` (valid on its local day only)."""
    return kiosk_code_for(int(appointment.pk), appointment_day(appointment))  # type: ignore[attr-defined]


def kiosk_code_or_none(appointment: object) -> str | None:
    """The provider registered with notifications: the code, or None for an unsaved appointment."""
    if getattr(appointment, "pk", None) is None:
        return None
    return kiosk_code(appointment)


def kiosk_code_decode(text: str) -> tuple[int, dt.date]:
    """Return the appointment id and day a code carries, or raise ``InvalidKioskCode``."""
    match = _CODE_RE.match(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise InvalidKioskCode()
    appointment_id = int(match.group(1))
    try:
        day = dt.datetime.strptime(match.group(2), "%Y%m%d").date()
    except ValueError:
        raise InvalidKioskCode() from None
    if not hmac.compare_digest(match.group(3), _signature(appointment_id, day)):
        raise InvalidKioskCode()
    return appointment_id, day

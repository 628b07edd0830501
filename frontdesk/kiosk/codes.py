"""The check-in code a patient can scan at the kiosk: ``FDCHK:<appointment id>:<signature>``.

Signed like the encounter-form code (``frontdesk.printing.formcode``) under its own salt and prefix, so
an edited or invented code is refused and a form code cannot be used to check in. No PHI, only the id.
"""

from __future__ import annotations

import hmac
import re

from django.utils.crypto import salted_hmac

from frontdesk.kiosk.errors import InvalidKioskCode

PREFIX = "FDCHK"
_SALT = "frontdesk.kiosk.check-in-code"
_SIGNATURE_LENGTH = 16
_CODE_RE = re.compile(r"^FDCHK:([1-9]\d{0,17}):([0-9a-f]{16})$")


def _signature(appointment_id: int) -> str:
    return salted_hmac(_SALT, f"{PREFIX}:{appointment_id}", algorithm="sha256").hexdigest()[
        :_SIGNATURE_LENGTH
    ]


def kiosk_code_for_id(appointment_id: int) -> str:
    """Return the check-in code of the appointment with ``appointment_id``."""
    if appointment_id < 1:
        raise ValueError("An appointment id is a positive integer.")
    return f"{PREFIX}:{appointment_id}:{_signature(appointment_id)}"


def kiosk_code(appointment: object) -> str:
    """Return the check-in code of ``appointment`` (for the reminder e-mail's QR)."""
    return kiosk_code_for_id(int(appointment.pk))  # type: ignore[attr-defined]


def kiosk_code_decode(text: str) -> int:
    """Return the appointment id a code carries, or raise ``InvalidKioskCode``."""
    match = _CODE_RE.match(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise InvalidKioskCode()
    appointment_id = int(match.group(1))
    if not hmac.compare_digest(match.group(2), _signature(appointment_id)):
        raise InvalidKioskCode()
    return appointment_id

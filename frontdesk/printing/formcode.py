"""The tamper-evident appointment code printed (as text and QR) on every encounter form.

``FDAPPT:<appointment id>:<signature>``: the signature is a truncated HMAC-SHA256 of the prefix and
id under a key derived from ``SECRET_KEY`` (Django's ``salted_hmac``), so a scanned form can be filed
against its appointment automatically and an edited or invented code is refused. The code carries no
PHI, only the appointment id.
"""

from __future__ import annotations

import hmac
import re

from django.utils.crypto import salted_hmac

from frontdesk.printing.errors import InvalidFormCode

PREFIX = "FDAPPT"
_SALT = "frontdesk.printing.encounter-form-code"
_SIGNATURE_LENGTH = 16  # hex characters: 64 bits, far beyond guessing by hand
_CODE_RE = re.compile(r"^FDAPPT:([1-9]\d{0,17}):([0-9a-f]{16})$")


def _signature(appointment_id: int) -> str:
    return salted_hmac(_SALT, f"{PREFIX}:{appointment_id}", algorithm="sha256").hexdigest()[
        :_SIGNATURE_LENGTH
    ]


def encode_form_code(appointment_id: int) -> str:
    """Return the code printed on the encounter form of ``appointment_id``."""
    if appointment_id < 1:
        raise ValueError("An appointment id is a positive integer.")
    return f"{PREFIX}:{appointment_id}:{_signature(appointment_id)}"


def decode_form_code(text: str) -> int:
    """Return the appointment id a scanned code carries, or raise ``InvalidFormCode``.

    Surrounding white space is ignored (scanners add line ends); anything else that differs from
    what ``encode_form_code`` wrote - case, id, signature - is refused.
    """
    match = _CODE_RE.match(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise InvalidFormCode()
    appointment_id = int(match.group(1))
    if not hmac.compare_digest(match.group(2), _signature(appointment_id)):
        raise InvalidFormCode()
    return appointment_id

"""The code FrontDesk prints on its own paper so that a scanned page files itself.

``FDDOC:<patient id>:<document type>:<appointment id or 0>:<signature>`` goes (as QR and as text) on a
patient's barcode cover sheet, consent forms and fax cover sheets: whatever is scanned behind it is
that patient's document of that type. The signature is a truncated HMAC-SHA256 under a key derived
from ``SECRET_KEY`` (Django's ``salted_hmac``), so an edited or invented code is refused. The code
carries no PHI: ids and a type word. Encounter forms carry printing's ``FDAPPT`` appointment code.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass

from django.utils.crypto import salted_hmac

PREFIX = "FDDOC"
_SALT = "frontdesk.documents.document-code"
_SIGNATURE_LENGTH = 16
_CODE_RE = re.compile(r"^FDDOC:([1-9]\d{0,17}):([a-z_]{2,24}):(0|[1-9]\d{0,17}):([0-9a-f]{16})$")


class InvalidDocumentCode(ValueError):
    """A scanned code that FrontDesk did not write (edited, invented or damaged)."""


@dataclass(frozen=True)
class DocumentCode:
    patient_id: int
    doc_type: str
    appointment_id: int | None


def _signature(body: str) -> str:
    return salted_hmac(_SALT, body, algorithm="sha256").hexdigest()[:_SIGNATURE_LENGTH]


def encode_document_code(patient_id: int, doc_type: str, appointment_id: int | None = None) -> str:
    """Return the code to print for ``patient_id``'s document of ``doc_type``."""
    if patient_id < 1:
        raise ValueError("A patient id is a positive integer.")
    if not re.fullmatch(r"[a-z_]{2,24}", doc_type):
        raise ValueError(f"Not a document type word: {doc_type!r}.")
    if appointment_id is not None and appointment_id < 1:
        raise ValueError("An appointment id is a positive integer.")
    body = f"{PREFIX}:{patient_id}:{doc_type}:{appointment_id or 0}"
    return f"{body}:{_signature(body)}"


def decode_document_code(text: str) -> DocumentCode:
    """Return what a scanned code says, or raise ``InvalidDocumentCode``."""
    match = _CODE_RE.match(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise InvalidDocumentCode("Not a FrontDesk document code.")
    body = text.strip().rsplit(":", 1)[0]
    if not hmac.compare_digest(match.group(4), _signature(body)):
        raise InvalidDocumentCode("The document code's signature does not match.")
    appointment = int(match.group(3))
    return DocumentCode(
        patient_id=int(match.group(1)),
        doc_type=match.group(2),
        appointment_id=appointment or None,
    )

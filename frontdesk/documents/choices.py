from __future__ import annotations

from django.db import models


class Source(models.TextChoices):
    """How a file arrived in the inbox."""

    UPLOAD = "upload", "Browser upload"
    FOLDER = "folder", "Watched folder"
    SCAN = "scan", "Scanner"
    EMAIL = "email", "E-mail"
    FAX = "fax", "Fax"
    CLI = "cli", "Command line"


# Sources where a machine, not a signed-in person, hands the file over (received_by may be empty).
MACHINE_SOURCES: frozenset[str] = frozenset(
    {Source.FOLDER, Source.SCAN, Source.EMAIL, Source.FAX, Source.CLI}
)


class Kind(models.TextChoices):
    """What a stored file is, decided from its content (never from its name)."""

    PDF = "pdf", "PDF"
    TIFF = "tiff", "TIFF image"
    JPEG = "jpeg", "JPEG image"
    PNG = "png", "PNG image"
    UNKNOWN = "unknown", "Not an accepted type"


# The Content-Type a download of each accepted kind will carry (with nosniff).
CONTENT_TYPES: dict[str, str] = {
    Kind.PDF: "application/pdf",
    Kind.TIFF: "image/tiff",
    Kind.JPEG: "image/jpeg",
    Kind.PNG: "image/png",
    Kind.UNKNOWN: "application/octet-stream",
}


class ItemStatus(models.TextChoices):
    """Where an inbox item stands. Processing, review and filing come with the pipeline."""

    RECEIVED = "received", "Received"
    QUARANTINED = "quarantined", "Quarantined"


class QuarantineCode(models.TextChoices):
    """Why an arrival was quarantined, as a stable code (the item also says it in words)."""

    EMPTY = "empty", "Empty file"
    TOO_LARGE = "too_large", "Over the size limit"
    TOO_MANY_PAGES = "too_many_pages", "Over the page limit"
    MARKUP = "markup", "HTML, SVG or XML"
    POLYGLOT = "polyglot", "Image or PDF carrying markup"
    ENCRYPTED = "encrypted", "Encrypted PDF"
    CORRUPT = "corrupt", "Damaged or unreadable"
    BOMB = "bomb", "Decompression bomb"
    UNRECOGNISED = "unrecognised", "Not an accepted type"
    NAME_MISMATCH = "name_mismatch", "Name does not match content"


class DocType(models.TextChoices):
    """What a document is (the classifier's answer and the chart's category)."""

    LAB_RESULT = "lab_result", "Lab result"
    IMAGING_REPORT = "imaging_report", "Imaging report"
    CONSULT_NOTE = "consult_note", "Consult note / letter"
    REFERRAL = "referral", "Referral"
    RECORDS_REQUEST = "records_request", "Records request"
    PRIOR_AUTH = "prior_auth", "Prior-authorization response"
    INSURANCE_CARD = "insurance_card", "Insurance card"
    PHOTO_ID = "photo_id", "Photo ID"
    PAYER_LETTER = "payer_letter", "EOB / payer letter"
    INTAKE_FORM = "intake_form", "Intake form"
    ENCOUNTER_FORM = "encounter_form", "Encounter form"
    CONSENT_FORM = "consent_form", "Consent form"
    OTHER = "other", "Other"

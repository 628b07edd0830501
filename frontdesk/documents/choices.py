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
    """Where an inbox item stands.

    received -> (pipeline) -> filed (every part of it in a chart) or review (waiting for a person);
    quarantined from the start when the content is refused; deleted by a person, with a reason (the
    bytes stay: nothing that arrives is ever lost).
    """

    RECEIVED = "received", "Received"
    REVIEW = "review", "Waiting for review"
    FILED = "filed", "Filed"
    QUARANTINED = "quarantined", "Quarantined"
    DELETED = "deleted", "Deleted"


class Stage(models.TextChoices):
    """How far the pipeline has come with an item (it resumes from here after a crash)."""

    QUEUED = "queued", "Queued"
    PAGES = "pages", "Pages read"  # every page split, OCRed and its codes read
    DONE = "done", "Done"  # segmented, classified, matched and filed or put up for review
    FAILED = "failed", "Failed"  # gave up after the retries; waits for a person with the error


class SegmentStatus(models.TextChoices):
    REVIEW = "review", "Waiting for review"
    FILED = "filed", "Filed"
    DELETED = "deleted", "Deleted"


class FiledBy(models.TextChoices):
    CODE = "code", "FrontDesk code on the page"
    MATCH = "match", "Certain patient match"
    PERSON = "person", "Indexed by a person"


class Direction(models.TextChoices):
    IN = "in", "Incoming"
    OUT = "out", "Outgoing"


class Channel(models.TextChoices):
    FAX = "fax", "Fax"
    EMAIL = "email", "E-mail"
    MAIL = "mail", "Mail"
    PRINT = "print", "Print"
    UPLOAD = "upload", "Upload / scan"


class CorrespondenceStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    HANDLED = "handled", "Handled"


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


class WorkQueue(models.TextChoices):
    """The team worklist a document is routed to (records requests, referrals); blank: none."""

    RECORDS_RELEASE = "records_release", "Records release"
    REFERRALS = "referrals", "Referrals"


# Document types that start work elsewhere: they are routed to that team's work queue.
WORK_QUEUE_BY_TYPE: dict[str, str] = {
    DocType.RECORDS_REQUEST: WorkQueue.RECORDS_RELEASE,
    DocType.REFERRAL: WorkQueue.REFERRALS,
}

"""The document inbox: every file that arrives, and the encrypted, de-duplicated bytes behind it.

A ``Blob`` is one distinct file content, identified by the SHA-256 of its plaintext: the same file
arriving twice is one blob. Its bytes live encrypted (AES-256-GCM, ``blobs.py``) in the default file
storage under a generated name that says nothing about the file or the patient.

An ``InboxItem`` is one arrival: where it came from (upload, watched folder, scanner, e-mail, fax,
command line), when, who handed it over (nobody for machine sources), the name it came with (made
safe for display; never used to store anything), the location whose inbox it belongs to, and its
blob. Nothing that arrives is ever lost: a quarantined arrival keeps its original bytes too, and says
why in words. The second arrival of the same content in a location points at the first.
"""

from __future__ import annotations

from typing import Any, Self

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length
from django.db.models.lookups import Exact

from frontdesk.core.models import TimeStampedModel
from frontdesk.core.queryset import Actor, RestrictedQuerySet
from frontdesk.disclosures.choices import Purpose
from frontdesk.documents.choices import (
    Channel,
    CorrespondenceStatus,
    Direction,
    DocType,
    FiledBy,
    ItemStatus,
    Kind,
    QuarantineCode,
    SegmentStatus,
    Source,
    Stage,
    WorkQueue,
)


class Blob(models.Model):
    """One distinct file content, stored encrypted once however often it arrives."""

    sha256 = models.CharField(max_length=64, unique=True)  # of the plaintext, lowercase hex
    size = models.PositiveBigIntegerField()  # plaintext bytes
    kind = models.CharField(max_length=8, choices=Kind.choices)
    pages = models.PositiveIntegerField(default=0)  # 0 when unknown (quarantined before counting)
    width = models.PositiveIntegerField(null=True, blank=True)  # first page, images only
    height = models.PositiveIntegerField(null=True, blank=True)
    stored_name = models.CharField(max_length=200, unique=True)  # generated; in default_storage
    key_id = models.CharField(max_length=16)  # which document key encrypted it (rotation)
    created_at = models.DateTimeField(auto_now_add=True, editable=False)

    class Meta:
        ordering = ("pk",)
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=Kind.values), name="blob_kind_valid"),
            models.CheckConstraint(
                condition=Exact(Length("sha256"), 64), name="blob_sha256_length"
            ),
            models.CheckConstraint(condition=~Q(stored_name=""), name="blob_stored_name_given"),
            models.CheckConstraint(condition=~Q(key_id=""), name="blob_key_id_given"),
            # An accepted kind has its page count; an unknown one has none.
            models.CheckConstraint(
                condition=Q(kind=Kind.UNKNOWN, pages=0) | ~Q(kind=Kind.UNKNOWN),
                name="blob_unknown_has_no_pages",
            ),
        ]

    def __str__(self) -> str:
        return f"Blob {self.pk} ({self.kind}, {self.sha256[:12]})"


class InboxItemQuerySet(RestrictedQuerySet):
    def scope_for(self, user: Actor) -> Self:
        # An item belongs to one location's inbox: staff see the inboxes of their locations.
        from frontdesk.practice.models import Location

        return self.filter(location__in=Location.objects.scope_for(user).values("pk"))


class InboxItem(TimeStampedModel):
    """One arrival in a location's document inbox, with its original file kept unchanged."""

    location = models.ForeignKey(
        "practice.Location", on_delete=models.PROTECT, related_name="inbox_items"
    )
    source = models.CharField(max_length=8, choices=Source.choices)
    display_name = models.CharField(max_length=200)  # sanitised uploader's name, display only
    received_at = models.DateTimeField()
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    blob = models.ForeignKey(Blob, on_delete=models.PROTECT, related_name="items")
    status = models.CharField(max_length=12, choices=ItemStatus.choices)
    quarantine_code = models.CharField(max_length=16, choices=QuarantineCode.choices, blank=True)
    quarantine_reason = models.TextField(blank=True)
    # The first arrival of the same content in the same location ("the second arrival says so").
    duplicate_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="duplicates"
    )
    # The pipeline's progress: it resumes from ``stage`` after a crash; ``attempts`` counts starts.
    stage = models.CharField(max_length=8, choices=Stage.choices, default=Stage.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    processing_error = models.TextField(blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    seconds = models.FloatField(null=True, blank=True)  # processing time of the last finished run
    urgent = models.BooleanField(default=False)
    deleted_reason = models.TextField(blank=True)

    objects = InboxItemQuerySet.as_manager()

    class Meta:
        ordering = ("-received_at", "-pk")
        indexes = [
            models.Index(fields=["location", "status", "received_at"]),
            models.Index(fields=["blob", "location"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(source__in=Source.values), name="inbox_item_source_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ItemStatus.values), name="inbox_item_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(display_name=""), name="inbox_item_display_name_given"
            ),
            # Quarantined exactly when there is a reason, in words and as a code.
            models.CheckConstraint(
                condition=(
                    Q(
                        status=ItemStatus.QUARANTINED,
                        quarantine_code__in=QuarantineCode.values,
                    )
                    & ~Q(quarantine_reason="")
                )
                | (~Q(status=ItemStatus.QUARANTINED) & Q(quarantine_code="", quarantine_reason="")),
                name="inbox_item_quarantined_iff_reason",
            ),
            # A browser upload is always somebody's; machine sources may have nobody.
            models.CheckConstraint(
                condition=~Q(source=Source.UPLOAD) | Q(received_by__isnull=False),
                name="inbox_item_upload_has_user",
            ),
            models.CheckConstraint(
                condition=~Q(duplicate_of=F("pk")), name="inbox_item_not_own_duplicate"
            ),
            models.CheckConstraint(
                condition=Q(stage__in=Stage.values), name="inbox_item_stage_valid"
            ),
            # Deleted exactly when somebody said why.
            models.CheckConstraint(
                condition=(Q(status=ItemStatus.DELETED) & ~Q(deleted_reason=""))
                | (~Q(status=ItemStatus.DELETED) & Q(deleted_reason="")),
                name="inbox_item_deleted_iff_reason",
            ),
            # Filed or waiting for review only once the pipeline is done with it.
            models.CheckConstraint(
                condition=~Q(status__in=[ItemStatus.FILED, ItemStatus.REVIEW])
                | Q(stage__in=[Stage.DONE, Stage.FAILED]),
                name="inbox_item_review_after_pipeline",
            ),
        ]

    def __str__(self) -> str:
        return f"Inbox item {self.pk} ({self.status})"

    @property
    def is_quarantined(self) -> bool:
        return self.status == ItemStatus.QUARANTINED


class InboxPage(models.Model):
    """One page of an inbox item as the pipeline read it: its text, codes and identifiers.

    ``rotation`` is the clockwise turn that makes the page upright (detected, or set by a person);
    ``deleted`` pages (blank pages, cover sheets a person removed) are left out of what is filed.
    """

    item = models.ForeignKey(InboxItem, on_delete=models.CASCADE, related_name="pages")
    index = models.PositiveIntegerField()  # 0-based, in the original file
    text = models.TextField(blank=True)
    text_source = models.CharField(max_length=8, default="ocr")  # layer | ocr | none
    ocr_confidence = models.FloatField(default=0)
    rotation = models.PositiveSmallIntegerField(default=0)
    codes = models.JSONField(default=list, blank=True)  # barcode / QR texts found on the page
    identifiers = models.JSONField(default=dict, blank=True)  # extract.Identifiers as JSON
    deleted = models.BooleanField(default=False)

    class Meta:
        ordering = ("item", "index")
        constraints = [
            models.UniqueConstraint(fields=["item", "index"], name="inbox_page_unique_index"),
            models.CheckConstraint(
                condition=Q(rotation__in=[0, 90, 180, 270]), name="inbox_page_rotation_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Page {self.index + 1} of inbox item {self.item_id}"


class DocumentQuerySet(RestrictedQuerySet):
    def scope_for(self, user: Actor) -> Self:
        # A chart document is seen by whoever may see its patient.
        from frontdesk.patients.models import Patient

        return self.filter(patient__in=Patient.objects.scope_for(user).values("pk"))


class Document(TimeStampedModel):
    """A document in a patient's chart: a category, a date, a title, and its versions."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="documents"
    )
    location = models.ForeignKey("practice.Location", on_delete=models.PROTECT, related_name="+")
    doc_type = models.CharField(max_length=16, choices=DocType.choices)
    title = models.CharField(max_length=200)
    document_date = models.DateField(null=True, blank=True)  # date of service / of the letter
    appointment = models.ForeignKey(
        "scheduling.Appointment", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    source_item = models.ForeignKey(
        InboxItem, on_delete=models.PROTECT, null=True, blank=True, related_name="documents"
    )
    filed_by = models.CharField(max_length=8, choices=FiledBy.choices)
    filed_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    urgent = models.BooleanField(default=False)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_off_at = models.DateTimeField(null=True, blank=True)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The team worklist the document starts work on (copied from its inbox segment when filed), and
    # when that work was done, by whom, with a note and what it produced ("authorization:12").
    work_queue = models.CharField(max_length=24, choices=WorkQueue.choices, blank=True)
    work_done_at = models.DateTimeField(null=True, blank=True)
    work_done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    work_note = models.CharField(max_length=500, blank=True)
    work_reference = models.CharField(max_length=40, blank=True)

    objects = DocumentQuerySet.as_manager()

    class Meta:
        ordering = ("-document_date", "-pk")
        indexes = [
            models.Index(fields=["patient", "doc_type", "document_date"]),
            models.Index(fields=["assigned_to", "signed_off_at"]),
            models.Index(fields=["work_queue", "work_done_at", "location"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(doc_type__in=DocType.values), name="document_type_valid"
            ),
            models.CheckConstraint(condition=~Q(title=""), name="document_title_given"),
            models.CheckConstraint(
                condition=Q(filed_by__in=FiledBy.values), name="document_filed_by_valid"
            ),
            # A person files with their name on it; the machine files by code or certain match.
            models.CheckConstraint(
                condition=(Q(filed_by=FiledBy.PERSON) & Q(filed_by_user__isnull=False))
                | (~Q(filed_by=FiledBy.PERSON) & Q(filed_by_user__isnull=True)),
                name="document_person_filing_named",
            ),
            models.CheckConstraint(
                condition=Q(signed_off_at__isnull=True, signed_off_by__isnull=True)
                | Q(signed_off_at__isnull=False, signed_off_by__isnull=False),
                name="document_sign_off_whole",
            ),
            models.CheckConstraint(
                condition=Q(work_queue__in=[*WorkQueue.values, ""]),
                name="document_work_queue_valid",
            ),
            # Work is done at a time by a person, and only on a document in a work queue.
            models.CheckConstraint(
                condition=Q(work_done_at__isnull=True, work_done_by__isnull=True)
                | (Q(work_done_at__isnull=False, work_done_by__isnull=False) & ~Q(work_queue="")),
                name="document_work_done_whole",
            ),
        ]

    def __str__(self) -> str:
        return f"Document {self.pk} ({self.doc_type})"


class DocumentVersion(models.Model):
    """One version of a chart document: its own blob; a corrected scan adds one, the first stays."""

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    blob = models.ForeignKey(Blob, on_delete=models.PROTECT, related_name="versions")
    pages = models.PositiveIntegerField()
    text = models.TextField(blank=True)  # the pages' text (layer or OCR), for full-text search
    reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, editable=False)

    class Meta:
        ordering = ("document", "number")
        constraints = [
            models.UniqueConstraint(
                fields=["document", "number"], name="document_version_unique_number"
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="document_version_number_pos"),
            models.CheckConstraint(condition=Q(pages__gte=1), name="document_version_has_pages"),
            # Every version after the first says why it was made.
            models.CheckConstraint(
                condition=Q(number=1) | ~Q(reason=""), name="document_version_reason_given"
            ),
        ]

    def __str__(self) -> str:
        return f"Version {self.number} of document {self.document_id}"


class SegmentQuerySet(RestrictedQuerySet):
    def scope_for(self, user: Actor) -> Self:
        from frontdesk.practice.models import Location

        return self.filter(item__location__in=Location.objects.scope_for(user).values("pk"))


class InboxSegment(TimeStampedModel):
    """A part of an inbox item that is one document: pages, a type, a patient (suggested or chosen).

    The pipeline proposes segments (one per patient in a packet); a person may split, merge, re-type
    or re-assign them in review. A filed segment points at the chart document it became.
    """

    item = models.ForeignKey(InboxItem, on_delete=models.CASCADE, related_name="segments")
    position = models.PositiveIntegerField()  # order within the item
    page_indexes = models.JSONField(default=list)  # indexes of the item's pages, in order
    doc_type = models.CharField(max_length=16, choices=DocType.choices, default=DocType.OTHER)
    type_confidence = models.FloatField(default=0)
    type_reasons = models.JSONField(default=list, blank=True)
    title = models.CharField(max_length=200, blank=True)
    document_date = models.DateField(null=True, blank=True)
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    appointment = models.ForeignKey(
        "scheduling.Appointment", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    match_score = models.FloatField(default=0)
    # Ranked candidates: [{"patient_id": 12, "score": 0.97, "reasons": ["date of birth", ...]}]
    suggestions = models.JSONField(default=list, blank=True)
    match_reasons = models.JSONField(default=list, blank=True)  # why it was or was not auto-filed
    status = models.CharField(
        max_length=8, choices=SegmentStatus.choices, default=SegmentStatus.REVIEW
    )
    document = models.OneToOneField(
        Document, on_delete=models.PROTECT, null=True, blank=True, related_name="segment"
    )
    urgent = models.BooleanField(default=False)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    work_queue = models.CharField(max_length=24, blank=True)  # records_release | referrals | ...

    objects = SegmentQuerySet.as_manager()

    class Meta:
        ordering = ("item", "position")
        constraints = [
            models.UniqueConstraint(fields=["item", "position"], name="inbox_segment_position"),
            models.CheckConstraint(
                condition=Q(status__in=SegmentStatus.values), name="inbox_segment_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(doc_type__in=DocType.values), name="inbox_segment_type_valid"
            ),
            # Filed exactly when it became a chart document (of the segment's patient).
            models.CheckConstraint(
                condition=(
                    Q(status=SegmentStatus.FILED) & Q(document__isnull=False, patient__isnull=False)
                )
                | (~Q(status=SegmentStatus.FILED) & Q(document__isnull=True)),
                name="inbox_segment_filed_iff_document",
            ),
        ]

    def __str__(self) -> str:
        return f"Segment {self.position} of inbox item {self.item_id}"


class CorrespondenceQuerySet(RestrictedQuerySet):
    def scope_for(self, user: Actor) -> Self:
        from frontdesk.practice.models import Location

        return self.filter(location__in=Location.objects.scope_for(user).values("pk"))


class Correspondence(TimeStampedModel):
    """The correspondence log: every fax, e-mail, letter in or out, whom it went to, when handled."""

    location = models.ForeignKey("practice.Location", on_delete=models.PROTECT, related_name="+")
    direction = models.CharField(max_length=3, choices=Direction.choices)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    status = models.CharField(max_length=8, choices=CorrespondenceStatus.choices)
    counterpart = models.CharField(max_length=200, blank=True)  # fax number, address, sender
    subject = models.CharField(max_length=200, blank=True)
    pages = models.PositiveIntegerField(default=0)
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    document = models.ForeignKey(
        Document, on_delete=models.PROTECT, null=True, blank=True, related_name="correspondence"
    )
    inbox_item = models.ForeignKey(
        InboxItem, on_delete=models.PROTECT, null=True, blank=True, related_name="correspondence"
    )
    # Every inbox item the piece brought (an e-mail with three attachments: three), the first is
    # also ``inbox_item``; and the whole e-mail as it arrived (.eml), kept like any file.
    items = models.ManyToManyField(InboxItem, blank=True, related_name="arrivals")
    message_blob = models.ForeignKey(
        Blob, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The transport's own id (fax provider's job or message id, e-mail Message-ID): one row per id.
    external_id = models.CharField(max_length=200, blank=True)
    routed_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    routed_at = models.DateTimeField(null=True, blank=True)
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    error = models.TextField(blank=True)

    objects = CorrespondenceQuerySet.as_manager()

    class Meta:
        ordering = ("-created_at", "-pk")
        indexes = [models.Index(fields=["location", "direction", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(direction__in=Direction.values), name="correspondence_direction_valid"
            ),
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="correspondence_channel_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=CorrespondenceStatus.values),
                name="correspondence_status_valid",
            ),
            models.UniqueConstraint(
                fields=["channel", "direction", "external_id"],
                condition=~Q(external_id=""),
                name="correspondence_external_id_once",
            ),
            models.CheckConstraint(
                condition=Q(handled_at__isnull=True, handled_by__isnull=True)
                | Q(handled_at__isnull=False),
                name="correspondence_handled_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"Correspondence {self.pk} ({self.direction} {self.channel})"


# A secure link locks after this many wrong access codes (the recipient phones the practice again).
SECURE_LINK_MAX_ATTEMPTS = 5


class SecureLinkQuerySet(RestrictedQuerySet):
    def scope_for(self, user: Actor) -> Self:
        # Whoever may see both the log row's location and the document's patient.
        return self.filter(
            correspondence__in=Correspondence.objects.scope_for(user).values("pk"),
            document__in=Document.objects.scope_for(user).values("pk"),
        )


class SecureLink(TimeStampedModel):
    """A chart document sent by secure e-mail: a link to a pickup page, opened with an access code.

    The e-mail carries only the link (no PHI); the raw token exists only in that e-mail and the code
    only on the sender's confirmation screen (staff tell it by phone): both are stored as hashes. The
    link serves the version that was sent, until it expires, is used up, locks after
    ``SECURE_LINK_MAX_ATTEMPTS`` wrong codes, or is revoked (by staff, or when the e-mail could not
    be handed to the mail server).
    """

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="secure_links")
    version = models.ForeignKey(DocumentVersion, on_delete=models.PROTECT, related_name="+")
    correspondence = models.OneToOneField(
        Correspondence, on_delete=models.PROTECT, related_name="secure_link"
    )
    recipient = models.EmailField(max_length=254)
    token_hash = models.CharField(max_length=64, unique=True)  # SHA-256 hex of the raw token
    code_hash = models.CharField(max_length=128)  # Django password hash of the 6-digit code
    # Why it goes out (the accounting of disclosures records it at the first download).
    purpose = models.CharField(max_length=24, choices=Purpose.choices)
    expires_at = models.DateTimeField()
    max_downloads = models.PositiveSmallIntegerField(default=5)
    download_count = models.PositiveSmallIntegerField(default=0)
    last_download_at = models.DateTimeField(null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    objects = SecureLinkQuerySet.as_manager()

    class Meta:
        ordering = ("-created_at", "-pk")
        constraints = [
            models.CheckConstraint(
                condition=Exact(Length("token_hash"), 64), name="secure_link_token_hash_length"
            ),
            models.CheckConstraint(condition=~Q(code_hash=""), name="secure_link_code_given"),
            models.CheckConstraint(condition=~Q(recipient=""), name="secure_link_recipient_given"),
            models.CheckConstraint(
                condition=Q(purpose__in=Purpose.values), name="secure_link_purpose_valid"
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("created_at")),
                name="secure_link_expires_after_created",
            ),
            models.CheckConstraint(
                condition=Q(max_downloads__gte=1), name="secure_link_max_downloads_positive"
            ),
            models.CheckConstraint(
                condition=Q(download_count__gte=0) & Q(download_count__lte=F("max_downloads")),
                name="secure_link_downloads_within_max",
            ),
            models.CheckConstraint(
                condition=Q(failed_attempts__gte=0)
                & Q(failed_attempts__lte=SECURE_LINK_MAX_ATTEMPTS),
                name="secure_link_attempts_within_lock",
            ),
            models.CheckConstraint(
                condition=Q(download_count=0, last_download_at__isnull=True)
                | Q(download_count__gt=0, last_download_at__isnull=False),
                name="secure_link_last_download_iff_downloaded",
            ),
            # Revoked by a person, or by the system (the e-mail never left): a time either way.
            models.CheckConstraint(
                condition=Q(revoked_by__isnull=True) | Q(revoked_at__isnull=False),
                name="secure_link_revoker_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"Secure link {self.pk} of document {self.document_id}"

    @property
    def locked(self) -> bool:
        return self.failed_attempts >= SECURE_LINK_MAX_ATTEMPTS

    def state(self, now: Any) -> str:
        """``usable``, or why not: ``revoked``, ``locked``, ``used_up``, ``expired``."""
        if self.revoked_at is not None:
            return "revoked"
        if self.locked:
            return "locked"
        if self.download_count >= self.max_downloads:
            return "used_up"
        if self.expires_at <= now:
            return "expired"
        return "usable"

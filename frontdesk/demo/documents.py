"""The demo practice's document inbox: a morning's faxes and scans for the demo patients.

A small labelled corpus (the benchmark's generator, ``documents/corpus``) is received into the first
location's inbox as faxes and scans through the real ``document_receive``. Each is queued for the
pipeline when the load commits, so the worker that ``frontdesk serve`` starts reads them: most file
themselves into the charts, the rest wait in the review queue with suggestions. Synthetic only.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from frontdesk.documents.choices import Source
from frontdesk.documents.corpus.generate import generate_corpus
from frontdesk.documents.corpus.source import corpus_appointments, corpus_patients
from frontdesk.documents.models import (
    Correspondence,
    Document,
    DocumentVersion,
    InboxItem,
    InboxPage,
    InboxSegment,
)
from frontdesk.documents.services import document_receive
from frontdesk.practice.models import Location

DEMO_DOCUMENTS = 16
SOURCES = {"fax": Source.FAX, "scan": Source.SCAN, "email": Source.EMAIL}


@dataclass(frozen=True)
class DocumentStats:
    received: int = 0


def documents_build(*, location: Location, seed: int, count: int = DEMO_DOCUMENTS) -> DocumentStats:
    """Receive ``count`` synthetic documents into ``location``'s inbox (inside the load's
    transaction; the pipeline runs after the commit, in the worker)."""
    patients = corpus_patients()
    if len(patients) < 30 or count <= 0:
        return DocumentStats()
    with tempfile.TemporaryDirectory(prefix="frontdesk-demo-docs-") as folder:
        out = Path(folder)
        manifest = generate_corpus(
            patients, out, count=count, seed=seed, appointments=corpus_appointments()
        )
        for entry in manifest["documents"]:
            document_receive(
                actor=None,
                location=location,
                source=SOURCES.get(entry.get("source", ""), Source.SCAN),
                name=entry["file"],
                data=(out / entry["file"]).read_bytes(),
            )
    return DocumentStats(received=len(manifest["documents"]))


def documents_delete() -> int:
    """Remove the inbox and the chart documents (before the patients they name). Blobs stay:
    content-addressed ciphertext that nothing names any more."""
    Correspondence.objects.all().delete()
    InboxSegment.objects.all().delete()
    DocumentVersion.objects.all().delete()
    removed, _ = Document.objects.all().delete()
    InboxPage.objects.all().delete()
    InboxItem.objects.filter(duplicate_of__isnull=False).delete()
    InboxItem.objects.all().delete()
    return removed

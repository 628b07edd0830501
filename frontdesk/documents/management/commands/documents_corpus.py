"""``frontdesk documents corpus --out DIR [--count N] [--seed S] [--force]``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.documents.corpus.generate import MANIFEST, generate_corpus, summarize
from frontdesk.documents.corpus.source import corpus_appointments, corpus_patients

MIN_PATIENTS = 30


class Command(BaseCommand):
    help = (
        "Write a labelled benchmark corpus for the document inbox: synthetic faxes, scans, e-mailed "
        "PDFs and card photos about the practice's patients, with manifest.json saying whose each "
        "page is. Synthetic paper for real patient records: use it on demo data only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--out", required=True, type=Path, help="Folder to write (empty or new)."
        )
        parser.add_argument("--count", type=int, default=320, help="Documents (default 320).")
        parser.add_argument("--seed", type=int, default=7, help="Random seed (default 7).")
        parser.add_argument(
            "--force", action="store_true", help="Write into a folder that is not empty."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        out: Path = options["out"].expanduser()
        count: int = options["count"]
        if count < 1:
            raise CommandError("--count must be at least 1.")
        if out.exists() and not out.is_dir():
            raise CommandError(f"{out} is a file, not a folder.")
        if out.is_dir() and any(out.iterdir()) and not options["force"]:
            raise CommandError(f"{out} is not empty; choose a new folder or add --force.")
        patients = corpus_patients()
        if len(patients) < MIN_PATIENTS:
            raise CommandError(
                f"The corpus needs at least {MIN_PATIENTS} active patients; there are "
                f"{len(patients)}. Load the demo practice first: frontdesk demo"
            )
        appointments = corpus_appointments()
        started = time.monotonic()
        manifest = generate_corpus(
            patients, out, count=count, seed=options["seed"], appointments=appointments
        )
        seconds = time.monotonic() - started
        summary = summarize(manifest)
        audit_record(
            actor=None,
            actor_name="documents corpus",
            action=AuditAction.EXPORT,
            category=AuditCategory.DOCUMENTS,
            object_type="document_corpus",
            object_id=options["seed"],
            detail={
                "documents": summary["documents"],
                "pages": summary["pages"],
                "patients_available": len(patients),
            },
        )
        self.stdout.write(
            f"{summary['documents']} documents, {summary['pages']} pages, "
            f"{summary['segments']} segments in {out} ({seconds:.1f} s); labels in {out / MANIFEST}"
        )
        self.stdout.write(
            "By type: " + ", ".join(f"{k} {v}" for k, v in summary["by_type"].items())
        )
        self.stdout.write(
            "By capture: " + ", ".join(f"{k} {v}" for k, v in summary["by_capture"].items())
        )
        self.stdout.write(
            "Hard cases: " + (", ".join(f"{k} {v}" for k, v in summary["hard"].items()) or "none")
        )
        self.stdout.write(
            f"Carrying a FrontDesk code: {summary['with_code']}; about a non-patient: "
            f"{summary['not_a_patient']}"
        )

"""The document pipeline on the labelled benchmark corpus (issue 7): accuracy and pages per minute.

Targets: >= 70 % of documents auto-filed with zero wrong-patient filings; the right patient in the
top 3 suggestions for >= 95 % of the rest; >= 20 pages per minute on 2 cores.

The corpus is made by the real generator (``frontdesk documents corpus``) for the patients of the
configured database (load the demo practice first), every file is received through the real
``document_receive`` (as a fax, scan, e-mail or upload, as the manifest says) and processed by the
real pipeline (``pipeline.document_process``: page rendering, text layer or Tesseract OCR with
rotation, barcodes, segmentation, classification, patient matching, filing into the chart), two
documents at a time (``--workers``, one per core; each document's pages then one at a time). The
outcome of every item is scored against the labels (``corpus/score.py``).

    export FRONTDESK_DATA_DIR=/tmp/fd-docbench
    python manage.py migrate && python -m frontdesk.cli demo
    python benchmarks/documents_pipeline.py --fresh [--count 320] [--seed 7] [--workers 2] [--json OUT]

Use a data folder of its own: the documents are filed into the demo charts. ``--fresh`` empties the
inbox first (the demo's own morning faxes too) and reuses a corpus generated there before.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._setup import django_setup

SOURCES = {"fax": "fax", "scan": "scan", "email": "email", "upload": "cli"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=320)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument(
        "--corpus", type=Path, help="Corpus folder (default: DATA_DIR/bench-corpus)"
    )
    parser.add_argument("--json", type=Path, help="Write the report and every outcome as JSON here")
    parser.add_argument(
        "--limit", type=int, help="Process only the first N documents of the corpus (quick runs)"
    )
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="Empty the inbox and the chart documents of an earlier run first (a benchmark database "
        "only), and reuse the corpus already generated in --corpus",
    )
    args = parser.parse_args()
    # Documents run in parallel, one per core; a document's pages then one at a time.
    os.environ["FRONTDESK_DOCUMENT_OCR_THREADS"] = "1"
    django_setup()

    from django.conf import settings
    from django.db import connection

    from frontdesk.documents.corpus.generate import generate_corpus
    from frontdesk.documents.corpus.score import score
    from frontdesk.documents.corpus.source import corpus_appointments, corpus_patients
    from frontdesk.documents.models import InboxItem
    from frontdesk.documents.pipeline import document_process
    from frontdesk.documents.selectors import inbox_item_outcome
    from frontdesk.documents.services import document_receive
    from frontdesk.practice.models import Location

    settings.FRONTDESK_DOCUMENT_OCR_THREADS = 1
    if args.fresh:
        from frontdesk.demo.documents import documents_delete

        documents_delete()
    if InboxItem.objects.exists():
        raise SystemExit("The inbox is not empty: run the benchmark on a fresh FRONTDESK_DATA_DIR.")
    location = Location.objects.filter(is_active=True).order_by("pk").first()
    if location is None:
        raise SystemExit("No location: load the demo practice first (frontdesk demo).")
    corpus = args.corpus or Path(settings.DATA_DIR) / "bench-corpus"
    started = time.monotonic()
    if args.fresh and (corpus / "manifest.json").exists():
        manifest = json.loads((corpus / "manifest.json").read_text())
        print(f"corpus: {len(manifest['documents'])} documents reused from {corpus}")
    else:
        manifest = generate_corpus(
            corpus_patients(),
            corpus,
            count=args.count,
            seed=args.seed,
            appointments=corpus_appointments(),
        )
        generated = time.monotonic() - started
        print(f"corpus: {len(manifest['documents'])} documents in {generated:.0f} s -> {corpus}")
    if args.limit:
        manifest = {**manifest, "documents": manifest["documents"][: args.limit]}

    items: dict[str, int] = {}
    for entry in manifest["documents"]:
        data = (corpus / entry["file"]).read_bytes()
        item = document_receive(
            actor=None,
            location=location,
            source=SOURCES.get(entry.get("source", ""), "cli"),
            name=entry["file"],
            data=data,
        )
        items[entry["file"]] = item.pk

    def run(file_name: str) -> tuple[str, float]:
        began = time.monotonic()
        try:
            document_process(item_id=items[file_name])
        finally:
            connection.close()
        return file_name, time.monotonic() - began

    wall_started = time.monotonic()
    seconds: dict[str, float] = {}
    with ThreadPoolExecutor(max_workers=args.workers) as pool:
        for done, (file_name, took) in enumerate(pool.map(run, list(items)), start=1):
            seconds[file_name] = took
            if done % 25 == 0:
                print(f"  {done}/{len(items)} processed, {time.monotonic() - wall_started:.0f} s")
    wall = time.monotonic() - wall_started

    outcomes: dict[str, Any] = {}
    failed = []
    for file_name, item_id in items.items():
        outcome = inbox_item_outcome(item_id=item_id)
        if outcome.error:
            failed.append((file_name, outcome.error))
        outcomes[file_name] = {
            "segments": [
                {
                    "pages": [min(s.pages), max(s.pages) + 1] if s.pages else [0, 0],
                    "auto_filed": s.auto_filed,
                    "patient_id": s.patient_id if s.auto_filed else None,
                    "doc_type": s.doc_type,
                    "suggestions": s.suggestions,
                }
                for s in outcome.segments
            ],
            "seconds": seconds[file_name],
        }
    report = score(manifest, outcomes, wall_seconds=wall)
    print()
    print(report.as_markdown())
    print()
    print(
        f"workers {args.workers}, wall {wall:.0f} s, database {connection.vendor}, "
        f"pipeline failures {len(failed)}"
    )
    for file_name, error in failed[:10]:
        print(f"  failed: {file_name}: {error}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {"report": report.as_dict(), "outcomes": outcomes, "wall_seconds": wall},
                indent=1,
                default=str,
            )
        )


if __name__ == "__main__":
    main()

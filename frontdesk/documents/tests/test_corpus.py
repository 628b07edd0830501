"""The benchmark corpus: generated files, their labels, determinism, the scoring and the command."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import itertools
import json
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
import zxingcpp
from django.core.management import CommandError, call_command
from PIL import Image
from pypdf import PdfReader

from frontdesk.audit.models import AuditEvent
from frontdesk.cli import translate
from frontdesk.documents.choices import DocType
from frontdesk.documents.codes import decode_document_code
from frontdesk.documents.corpus.generate import (
    FAX_DPI,
    MAX_SKEW,
    CorpusAppointment,
    CorpusPatient,
    generate_corpus,
    summarize,
)
from frontdesk.documents.corpus.score import score
from frontdesk.printing.formcode import decode_form_code
from tests.factories import AppointmentFactory, CoverageFactory, PatientFactory, PatientPhoneFactory

COUNT = 24
_FIRST = ("William", "Jane", "Robert", "Maria", "Ann", "Tom", "Elizabeth", "Carl", "Dana", "Eve",
          "Frank", "Jane", "Hal", "Iris", "Jack")  # fmt: skip
_LAST = ("Zzexample", "Zzexample", "Testerly", "Samplely", "Demoson", "Mockery", "Fakeman", "Fakeman",
         "Notreal", "Pretend", "Pretend", "Zzexample", "Imaginary", "Unreal", "Dummy")  # fmt: skip


def _patients() -> list[CorpusPatient]:
    patients = [
        CorpusPatient(
            id=100 + i,
            first=first,
            last=last,
            middle="Quinn" if i % 3 == 0 else "",
            dob=dt.date(1940 + 3 * i, i % 12 + 1, i + 1),
            mrn=f"M{i:07d}",
            phone=f"518555{i:04d}",
            member_id=f"XM{i:08d}",
            payer="Example Health Plan",
            sex="F" if i % 2 else "M",
            address=f"{i} Sample St, Albany, NY 12203",
        )
        for i, (first, last) in enumerate(zip(_FIRST, _LAST, strict=True), start=1)
    ]
    # Twins: Pretend (Dana, #109) and Pretend (Eve, #110) share a birthday.
    patients[9] = CorpusPatient(**{**patients[9].__dict__, "dob": patients[8].dob})
    # Jack Dummy has no coverage: payer paper is never about him.
    patients[14] = CorpusPatient(**{**patients[14].__dict__, "member_id": "", "payer": ""})
    return patients


def _appointments() -> list[CorpusAppointment]:
    return [
        CorpusAppointment(
            id=700 + i,
            patient_id=100 + i,
            starts_at=dt.datetime(2026, 10, 5, 14, 30, tzinfo=dt.UTC),
        )
        for i in range(1, 6)
    ]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("corpus")
    return out, generate_corpus(
        _patients(), out, count=COUNT, seed=11, appointments=_appointments()
    )


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_every_file_exists_opens_and_has_the_pages_the_manifest_says(corpus):
    out, manifest = corpus
    assert json.loads((out / "manifest.json").read_text()) == manifest
    documents = manifest["documents"]
    assert len(documents) == COUNT
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [d["file"] for d in documents] + ["manifest.json"]
    )
    for document in documents:
        path = out / document["file"]
        assert _sha(path) == document["sha256"]
        if document["kind"] == "pdf":
            assert len(PdfReader(path).pages) == document["pages"], document["file"]
        else:
            with Image.open(path) as image:
                assert getattr(image, "n_frames", 1) == document["pages"], document["file"]
                assert (
                    image.format == {"tiff": "TIFF", "jpeg": "JPEG", "png": "PNG"}[document["kind"]]
                )


def test_faxes_are_one_bit_group4_tiffs_at_fax_resolution(corpus):
    out, manifest = corpus
    faxes = [d for d in manifest["documents"] if d["capture"] == "fax"]
    assert faxes and all(d["kind"] == "tiff" and d["source"] == "fax" for d in faxes)
    for document in faxes:
        with Image.open(out / document["file"]) as image:
            for frame in range(document["pages"]):
                image.seek(frame)
                assert image.mode == "1"
                assert image.size == (1728, 1078)
                assert tuple(round(v) for v in image.info["dpi"]) == FAX_DPI
                assert image.info["compression"] == "group4"


def test_degradations_and_captures_are_labelled(corpus):
    _, manifest = corpus
    documents = manifest["documents"]
    captures = {d["capture"] for d in documents}
    assert captures == {"fax", "scan", "born_digital", "photo"}
    for document in documents:
        if document["capture"] in ("fax", "scan"):
            assert abs(document["skew_degrees"]) <= MAX_SKEW
        if document["capture"] == "born_digital":
            assert document["skew_degrees"] == 0.0 and document["kind"] == "pdf"
        if document["capture"] == "photo":
            assert document["kind"] in ("jpeg", "png")
            assert document["doc_type"] in (DocType.INSURANCE_CARD, DocType.PHOTO_ID)
        assert all(0 <= page < document["pages"] for page in document["upside_down_pages"])
        assert ("upside_down" in document["hard"]) == bool(document["upside_down_pages"])
    assert any(d["skew_degrees"] != 0 for d in documents)


def test_segments_cover_every_page_and_name_known_patients(corpus):
    _, manifest = corpus
    ids = {p.id for p in _patients()}
    for document in manifest["documents"]:
        segments = document["segments"]
        assert segments[0]["pages"][0] == 0
        assert segments[-1]["pages"][1] == document["pages"]
        for before, after in itertools.pairwise(segments):
            assert before["pages"][1] == after["pages"][0]
        for segment in segments:
            assert segment["pages"][0] < segment["pages"][1]
            assert segment["patient_id"] is None or segment["patient_id"] in ids
            assert segment["doc_type"] in DocType.values
        if "multi_patient" in document["hard"]:
            assert len(segments) >= 2 and document["capture"] == "fax"
            assert len({s["patient_id"] for s in segments}) == len(segments)
        else:
            assert len(segments) == 1
        if "non_patient" in document["hard"]:
            assert [s["patient_id"] for s in segments] == [None]
            assert not document["carries_code"]
    summary = summarize(manifest)
    assert summary["hard"]["multi_patient"] == 2  # 8% of 24
    assert summary["hard"]["non_patient"] == 1  # 5% of 24
    assert summary["documents"] == COUNT
    assert summary["pages"] == sum(d["pages"] for d in manifest["documents"])


def test_born_digital_pdfs_keep_a_text_layer_naming_the_patient(corpus):
    out, manifest = corpus
    names = {p.id: p for p in _patients()}
    digital = [d for d in manifest["documents"] if d["capture"] == "born_digital"]
    assert digital
    for document in digital:
        text = " ".join(page.extract_text() for page in PdfReader(out / document["file"]).pages)
        patient_id = document["segments"][0]["patient_id"]
        if patient_id is not None and not {"typo", "nickname"} & set(document["hard"]):
            assert names[patient_id].last.lower() in text.lower()


def test_frontdesk_codes_on_scanned_paper_decode_to_the_labelled_patient(corpus):
    out, manifest = corpus
    appointments = {a.id: a.patient_id for a in _appointments()}
    scanned = [d for d in manifest["documents"] if d["carries_code"] and d["capture"] == "scan"]
    assert scanned
    for document in scanned:
        pdf = pdfium.PdfDocument(out / document["file"])
        page = len(pdf) - 1 if 0 in document["upside_down_pages"] else 0
        image = pdf[page].render(scale=1).to_pil()
        pdf.close()
        texts = [r.text for r in zxingcpp.read_barcodes(image)]
        assert len(texts) == 1, document["file"]
        expected = document["segments"][0]
        if document["code"] == "FDAPPT":
            assert appointments[decode_form_code(texts[0])] == expected["patient_id"]
        else:
            code = decode_document_code(texts[0])
            assert (code.patient_id, code.doc_type) == (
                expected["patient_id"],
                expected["doc_type"],
            )


def test_the_same_seed_gives_the_same_manifest_and_bytes(corpus, tmp_path):
    out, manifest = corpus
    again = generate_corpus(
        _patients(), tmp_path, count=COUNT, seed=11, appointments=_appointments()
    )
    assert again["documents"] == manifest["documents"]
    for document in manifest["documents"]:
        assert _sha(tmp_path / document["file"]) == _sha(out / document["file"])
    other = generate_corpus(_patients(), tmp_path / "other", count=6, seed=12)
    assert [d["sha256"] for d in other["documents"]] != [
        d["sha256"] for d in manifest["documents"][:6]
    ]


def test_hard_cases_are_tagged_and_payer_paper_is_about_insured_patients(corpus):
    _, manifest = corpus
    hard = {tag for d in manifest["documents"] for tag in d["hard"]}
    assert {"same_name", "multi_patient", "non_patient"} <= hard
    insured = {p.id for p in _patients() if p.member_id}
    payer_paper = [
        s["patient_id"]
        for d in manifest["documents"]
        for s in d["segments"]
        if d["doc_type"] in ("insurance_card", "prior_auth", "payer_letter") and s["patient_id"]
    ]
    assert payer_paper and set(payer_paper) <= insured


# --- scoring ----------------------------------------------------------------------------------


def _manifest() -> dict[str, Any]:
    def doc(file, pages, segments, hard=()):
        return {
            "file": file,
            "pages": pages,
            "doc_type": segments[0][2],
            "hard": list(hard),
            "segments": [{"pages": p, "patient_id": pid, "doc_type": t} for p, pid, t in segments],
        }

    return {
        "documents": [
            doc("a.tif", 2, [([0, 2], 1, "lab_result")]),
            doc("b.pdf", 1, [([0, 1], 2, "referral")]),
            doc(
                "c.tif",
                3,
                [([0, 1], 3, "lab_result"), ([1, 3], 4, "lab_result")],
                ["multi_patient"],
            ),
            doc("d.pdf", 1, [([0, 1], None, "consult_note")], ["non_patient"]),
            doc("e.jpg", 1, [([0, 1], 5, "insurance_card")]),
            doc("f.tif", 1, [([0, 1], 6, "prior_auth")]),
            doc("g.pdf", 2, [([0, 2], 7, "consult_note")]),
        ]
    }


def _seg(pages, auto, patient, doc_type, suggestions=()):
    return {
        "pages": pages,
        "auto_filed": auto,
        "patient_id": patient,
        "doc_type": doc_type,
        "suggestions": list(suggestions),
    }


def test_score_counts_exactly():
    outcomes = {
        # right patient, auto-filed
        "a.tif": {"segments": [_seg([0, 2], True, 1, "lab_result")], "seconds": 4.0},
        # review, right patient second
        "b.pdf": {
            "segments": [_seg([0, 1], False, None, "consult_note", [9, 2, 3])],
            "seconds": 1.0,
        },
        # multi-patient not split, auto-filed to patient 3: a privacy breach for patient 4's pages
        "c.tif": {"segments": [_seg([0, 3], True, 3, "lab_result")], "seconds": 3.0},
        # a non-patient sent to review
        "d.pdf": {"segments": [_seg([0, 1], False, None, "consult_note", [8])], "seconds": 1.0},
        # review, right patient first
        "e.jpg": {"segments": [_seg([0, 1], False, None, "insurance_card", [5])], "seconds": 2.0},
        # review, suggested patient only through patient_id
        "f.tif": {"segments": [_seg([0, 1], False, 6, "payer_letter")], "seconds": 1.0},
        # g.pdf: never processed
    }
    report = score(_manifest(), outcomes)
    assert (report.documents, report.documents_scored, report.pages, report.segments) == (
        7,
        6,
        11,
        8,
    )
    assert (report.segments_auto_filed, report.auto_filed, report.auto_filed_correct) == (3, 2, 1)
    assert report.share_auto_filed == 3 / 8
    assert report.auto_filed_precision == 0.5
    assert [(w.file, w.pages, w.filed_to, w.expected) for w in report.wrong] == [
        ("c.tif", [0, 3], 3, [3, 4])
    ]
    # Review segments with a known patient: b, e, f, g (no outcome).
    assert (report.review_segments, report.top1, report.top3) == (4, 2, 3)
    assert (report.non_patients, report.non_patients_not_filed) == (1, 1)
    assert report.classified_correct == 5  # a, c (both segments), d, e
    assert report.confusion["referral"] == {"consult_note": 1}
    assert report.confusion["consult_note"] == {"consult_note": 1, "(none)": 1}
    assert (report.multi_patient_documents, report.split_correct) == (1, 0)
    assert report.pages_scored == 9 and report.seconds == 12.0
    assert report.pages_per_minute == 45.0
    assert report.by_hard == {
        "multi_patient": {"segments": 2, "auto_filed": 2, "wrong": 1},
        "non_patient": {"segments": 1, "auto_filed": 0, "wrong": 0},
    }
    data = report.as_dict()
    assert data["auto_filed_precision"] == 0.5 and data["top3_accuracy"] == 0.75
    markdown = report.as_markdown()
    assert "| Auto-filed precision (target 100%) | 50.0% (1/2) |" in markdown
    assert "- c.tif pages 1-3: filed to 3, expected 3, 4" in markdown


def test_score_a_perfect_split_and_a_filed_non_patient():
    outcomes = {
        "c.tif": {
            "segments": [_seg([0, 1], True, 3, "lab_result"), _seg([1, 3], True, 4, "lab_result")],
            "seconds": 2.0,
        },
        "d.pdf": {"segments": [_seg([0, 1], True, 2, "consult_note")], "seconds": 1.0},
        "a.tif": {
            "segments": [
                _seg([0, 1], False, None, "lab_result", [1]),
                _seg([1, 2], False, None, "lab_result", [1]),
            ],
            "seconds": 1.0,
        },
    }
    report = score(_manifest(), outcomes, wall_seconds=3.0)
    assert (report.split_correct, report.multi_patient_documents, report.split_accuracy) == (
        1,
        1,
        1.0,
    )
    assert (report.non_patients_not_filed, report.auto_filed, report.auto_filed_correct) == (
        0,
        3,
        2,
    )
    assert [(w.file, w.expected) for w in report.wrong] == [("d.pdf", [None])]
    assert report.oversplit_documents == 1
    assert report.pages_per_minute == 6 * 60 / 3.0
    assert "expected not a patient" in report.as_markdown()


# --- the command ------------------------------------------------------------------------------


def test_the_cli_maps_documents_corpus():
    assert translate(["documents", "corpus", "--out", "x"]) == ["documents_corpus", "--out", "x"]


@pytest.mark.django_db
def test_the_command_refuses_with_too_few_patients(tmp_path):
    PatientFactory.create_batch(29)
    with pytest.raises(CommandError, match="Load the demo practice first: frontdesk demo"):
        call_command("documents_corpus", "--out", str(tmp_path / "c"))
    assert not (tmp_path / "c").exists()


@pytest.mark.django_db
def test_the_command_writes_a_corpus_for_thirty_patients(tmp_path):
    patients = PatientFactory.create_batch(30)
    PatientFactory(is_active=False)
    PatientPhoneFactory(patient=patients[0], number="+15185550142", digits="5185550142")
    CoverageFactory(patient=patients[0], member_id="XM77", member_id_key="xm77")
    AppointmentFactory(patient=patients[1])
    out = io.StringIO()
    call_command(
        "documents_corpus", "--out", str(tmp_path / "c"), "--count", "14", "--seed", "3", stdout=out
    )
    manifest = json.loads((tmp_path / "c" / "manifest.json").read_text())
    assert len(manifest["documents"]) == 14 and manifest["seed"] == 3
    ids = {p.pk for p in patients}
    assert {s["patient_id"] for d in manifest["documents"] for s in d["segments"]} <= ids | {None}
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("14 documents, ")
    assert lines[1].startswith("By type: ")
    assert AuditEvent.objects.filter(object_type="document_corpus", action="export").count() == 1
    with pytest.raises(CommandError, match="not empty"):
        call_command("documents_corpus", "--out", str(tmp_path / "c"), "--count", "2")
    call_command(
        "documents_corpus",
        "--out",
        str(tmp_path / "c"),
        "--count",
        "2",
        "--force",
        stdout=io.StringIO(),
    )
    assert len(json.loads((tmp_path / "c" / "manifest.json").read_text())["documents"]) == 2


def test_an_oracle_pipeline_scores_perfectly_on_a_generated_corpus(corpus):
    _, manifest = corpus
    outcomes = {
        d["file"]: {
            "segments": [
                {
                    "pages": s["pages"],
                    "auto_filed": s["patient_id"] is not None,
                    "patient_id": s["patient_id"],
                    "doc_type": s["doc_type"],
                    "suggestions": [],
                }
                for s in d["segments"]
            ],
            "seconds": 0.5,
        }
        for d in manifest["documents"]
    }
    report = score(manifest, outcomes)
    segments = sum(len(d["segments"]) for d in manifest["documents"])
    assert report.segments == segments
    assert report.auto_filed == report.auto_filed_correct == segments - 1  # one non-patient
    assert report.wrong == []
    assert (report.non_patients, report.non_patients_not_filed) == (1, 1)
    assert report.classification_accuracy == 1.0
    assert report.split_accuracy == 1.0
    assert report.review_segments == 0 and report.top1_accuracy is None
    assert report.pages_per_minute == report.pages * 60 / (0.5 * COUNT)

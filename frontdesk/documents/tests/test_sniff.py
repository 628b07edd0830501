"""Content sniffing: accepted kinds with their pages and size; every rejection with its reason.

Covers the upload checks of ../shared/security.md row 14: .html, .svg, polyglot JPEG/HTML, ../ names,
0-byte and oversize files, a PNG decompression bomb.
"""

from __future__ import annotations

import io
import time

import pytest
from PIL import Image

from frontdesk.documents.sniff import Sniffed, safe_display_name, sniff
from frontdesk.documents.tests import samples

LIMITS = {"max_bytes": 50 * 1024 * 1024, "max_pages": 300, "max_pixels": 89_478_485}


def check(data: bytes, name: str = "", **limits: int) -> Sniffed:
    return sniff(data, name=name, **{**LIMITS, **limits})


# --- accepted ----------------------------------------------------------------------------------------


def test_pdf_is_accepted_with_its_page_count():
    assert check(samples.pdf(pages=3), "letter.pdf") == Sniffed(kind="pdf", pages=3)


def test_png_is_accepted_with_its_pixel_size():
    assert check(samples.png((64, 48)), "card.png") == Sniffed(
        kind="png", pages=1, width=64, height=48
    )


def test_jpeg_is_accepted_with_its_pixel_size():
    assert check(samples.jpeg((120, 80)), "photo.JPG") == Sniffed(
        kind="jpeg", pages=1, width=120, height=80
    )


def test_multi_page_tiff_is_accepted_with_every_page_counted():
    assert check(samples.tiff(pages=3, size=(40, 30)), "fax.tif") == Sniffed(
        kind="tiff", pages=3, width=40, height=30
    )


@pytest.mark.parametrize("name", ["", "scan0001", "fax.dat", "incoming.FAX"])
def test_a_name_that_says_nothing_leaves_the_content_to_decide(name):
    assert check(samples.png((8, 8)), name) == Sniffed(kind="png", pages=1, width=8, height=8)


def test_a_jpeg_comment_without_markup_is_fine():
    assert check(samples.jpeg(comment=b"Scanned at the front desk")).accepted is True


# --- quarantined -------------------------------------------------------------------------------------


def test_zero_byte_file():
    assert check(b"", "empty.pdf") == Sniffed(
        kind="unknown", code="empty", reason="The file is empty (0 bytes)."
    )


def test_oversize_file_against_the_cap():
    data = samples.pdf()
    result = check(data, "big.pdf", max_bytes=1000)
    assert result == Sniffed(
        kind="pdf",
        code="too_large",
        reason=f"The file is 0.0 MB ({len(data)} bytes), over the limit of 0.0 MB (1000 bytes).",
    )


def test_a_file_exactly_at_the_cap_passes():
    data = samples.pdf()
    assert check(data, max_bytes=len(data)).accepted is True


def test_pdf_over_the_page_cap():
    assert check(samples.pdf(pages=3), max_pages=2) == Sniffed(
        kind="pdf", code="too_many_pages", reason="The PDF has 3 pages, over the limit of 2."
    )


def test_tiff_over_the_page_cap():
    assert check(samples.tiff(pages=3), max_pages=2) == Sniffed(
        kind="tiff", code="too_many_pages", reason="The TIFF has 3 pages, over the limit of 2."
    )


def test_html_page():
    assert check(samples.HTML, "letter.html") == Sniffed(
        kind="unknown",
        code="markup",
        reason="The content is an HTML page, not a PDF, TIFF, JPEG or PNG document.",
    )


def test_html_disguised_as_pdf_is_still_html():
    assert check(samples.HTML, "letter.pdf").code == "markup"


def test_svg_image():
    assert check(samples.SVG, "logo.svg") == Sniffed(
        kind="unknown",
        code="markup",
        reason=(
            "The content is an SVG image (XML that can carry scripts), not a PDF, TIFF, JPEG or "
            "PNG document."
        ),
    )


def test_plain_xml():
    assert check(b'<?xml version="1.0"?><order/>').reason == (
        "The content is an XML file, not a PDF, TIFF, JPEG or PNG document."
    )


def test_unknown_binary():
    assert check(b"PK\x03\x04 a zip file", "notes.zip") == Sniffed(
        kind="unknown",
        code="unrecognised",
        reason="The content is not a PDF, TIFF, JPEG or PNG file.",
    )


def test_jpeg_with_html_after_the_end_of_image_is_a_polyglot():
    data = samples.jpeg() + b"<html><script>alert(document.cookie)</script></html>"
    assert check(data, "photo.jpg") == Sniffed(
        kind="jpeg",
        code="polyglot",
        reason=(
            "The JPEG image carries web-page markup after the end of the image data; a file that "
            "is both an image and HTML is not accepted."
        ),
    )


def test_jpeg_with_a_script_in_its_comment_is_a_polyglot():
    data = samples.jpeg(comment=b"<script>alert(1)</script>")
    assert check(data).reason == (
        "The JPEG image carries web-page markup in a header or comment segment; a file that is "
        "both an image and HTML is not accepted."
    )


def test_png_with_svg_in_a_text_chunk_is_a_polyglot():
    data = samples.png(text={"Comment": '<svg onload="alert(1)">'})
    assert check(data).reason == (
        "The PNG image carries web-page markup in its tEXt chunk; a file that is both an image "
        "and HTML is not accepted."
    )


def test_png_with_html_after_iend_is_a_polyglot():
    assert check(samples.png() + b"<!doctype html><p>hi").code == "polyglot"


def test_pdf_with_html_after_its_end_is_a_polyglot():
    assert check(samples.pdf() + b"\n<html><script>x()</script>").code == "polyglot"


def test_encrypted_pdf():
    assert check(samples.encrypted_pdf(), "results.pdf") == Sniffed(
        kind="pdf",
        code="encrypted",
        reason=(
            "The PDF is encrypted (password-protected); it cannot be read or indexed. Ask the "
            "sender for an unprotected copy."
        ),
    )


def test_truncated_pdf():
    data = samples.pdf(pages=2)
    assert check(data[: len(data) // 2]) == Sniffed(
        kind="pdf",
        code="corrupt",
        reason="The PDF is damaged: it has no end-of-file marker (truncated?).",
    )


def test_garbage_behind_a_pdf_header():
    result = check(b"%PDF-1.7\n" + bytes(range(256)) * 4 + b"\n%%EOF\n")
    assert (result.kind, result.code) == ("pdf", "corrupt")
    assert result.reason.startswith("The PDF is damaged and cannot be read (")


def test_truncated_jpeg():
    data = samples.jpeg((200, 200))
    result = check(data[: len(data) // 2])
    assert (result.kind, result.code) == ("jpeg", "corrupt")
    assert result.reason.startswith("The JPEG image is damaged and cannot be read (")


def test_truncated_png():
    data = samples.png((300, 300))
    result = check(data[: len(data) - 40])
    assert (result.kind, result.code) == ("png", "corrupt")


def test_png_decompression_bomb_is_refused_without_decoding():
    data = samples.png_bomb(20000, 20000)
    assert len(data) < 100_000
    started = time.monotonic()
    result = check(data, "scan.png")
    assert time.monotonic() - started < 2
    assert result == Sniffed(
        kind="png",
        code="bomb",
        reason=(
            "The image claims 20000 x 20000 pixels (400000000 in all), over the limit of 89478485; "
            "it looks like a decompression bomb and was not decoded."
        ),
    )


def test_the_pixel_cap_is_a_setting_passed_in():
    assert check(samples.png((64, 48)), max_pixels=64 * 48).accepted is True
    assert check(samples.png((64, 48)), max_pixels=64 * 48 - 1).code == "bomb"


def test_pillows_own_guard_is_an_error_too():
    # Our cap set above Pillow's: Pillow's DecompressionBombWarning still stops the decoding
    # (a TIFF: its size is not checked before Pillow reads the header).
    big = Image.new("1", (10000, 10000))
    out = io.BytesIO()
    big.save(out, format="TIFF", compression="group4")
    result = check(out.getvalue(), max_pixels=10**12)
    assert result == Sniffed(
        kind="tiff",
        code="bomb",
        reason=(
            "The image claims 100000000 pixels, over Pillow's safety limit; it looks like a "
            "decompression bomb and was not decoded."
        ),
    )


def test_pdf_content_under_a_png_name_is_quarantined_as_mismatch():
    assert check(samples.pdf(pages=2), "scan.png") == Sniffed(
        kind="pdf",
        pages=2,
        code="name_mismatch",
        reason="The name says a PNG image (.png) but the content is a PDF.",
    )


def test_png_content_under_an_html_name_is_quarantined():
    assert check(samples.png((8, 8)), "invoice.html") == Sniffed(
        kind="png",
        pages=1,
        width=8,
        height=8,
        code="name_mismatch",
        reason=(
            "The name ends in .html but the content is a PNG image; a disguised file is kept in "
            "quarantine until someone has looked at it."
        ),
    )


def test_jpeg_and_jpg_and_tif_and_tiff_are_one_kind_each():
    assert check(samples.jpeg(), "a.jpeg").accepted is True
    assert check(samples.tiff(pages=1), "a.tiff").accepted is True


@pytest.mark.parametrize(
    "data",
    [b"%PDF-", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*\x00\x00\x00\x08"],
    ids=["pdf", "png", "jpeg", "tiff-le", "tiff-be"],
)
def test_bare_magic_bytes_are_damaged_files_not_crashes(data):
    result = check(data)
    assert result.code == "corrupt"


# --- names -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("letter.pdf", "letter.pdf"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system32\\evil.pdf", "evil.pdf"),
        ("C:\\Users\\desk\\Scans\\fax 001.tif", "fax 001.tif"),
        ("C:evil.pdf", "evil.pdf"),
        ("/var/spool/fax/in.tiff", "in.tiff"),
        ("..", "unnamed"),
        ("../", "unnamed"),
        ("", "unnamed"),
        ("   ", "unnamed"),
        ("bad\x00name\x1b[31m.pdf", "badname[31m.pdf"),
        ("line\r\nbreak.pdf", "line break.pdf"),
        ("photo\u202egnp.exe", "photognp.exe"),
        ("  spaced   out  .pdf ", "spaced out .pdf"),
        (".hidden", "hidden"),
    ],
)
def test_safe_display_name(raw, expected):
    assert safe_display_name(raw) == expected


def test_a_long_name_keeps_its_extension_within_200_characters():
    name = safe_display_name("x" * 500 + ".pdf")
    assert (len(name), name[-5:]) == (200, "x.pdf")


def test_a_long_name_without_extension_is_cut_at_200():
    assert safe_display_name("y" * 500) == "y" * 200

"""documents.analysis.pages: PDF, multi-page TIFF (fax) and image files to pages."""

from __future__ import annotations

import io

import pytest
from fpdf import FPDF
from PIL import Image

from frontdesk.documents.analysis.pages import (
    Page,
    despeckle,
    iter_pages,
    page_count,
    page_png,
    render_page,
)
from frontdesk.documents.tests import analysis_samples as samples


@pytest.fixture(scope="module")
def two_page_pdf() -> bytes:
    return samples.pdf_bytes(
        [
            ["# Zzyzx Example Lab", "Patient: TESTPATIENT, ZELDA"],
            ["Second page", "Glucose 112 mg/dL"],
        ]
    )


def test_pdf_pages_are_rendered_with_their_text_layer(two_page_pdf: bytes) -> None:
    assert page_count(two_page_pdf, "pdf") == 2
    pages = list(iter_pages(two_page_pdf, "pdf", dpi=100))
    assert [page.index for page in pages] == [0, 1]
    assert all(isinstance(page, Page) for page in pages)
    assert [page.image.mode for page in pages] == ["L", "L"]
    assert [page.image.size for page in pages] == [(850, 1100), (850, 1100)]  # letter at 100 dpi
    assert [page.dpi for page in pages] == [100, 100]
    assert pages[0].text_layer.split("\n") == ["Zzyzx Example Lab", "Patient: TESTPATIENT, ZELDA"]
    assert pages[1].text_layer.split("\n") == ["Second page", "Glucose 112 mg/dL"]


def test_render_page_returns_one_pdf_page(two_page_pdf: bytes) -> None:
    page = render_page(two_page_pdf, "pdf", 1, dpi=72)
    assert page.index == 1
    assert page.image.size == (612, 792)
    assert page.text_layer.startswith("Second page")
    with pytest.raises(IndexError):
        render_page(two_page_pdf, "pdf", 2)


def test_fax_tiff_frames_get_square_pixels() -> None:
    frames = [
        samples.fax(samples.page_image([f"Page {number}"], dpi=100), noise=0)
        for number in (1, 2, 3)
    ]
    assert frames[0].size == (850, 528)  # 1100 rows at 204 dpi become 528 at 98 dpi
    data = samples.tiff_bytes(frames)
    with Image.open(io.BytesIO(data)) as tiff:
        assert tiff.info["compression"] == "group4"
    assert page_count(data, "tiff") == 3
    pages = list(iter_pages(data, "tiff"))
    assert [page.index for page in pages] == [0, 1, 2]
    assert [(page.image.mode, page.image.size, page.dpi) for page in pages] == [
        ("L", (850, 1099), 204)
    ] * 3
    assert [page.text_layer for page in pages] == ["", "", ""]
    assert render_page(data, "tiff", 2).image.size == (850, 1099)
    with pytest.raises(IndexError):
        render_page(data, "tiff", 3)


def test_fine_scans_are_scaled_down_to_the_requested_dpi() -> None:
    image = Image.new("L", (2400, 3000), 255)
    out = io.BytesIO()
    image.save(out, format="PNG", dpi=(600, 600))
    page = render_page(out.getvalue(), "png", 0, dpi=200)
    assert (page.image.size, page.dpi) == ((800, 1000), 200)


def test_jpeg_exif_orientation_is_applied() -> None:
    image = Image.new("L", (300, 100), 255)
    image.paste(0, (0, 0, 50, 100))  # a black band on the left
    data = samples.jpeg_bytes(image, orientation=6)  # stored sideways: "rotate 90 clockwise"
    page = render_page(data, "jpeg", 0)
    assert page.image.size == (100, 300)
    assert page.image.getpixel((50, 10)) < 60  # the band is now on top
    assert page.image.getpixel((50, 290)) > 200
    assert page_count(data, "jpeg") == 1


def test_png_with_alpha_is_flattened_on_white() -> None:
    image = Image.new("RGBA", (40, 20), (0, 0, 0, 0))
    out = io.BytesIO()
    image.save(out, format="PNG")
    pages = list(iter_pages(out.getvalue(), "png"))
    assert len(pages) == 1
    assert pages[0].image.mode == "L"
    assert pages[0].image.getextrema() == (255, 255)


def test_page_png_is_a_bounded_preview() -> None:
    preview = page_png(Image.new("L", (2200, 1100), 255), max_width=1100)
    with Image.open(io.BytesIO(preview)) as image:
        assert (image.format, image.size) == ("PNG", (1100, 550))
    small = page_png(Image.new("L", (300, 200), 255))
    with Image.open(io.BytesIO(small)) as image:
        assert image.size == (300, 200)


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="Unsupported kind"):
        page_count(b"", "gif")


def test_poster_sized_pdf_page_is_rendered_smaller() -> None:
    document = FPDF(unit="in", format=(36, 48))
    document.add_page()
    page = render_page(bytes(document.output()), "pdf", 0, dpi=200)
    assert page.dpi == 58  # 14 inches at 200 dpi is the longest side allowed
    assert page.image.size == (2100, 2800)


def test_sixteen_bit_grey_scan_is_scaled_not_clipped() -> None:
    image = Image.new("I;16", (100, 100), 32896)  # mid grey in 16 bits
    out = io.BytesIO()
    image.save(out, format="TIFF", dpi=(200, 200))
    (page,) = iter_pages(out.getvalue(), "tiff")
    assert page.image.mode == "L"
    assert page.image.getpixel((50, 50)) == 128


def _dark(image: Image.Image) -> set[tuple[int, int]]:
    return {
        (x, y)
        for y in range(image.height)
        for x in range(image.width)
        if image.getpixel((x, y)) < 128
    }


def test_despeckle_removes_isolated_specks_and_keeps_strokes_dots_and_line_ends() -> None:
    image = Image.new("L", (40, 30), 255)
    keep = set()
    # Specks: one pixel, a 2x2 block, three pixels in an L: alone, nothing in the ring around them.
    specks = {(3, 3), (10, 3), (11, 3), (10, 4), (11, 4), (20, 3), (21, 3), (20, 4)}
    # A thin horizontal stroke (its ends are not specks), a 3x3 dot and a vertical stroke.
    keep |= {(x, 12) for x in range(5, 25)}
    keep |= {(x, y) for x in (30, 31, 32) for y in (3, 4, 5)}
    keep |= {(35, y) for y in range(10, 25)}
    # A speck touching a letter's ring is part of the page, not noise.
    keep |= {(8, 20), (8, 22), (9, 22), (10, 22)}
    for xy in specks | keep:
        image.putpixel(xy, 0)
    assert _dark(despeckle(image)) == keep


def test_fax_pages_are_despeckled_before_their_pixels_are_squared() -> None:
    frame = Image.new("1", (60, 40), 1)
    for x in range(10, 50):
        frame.putpixel((x, 20), 0)  # a stroke
    frame.putpixel((5, 5), 0)  # a speck
    frame.info["dpi"] = (204, 98)
    page = next(iter_pages(samples.tiff_bytes([frame]), "tiff"))
    assert page.image.size == (60, 83)
    dark = _dark(page.image)
    assert not {xy for xy in dark if xy[1] < 30}  # the speck is gone
    assert {x for x, _ in dark} >= set(range(12, 48))  # the stroke is not

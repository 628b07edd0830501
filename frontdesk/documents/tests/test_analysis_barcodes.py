"""documents.analysis.barcodes with the real zxing-cpp: codes on clean and faxed pages."""

from __future__ import annotations

import io

import segno
import zxingcpp
from PIL import Image

from frontdesk.documents.analysis.barcodes import read_codes
from frontdesk.documents.analysis.pages import iter_pages
from frontdesk.documents.tests import analysis_samples as samples

COVER_CODE = "FDDOC:4711:lab_result:0:0123456789abcdef"


def _qr_png(text: str) -> bytes:
    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="png", scale=4, border=4)
    return out.getvalue()


def _zxing_image(text: str, barcode_format: zxingcpp.BarcodeFormat, scale: int) -> Image.Image:
    drawn = memoryview(
        zxingcpp.write_barcode_to_image(zxingcpp.create_barcode(text, barcode_format), scale=scale)
    )
    height, width = drawn.shape[0], drawn.shape[1]
    return Image.frombytes("L", (width, height), drawn.tobytes())


def test_qr_on_a_degraded_fax_page_is_read() -> None:
    pdf = samples.pdf_bytes(
        [["# Patient cover sheet", "Scan this page in front of the document."]],
        images=[_qr_png(COVER_CODE)],  # 42 mm wide at the top right
    )
    faxed = samples.fax(samples.render(pdf), noise=0.003, skew=1.5)
    (page,) = iter_pages(samples.tiff_bytes([faxed]), "tiff")
    assert read_codes(page.image) == [COVER_CODE]
    assert read_codes(page.image.rotate(180)) == [COVER_CODE]


def test_formats_reading_order_and_duplicates() -> None:
    page = Image.new("L", (1700, 2200), 255)
    with Image.open(io.BytesIO(_qr_png("QR-TOP-RIGHT"))) as qr:
        page.paste(qr.convert("L"), (1200, 100))
        page.paste(qr.convert("L"), (1200, 1900))  # the same code again at the bottom
    page.paste(_zxing_image("DM-TOP-LEFT", zxingcpp.BarcodeFormat.DataMatrix, 8), (150, 110))
    page.paste(_zxing_image("FDAPPT:42:c128", zxingcpp.BarcodeFormat.Code128, 3), (150, 900))
    page.paste(_zxing_image("PDF417-BOTTOM", zxingcpp.BarcodeFormat.PDF417, 3), (150, 1500))
    assert read_codes(page) == ["DM-TOP-LEFT", "QR-TOP-RIGHT", "FDAPPT:42:c128", "PDF417-BOTTOM"]


def test_a_page_without_codes_gives_nothing() -> None:
    faxed = samples.fax(samples.page_image(["Just a letter.", "Nothing to scan here."]))
    (page,) = iter_pages(samples.tiff_bytes([faxed]), "tiff")
    assert read_codes(page.image) == []

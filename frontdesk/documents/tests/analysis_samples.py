"""Synthetic scanned pages for the analysis tests: text set in Helvetica by fpdf2, rasterised by
PDFium, then degraded the way faxes and scanners degrade them. Obviously fake people only."""

from __future__ import annotations

import io
import random

import pypdfium2 as pdfium
from fpdf import FPDF
from PIL import Image, ImageFilter

LETTER_MM = (215.9, 279.4)


def pdf_bytes(
    pages: list[list[str]], *, size: float = 11, images: list[bytes] | None = None
) -> bytes:
    """A PDF with a text layer: one list of lines per page (a line may be "" for a gap).

    ``images`` (PNG bytes, one per page or fewer) are placed at the top right of their page.
    """
    document = FPDF(unit="mm", format="letter")
    document.set_auto_page_break(False)
    for number, lines in enumerate(pages):
        document.add_page()
        document.set_font("helvetica", size=size)
        y = 18.0
        for line in lines:
            if line.startswith("# "):
                document.set_font("helvetica", style="B", size=size + 5)
                document.text(18, y, line[2:])
                document.set_font("helvetica", size=size)
                y += size * 0.6
            else:
                document.text(18, y, line)
                y += size * 0.5
        if images and number < len(images):
            document.image(io.BytesIO(images[number]), x=150, y=12, w=42)
    return bytes(document.output())


def render(pdf: bytes, *, dpi: int = 200, index: int = 0) -> Image.Image:
    document = pdfium.PdfDocument(pdf)
    try:
        page = document[index]
        return page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
    finally:
        document.close()


def page_image(lines: list[str], *, dpi: int = 200, size: float = 11) -> Image.Image:
    return render(pdf_bytes([lines], size=size), dpi=dpi)


def fax(
    image: Image.Image, *, seed: int = 7, noise: float = 0.002, skew: float = 0.0
) -> Image.Image:
    """Degrade a ~200 dpi page like a standard-resolution fax: 204x98 dpi, 1 bit, specks, skew.

    Returns the 1-bit 204x98 image (what the fax machine stores), with ``info["dpi"] = (204, 98)``.
    """
    grey = image.convert("L")
    if skew:
        grey = grey.rotate(skew, resample=Image.Resampling.BILINEAR, expand=True, fillcolor=255)
    width, height = grey.size
    low = grey.resize((width, round(height * 98 / 204)), Image.Resampling.BOX)
    binary = low.point(lambda v: 255 if v > 150 else 0).convert("1", dither=Image.Dither.NONE)
    if noise:
        rng = random.Random(seed)
        pixels = binary.load()
        assert pixels is not None
        for _ in range(int(binary.width * binary.height * noise)):
            pixels[rng.randrange(binary.width), rng.randrange(binary.height)] = 0
    binary.info["dpi"] = (204, 98)
    return binary


def scan(image: Image.Image, *, seed: int = 3, blur: float = 0.6) -> Image.Image:
    """A slightly blurred grey scan with light noise."""
    rng = random.Random(seed)
    grey = image.convert("L").filter(ImageFilter.GaussianBlur(blur))
    pixels = grey.load()
    assert pixels is not None
    for _ in range(grey.width * grey.height // 200):
        x, y = rng.randrange(grey.width), rng.randrange(grey.height)
        pixels[x, y] = max(0, int(pixels[x, y]) - rng.randrange(30, 90))
    return grey


def tiff_bytes(frames: list[Image.Image], *, dpi: tuple[int, int] = (204, 98)) -> bytes:
    """A multi-page TIFF; 1-bit frames are stored with CCITT G4 like a fax server does."""
    out = io.BytesIO()
    compression = "group4" if all(frame.mode == "1" for frame in frames) else "tiff_lzw"
    frames[0].save(
        out,
        format="TIFF",
        save_all=True,
        append_images=frames[1:],
        compression=compression,
        dpi=dpi,
    )
    return out.getvalue()


def png_bytes(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def jpeg_bytes(image: Image.Image, *, orientation: int | None = None) -> bytes:
    out = io.BytesIO()
    exif = Image.Exif()
    if orientation is not None:
        exif[0x0112] = orientation
    image.convert("RGB").save(out, format="JPEG", quality=85, exif=exif.tobytes())
    return out.getvalue()


def card_photo(lines: list[str], *, title: str, angle: float = 1.5, table: int = 90) -> Image.Image:
    """A phone photo of a wallet card (85.6 x 54 mm, 300 dpi) on a table of grey level ``table``,
    ``angle`` deg askew."""
    document = FPDF(unit="mm", format=(85.6, 54))
    document.set_auto_page_break(False)
    document.add_page()
    document.set_font("helvetica", style="B", size=11)
    document.text(5, 9, title)
    document.set_font("helvetica", size=8)
    for number, line in enumerate(lines):
        document.text(5, 18 + 6 * number, line)
    card = render(bytes(document.output()), dpi=300)
    turned = card.rotate(angle, expand=True, fillcolor=table)
    photo = Image.new("L", (turned.width + 400, turned.height + 400), table)
    photo.paste(turned, (200, 200))
    return photo

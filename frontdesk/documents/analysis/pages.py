"""Turn an accepted file's bytes into pages: a grey image with square pixels plus the PDF's own text.

- PDF: rendered by PDFium (pypdfium2) at ``dpi``, with the page's text layer (empty for scans).
- TIFF: every frame; a fax's 204x98 dpi (or 204x196) frames are resampled to square pixels, and
  frames scanned finer than ``dpi`` are scaled down to it (OCR gains nothing above ~300 dpi).
- JPEG / PNG: one page; a JPEG's EXIF orientation is applied (phones store photos sideways).

Images are returned in mode ``L``, not rotated (``ocr.ocr_image`` finds the upright orientation).
PDFium is not thread-safe: use one process per worker, not threads, for parallel rendering.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from PIL import Image, ImageChops, ImageFilter, ImageOps

# PDFium is not thread-safe: no two threads may call into it at once (pypdfium2's documentation).
# Every call here holds this lock, so a threaded worker or benchmark cannot crash it.
PDFIUM_LOCK = threading.RLock()

KINDS = ("pdf", "tiff", "jpeg", "png")

# A page longer than this at the target dpi is scaled down (a 4000x3000 phone photo of a card needs
# no more than ~2800 px on its long side for OCR and barcodes; a poster-sized PDF page is rendered
# smaller, and its Page.dpi says so).
_MAX_SIDE_INCHES = 14
# Dark pixels a speck of fax noise has at most (a 204x98 dpi fax's specks are 1-4 pixels).
_SPECK_PIXELS = 4


@dataclass
class Page:
    index: int  # 0-based
    image: Image.Image  # mode "L", square pixels at ~dpi, not rotated yet
    text_layer: str  # the PDF's own text for this page ("" when none / images)
    dpi: int


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"Unsupported kind {kind!r}; expected one of {', '.join(KINDS)}.")


def _open_image(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def page_count(data: bytes, kind: str) -> int:
    """How many pages the file has (1 for JPEG and PNG)."""
    _check_kind(kind)
    if kind == "pdf":
        import pypdfium2 as pdfium

        with PDFIUM_LOCK:
            document = pdfium.PdfDocument(data)
            try:
                return len(document)
            finally:
                document.close()
    if kind == "tiff":
        with _open_image(data) as image:
            return int(getattr(image, "n_frames", 1))
    return 1


def _image_dpi(image: Image.Image) -> tuple[float, float] | None:
    raw = image.info.get("dpi")
    if not raw:
        return None
    try:
        x, y = float(raw[0]), float(raw[1])
    except (TypeError, ValueError, IndexError):
        return None
    # 72 dpi (JPEG and camera defaults), 1 and other nonsense say nothing about a scan; a fax's
    # 98 dpi is real only beside its 204 or 200 dpi in the other direction.
    if max(x, y) < 100 or min(x, y) < 50 or max(x, y) > 2400:
        return None
    return x, y


def _to_grey(image: Image.Image) -> Image.Image:
    if image.mode == "L":
        return image.copy()
    if image.mode.startswith("I;16") or image.mode == "I":
        # 16-bit grey scans: scale to 8 bits (a plain conversion clips everything above 255).
        top = 65535.0
        if image.mode == "I":
            extrema = image.getextrema()
            top = float(max(1, int(extrema[1])))  # type: ignore[arg-type]
        factor = 255 / top
        return image.convert("I").point(lambda value: value * factor).convert("L")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        background = Image.new("RGBA", image.size, "white")
        background.alpha_composite(image.convert("RGBA"))
        return background.convert("L")
    return image.convert("L")


def despeckle(grey: Image.Image) -> Image.Image:
    """Remove isolated specks (fax line noise) from a black-and-white page, keeping the strokes.

    A speck is a dark blob of at most ``_SPECK_PIXELS`` pixels within a 3x3 square, with no ink in
    the ring of pixels around that square: a connected component too small to be part of a letter.
    Dots, periods and stroke ends touch or are bigger than that and stay (a median filter, by
    contrast, thins the strokes of a 98 dpi fax).
    """
    ink = grey.point(lambda v: 1 if v < 128 else 0)
    around5 = ink.filter(ImageFilter.Kernel((5, 5), [1] * 25, scale=1))
    around3 = ink.filter(ImageFilter.Kernel((3, 3), [1] * 9, scale=1))
    ring_empty = ImageChops.subtract(around5, around3).point(lambda v: 1 if v == 0 else 0)
    small = around3.point(lambda v: 1 if v <= _SPECK_PIXELS else 0)
    # On 0/1 images "darker" (the minimum) is a logical and.
    speck = ImageChops.darker(ImageChops.darker(ink, ring_empty), small)
    return ImageChops.add(grey, speck.point(lambda v: 255 if v else 0))


def _normalise(image: Image.Image, dpi: int) -> tuple[Image.Image, int]:
    """Grey, square pixels, at most ~``dpi`` (when the resolution is known) and bounded in size.

    A black-and-white image (a fax) is despeckled first, at its own resolution.
    """
    resolution = _image_dpi(image)
    bilevel = image.mode == "1"
    grey = _to_grey(image)
    if bilevel:
        grey = despeckle(grey)
    width, height = grey.size
    if resolution is not None:
        x_dpi, y_dpi = resolution
        # Square the pixels at the finer of the two resolutions, then scale down to dpi if finer.
        square = max(x_dpi, y_dpi)
        target = min(square, float(dpi)) if square > dpi * 1.25 else square
        new_size = (round(width * target / x_dpi), round(height * target / y_dpi))
        out_dpi = round(target)
    else:
        new_size = (width, height)
        out_dpi = dpi
    longest = max(new_size)
    limit = _MAX_SIDE_INCHES * dpi
    if longest > limit:
        factor = limit / longest
        new_size = (max(1, round(new_size[0] * factor)), max(1, round(new_size[1] * factor)))
    if new_size != (width, height):
        grey = grey.resize(new_size, Image.Resampling.LANCZOS)
    return grey, out_dpi


def _pdf_page(document: object, index: int, dpi: int) -> Page:
    import pypdfium2 as pdfium

    assert isinstance(document, pdfium.PdfDocument)
    page = document[index]
    try:
        # A poster-sized page is rendered smaller: at most _MAX_SIDE_INCHES * dpi pixels a side.
        width_pt, height_pt = page.get_size()
        scale = min(dpi / 72, _MAX_SIDE_INCHES * dpi / max(width_pt, height_pt, 1.0))
        dpi = max(1, round(scale * 72))
        bitmap = page.render(scale=scale, grayscale=True, may_draw_forms=True)
        image = bitmap.to_pil().convert("L")
        textpage = page.get_textpage()
        try:
            text = textpage.get_text_bounded()
        finally:
            textpage.close()
    finally:
        page.close()
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return Page(index=index, image=image, text_layer=text, dpi=dpi)


def _raster_frame(image: Image.Image, index: int, dpi: int, kind: str) -> Page:
    if kind == "jpeg":
        image = ImageOps.exif_transpose(image) or image
    grey, out_dpi = _normalise(image, dpi)
    return Page(index=index, image=grey, text_layer="", dpi=out_dpi)


def iter_pages(data: bytes, kind: str, *, dpi: int = 200) -> Iterator[Page]:
    """Every page of the file in order."""
    _check_kind(kind)
    if kind == "pdf":
        import pypdfium2 as pdfium

        with PDFIUM_LOCK:
            document = pdfium.PdfDocument(data)
            pages = len(document)
        try:
            for index in range(pages):
                with PDFIUM_LOCK:
                    page = _pdf_page(document, index, dpi)
                yield page
        finally:
            with PDFIUM_LOCK:
                document.close()
        return
    with _open_image(data) as image:
        frames = int(getattr(image, "n_frames", 1)) if kind == "tiff" else 1
        for index in range(frames):
            if frames > 1:
                image.seek(index)
            yield _raster_frame(image, index, dpi, kind)


def render_page(data: bytes, kind: str, index: int, *, dpi: int = 200) -> Page:
    """One page (0-based ``index``), for resuming a pipeline or showing a preview."""
    _check_kind(kind)
    if index < 0:
        raise IndexError(f"Page {index} does not exist.")
    if kind == "pdf":
        import pypdfium2 as pdfium

        with PDFIUM_LOCK:
            document = pdfium.PdfDocument(data)
            try:
                if index >= len(document):
                    raise IndexError(f"Page {index} does not exist (the PDF has {len(document)}).")
                return _pdf_page(document, index, dpi)
            finally:
                document.close()
    with _open_image(data) as image:
        frames = int(getattr(image, "n_frames", 1)) if kind == "tiff" else 1
        if index >= frames:
            raise IndexError(f"Page {index} does not exist (the file has {frames}).")
        if frames > 1:
            image.seek(index)
        return _raster_frame(image, index, dpi, kind)


def page_png(page_image: Image.Image, *, max_width: int = 1100) -> bytes:
    """A preview PNG of a page image, at most ``max_width`` pixels wide."""
    image = _to_grey(page_image)
    if image.width > max_width:
        height = max(1, round(image.height * max_width / image.width))
        image = image.resize((max_width, height), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False, compress_level=6)
    return out.getvalue()

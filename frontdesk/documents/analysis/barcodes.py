"""Read the 2-D codes and barcodes on a page: QR, DataMatrix, Code 128 and PDF417 (zxing-cpp).

The page is read as it is first (zxing-cpp tries 90-degree rotations itself). When that
finds nothing on a low-resolution page (a fax: 1-bit specks break the finder patterns and module
edges), a speck-free copy (3x3 median) is read; and when zxing-cpp saw a code it could not decode
(a checksum error), a binarised speck-free copy scaled up twice is read as well. On a page without
any code this costs about 0.1 s more than the first read; measured on synthetic faxes, the median
copy is what rescues codes, the upscaled one rarely adds anything.
Texts are returned once each, in reading order (top to bottom, then left to right).
"""

from __future__ import annotations

from PIL import Image, ImageFilter

_LOW_RES_WIDTH = 2600  # a letter page narrower than this (~300 dpi) gets the retries


def _formats():  # type: ignore[no-untyped-def]
    import zxingcpp

    return [
        zxingcpp.BarcodeFormat.QRCode,
        zxingcpp.BarcodeFormat.DataMatrix,
        zxingcpp.BarcodeFormat.Code128,
        zxingcpp.BarcodeFormat.PDF417,
    ]


def _decode(
    image: Image.Image, *, upscaled: bool = False
) -> tuple[list[tuple[int, int, str]], bool]:
    """(top, left, text) of each code read, and whether a code was seen but not decoded."""
    import zxingcpp

    found: list[tuple[int, int, str]] = []
    damaged = False
    # Paper codes are black on white: no inverted pass. The upscaled copy is meant to be upright:
    # no 90-degree pass either (QR, DataMatrix and PDF417 are read upside down regardless).
    codes = zxingcpp.read_barcodes(
        image,
        formats=_formats(),
        try_rotate=not upscaled,
        try_invert=False,
        return_errors=True,
    )
    for code in codes:
        if not code.valid or not code.text:
            damaged = True
            continue
        position = code.position
        top = min(position.top_left.y, position.top_right.y)
        left = min(position.top_left.x, position.bottom_left.x)
        found.append((int(top), int(left), code.text))
    return found, damaged


def _despeckled(image: Image.Image) -> Image.Image:
    return image.filter(ImageFilter.MedianFilter(3))


def _binarised(image: Image.Image, factor: int) -> Image.Image:
    grey = _despeckled(image)
    grey = grey.resize((grey.width * factor, grey.height * factor), Image.Resampling.BICUBIC)
    return grey.point(lambda value: 255 if value > 140 else 0)


def read_codes(image: Image.Image) -> list[str]:
    """Texts of the codes found on the page, deduplicated, in reading order."""
    grey = image.convert("L") if image.mode not in ("L", "1") else image
    found, damaged = _decode(grey)
    scale = 1.0
    if not found and grey.width < _LOW_RES_WIDTH:
        grey = grey.convert("L")
        found, damaged_again = _decode(_despeckled(grey))
        if not found and (damaged or damaged_again):
            found, _ = _decode(_binarised(grey, 2), upscaled=True)
            scale = 2.0
    # Rows of codes: tops within ~1/4 inch at 200 dpi count as one row, read left to right.
    band = 50 * scale
    found.sort(key=lambda item: (round(item[0] / band), item[1]))
    texts: list[str] = []
    for _, _, text in found:
        if text not in texts:
            texts.append(text)
    return texts

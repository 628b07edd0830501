"""Read the 2-D codes and barcodes on a page: QR, DataMatrix, Code 128 and PDF417 (zxing-cpp).

The page is read as it is first (zxing-cpp tries rotations and inverted codes itself). When nothing
is found on a low-resolution page (a fax: codes lose their edges at 98 dpi and to 1-bit noise), a
binarised, speck-free copy scaled up twice is tried (about 0.25 s more on a fax page without any code).
Texts are returned once each, in reading order (top to bottom, then left to right).
"""

from __future__ import annotations

from PIL import Image, ImageFilter

_LOW_RES_WIDTH = 2600  # a letter page narrower than this (~300 dpi) gets the upscaled retry


def _formats():  # type: ignore[no-untyped-def]
    import zxingcpp

    return [
        zxingcpp.BarcodeFormat.QRCode,
        zxingcpp.BarcodeFormat.DataMatrix,
        zxingcpp.BarcodeFormat.Code128,
        zxingcpp.BarcodeFormat.PDF417,
    ]


def _decode(image: Image.Image, *, retry: bool = False) -> list[tuple[int, int, str]]:
    import zxingcpp

    found: list[tuple[int, int, str]] = []
    # The retry image is binarised black-on-white and meant to be upright: no inverted or 90-degree
    # passes (a quarter of the time; QR, DataMatrix and PDF417 are read upside down regardless).
    codes = zxingcpp.read_barcodes(
        image, formats=_formats(), try_rotate=not retry, try_invert=not retry
    )
    for code in codes:
        if not code.valid or not code.text:
            continue
        position = code.position
        top = min(position.top_left.y, position.top_right.y)
        left = min(position.top_left.x, position.bottom_left.x)
        found.append((int(top), int(left), code.text))
    return found


def _binarised(image: Image.Image, factor: int) -> Image.Image:
    grey = image.convert("L").filter(ImageFilter.MedianFilter(3))
    grey = grey.resize((grey.width * factor, grey.height * factor), Image.Resampling.BICUBIC)
    return grey.point(lambda value: 255 if value > 140 else 0)


def read_codes(image: Image.Image) -> list[str]:
    """Texts of the codes found on the page, deduplicated, in reading order."""
    grey = image.convert("L") if image.mode not in ("L", "1") else image
    found = _decode(grey)
    scale = 1.0
    if not found and grey.width < _LOW_RES_WIDTH:
        attempt = _binarised(grey, 2)
        found = _decode(attempt, retry=True)
        scale = 2.0
    # Rows of codes: tops within ~1/4 inch at 200 dpi count as one row, read left to right.
    band = 50 * scale
    found.sort(key=lambda item: (round(item[0] / band), item[1]))
    texts: list[str] = []
    for _, _, text in found:
        if text not in texts:
            texts.append(text)
    return texts

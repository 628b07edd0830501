"""OCR one page image with Tesseract (through pytesseract), finding its upright orientation.

What happens to a page:

1. Cleaning: a black-and-white page (a fax) has had its specks removed by ``pages.despeckle`` at its
   own resolution; a grey page that still has many isolated specks gets a 3x3 median filter.
2. Skew up to 3 degrees is measured on a quarter-size copy (the angle whose row profile is the
   sharpest) and corrected; it costs well under 0.1 s and lifts fax confidence a lot.
3. The page is read as it is. A page read with high confidence (and not as vertical lines, which
   Tesseract manages on sideways pages) is upright and is done: most pages, one Tesseract run.
   A garbled reading of horizontal lines is tried upside down next, and a confident upside-down
   reading is taken (no orientation detection needed). Otherwise Tesseract's orientation detection
   (``--psm 0``) is asked; when it is sure of another orientation the page is also read that way,
   and when it is unsure or fails (sparse pages: "Too few characters") the page is also read upside
   down. The reading with the highest mean word confidence wins, the unrotated one on a tie.

A photographed card or ID (a light rectangle on a darker background) is first cut out of the picture
and levelled (the turn, up to 25 degrees, at which its light area has the smallest bounding box),
then read as it stands and upside down; a confident reading of it is the page's text.

Words are put back into lines by their position (words side by side on the page end up on one line
even when Tesseract sees two columns), so that "Name: DOE, JANE      DOB: 01/02/1960" stays one line.

Tesseract runs single-threaded (``OMP_THREAD_LIMIT=1``): parallelism is per page, in the caller.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass

from PIL import Image, ImageFilter, ImageOps

# High enough that a page read this well is not rotated: upside-down or sideways text reads at
# 15-35, a clean upright page at 85-95, a despeckled 204x98 dpi fax at 65-85.
_CONFIDENT = 65.0
_CONFIDENT_WORDS = 8
# Below this a horizontal reading is garbage: the page is probably upside down.
_GARBLED = 50.0
# Tesseract OSD's "orientation confidence" below which its answer is a guess.
_OSD_SURE = 2.0
# Characters OSD looks at (Tesseract's default is 50; 30 answers as surely on a page and is faster).
_OSD_CHARACTERS = 30
_MAX_SKEW = 3.0
_TIMEOUT = 60  # seconds per Tesseract run; a page that takes longer is not a page we can read


class OcrUnavailable(RuntimeError):
    """Tesseract is not installed (or not on PATH)."""


@dataclass
class OcrResult:
    text: str
    confidence: float  # mean word confidence 0..100 (0 when no words)
    rotation: int  # degrees CLOCKWISE applied to make the page upright: 0, 90, 180, 270
    words: int


@functools.cache
def ocr_available() -> bool:
    try:
        import pytesseract

        pytesseract.get_tesseract_version()
    except Exception:
        return False
    return True


def _pytesseract():  # type: ignore[no-untyped-def]
    if not ocr_available():
        raise OcrUnavailable("Tesseract is not installed: pages cannot be read.")
    import pytesseract

    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    return pytesseract


def upright(image: Image.Image, rotation: int) -> Image.Image:
    """The image turned ``rotation`` degrees clockwise (0, 90, 180 or 270)."""
    rotation %= 360
    if rotation not in (0, 90, 180, 270):
        raise ValueError(f"Rotation must be a multiple of 90 degrees, not {rotation}.")
    if rotation == 0:
        return image
    transpose = {
        90: Image.Transpose.ROTATE_270,  # PIL's ROTATE_n turns counter-clockwise
        180: Image.Transpose.ROTATE_180,
        270: Image.Transpose.ROTATE_90,
    }[rotation]
    return image.transpose(transpose)


def _grey(image: Image.Image) -> Image.Image:
    if image.mode == "L":
        return image
    if image.mode in ("RGBA", "LA"):
        background = Image.new("RGBA", image.size, "white")
        background.alpha_composite(image.convert("RGBA"))
        return background.convert("L")
    return image.convert("L")


def _ink(image: Image.Image) -> int:
    histogram = image.histogram()
    return sum(histogram[:128])


def clean(image: Image.Image) -> Image.Image:
    """Remove fax specks: a median filter when it takes away a noticeable share of the ink."""
    grey = _grey(image)
    filtered = grey.filter(ImageFilter.MedianFilter(3))
    before = _ink(grey)
    if before == 0:
        return grey
    removed = (before - _ink(filtered)) / before
    # Clean text loses 2-6 % of its dark pixels to the filter (small print the most); faxes with
    # specks lose 10-30 %.
    return filtered if removed > 0.08 else grey


def _row_sharpness(ink: Image.Image, angle: float) -> float:
    turned = ink.rotate(angle, resample=Image.Resampling.BILINEAR) if angle else ink
    rows = turned.resize((1, turned.height), Image.Resampling.BOX).tobytes()
    mean = sum(rows) / len(rows)
    return sum((value - mean) ** 2 for value in rows)


def skew_angle(image: Image.Image) -> float:
    """The counter-clockwise angle (degrees, within +-3) that makes the text lines horizontal."""
    grey = _grey(image)
    small = grey.resize((max(1, grey.width // 4), max(1, grey.height // 4)), Image.Resampling.BOX)
    ink = ImageOps.invert(small)
    best_score, best = _row_sharpness(ink, 0.0), 0.0
    steps = int(_MAX_SKEW * 2)
    for half_degrees in range(-steps, steps + 1):
        angle = half_degrees / 2
        if angle:
            score = _row_sharpness(ink, angle)
            if score > best_score * 1.0001:
                best_score, best = score, angle
    coarse = best
    for fine in (-0.4, -0.3, -0.2, -0.1, 0.1, 0.2, 0.3, 0.4):
        angle = round(coarse + fine, 2)
        if abs(angle) <= _MAX_SKEW:
            score = _row_sharpness(ink, angle)
            if score > best_score * 1.0001:
                best_score, best = score, angle
    return best


def deskew(image: Image.Image) -> Image.Image:
    angle = skew_angle(image)
    if abs(angle) < 0.2:
        return image
    return image.rotate(angle, resample=Image.Resampling.BILINEAR, expand=True, fillcolor=255)


@dataclass
class _Unit:
    top: int
    bottom: int
    left: int
    words: list[str]


@dataclass
class _Reading:
    result: OcrResult
    sideways: bool  # most longer words are taller than wide: Tesseract read vertical lines


def _lines(data: dict[str, list]) -> tuple[str, float, int, bool]:  # type: ignore[type-arg]
    """Text rebuilt from ``image_to_data`` by position, mean word confidence, word count, sideways."""
    units: dict[tuple[int, int, int], _Unit] = {}
    confidences: list[float] = []
    tall = wide = 0
    for i, word in enumerate(data["text"]):
        word = (word or "").strip()
        try:
            confidence = float(data["conf"][i])
        except (TypeError, ValueError):
            confidence = -1.0
        if not word or confidence < 0:
            continue
        confidences.append(confidence)
        if len(word) >= 4:
            if int(data["height"][i]) > int(data["width"][i]):
                tall += 1
            else:
                wide += 1
        key = (int(data["block_num"][i]), int(data["par_num"][i]), int(data["line_num"][i]))
        top, left = int(data["top"][i]), int(data["left"][i])
        bottom = top + int(data["height"][i])
        unit = units.get(key)
        if unit is None:
            units[key] = _Unit(top, bottom, left, [word])
        else:
            unit.top, unit.bottom = min(unit.top, top), max(unit.bottom, bottom)
            unit.left = min(unit.left, left)
            unit.words.append(word)
    rows: list[list[_Unit]] = []
    for unit in sorted(units.values(), key=lambda u: (u.top, u.left)):
        height = max(1, unit.bottom - unit.top)
        for row in rows:
            row_top = min(u.top for u in row)
            row_bottom = max(u.bottom for u in row)
            overlap = min(row_bottom, unit.bottom) - max(row_top, unit.top)
            if overlap >= 0.5 * min(height, row_bottom - row_top):
                row.append(unit)
                break
        else:
            rows.append([unit])
    out: list[str] = []
    previous_bottom: int | None = None
    for row in rows:
        top = min(u.top for u in row)
        height = max(u.bottom for u in row) - top
        if previous_bottom is not None and top - previous_bottom > 1.2 * height:
            out.append("")
        out.append("   ".join(" ".join(u.words) for u in sorted(row, key=lambda u: u.left)))
        previous_bottom = max(u.bottom for u in row)
    text = "\n".join(out)
    mean = sum(confidences) / len(confidences) if confidences else 0.0
    return text, mean, len(confidences), tall > wide


def _read(image: Image.Image, rotation: int) -> _Reading:
    pytesseract = _pytesseract()
    prepared = deskew(upright(image, rotation))
    data = pytesseract.image_to_data(
        prepared,
        config="--psm 3",
        output_type=pytesseract.Output.DICT,
        timeout=_TIMEOUT,
    )
    text, confidence, words, sideways = _lines(data)
    result = OcrResult(text=text, confidence=round(confidence, 1), rotation=rotation, words=words)
    return _Reading(result, sideways)


def _osd(image: Image.Image) -> tuple[int, float] | None:
    """Tesseract's (clockwise rotation, orientation confidence), or None when it cannot tell."""
    pytesseract = _pytesseract()
    try:
        result = pytesseract.image_to_osd(
            image,
            config=f"--psm 0 -c min_characters_to_try={_OSD_CHARACTERS}",
            output_type=pytesseract.Output.DICT,
            timeout=_TIMEOUT,
        )
    except pytesseract.TesseractError:
        return None  # "Too few characters", an empty page
    try:
        return int(result["rotate"]) % 360, float(result["orientation_conf"])
    except (KeyError, TypeError, ValueError):
        return None


def _confident(reading: _Reading) -> bool:
    result = reading.result
    return (
        result.confidence >= _CONFIDENT
        and result.words >= _CONFIDENT_WORDS
        and not reading.sideways
    )


def ocr_image(image: Image.Image, *, detect_rotation: bool = True) -> OcrResult:
    """Read a page image; with ``detect_rotation``, find and apply its upright orientation.

    Raises ``OcrUnavailable`` without Tesseract, ``RuntimeError`` when a Tesseract run takes over
    60 s and ``pytesseract.TesseractError`` when Tesseract fails on the image.
    """
    _pytesseract()
    card = _read_photographed_card(image) if detect_rotation else None
    if card is not None and card.confidence >= _CONFIDENT:
        return card
    cleaned = clean(image)
    first = _read(cleaned, 0)
    if not detect_rotation or _confident(first):
        return first.result
    readings = {0: first}
    if not first.sideways and first.result.confidence < _GARBLED:
        # Garbled, horizontal lines: most likely upside down; a confident upside-down reading
        # settles it without orientation detection.
        readings[180] = _read(cleaned, 180)
        if _confident(readings[180]):
            return readings[180].result
    osd = _osd(cleaned)
    if osd is not None and osd[1] >= _OSD_SURE:
        if osd[0] == 0 and not first.sideways:
            return _better(card, first.result)
        candidate = osd[0] or 180
    else:
        candidate = 180
    if candidate not in readings:
        readings[candidate] = _read(cleaned, candidate)
    usable = [r for r in readings.values() if r.result.words and not r.sideways] or [first]
    # The best confidence wins; on a tie the earlier reading (the page as it came) stays.
    return _better(card, max(usable, key=lambda r: r.result.confidence).result)


def _better(card: OcrResult | None, page: OcrResult) -> OcrResult:
    """The card's reading when it is more confident than the whole picture's."""
    return card if card is not None and card.confidence > page.confidence else page


# A photographed card or ID (a light rectangle on a darker background, turned any way up to 25
# degrees) is levelled and cut out before it is read: turned like that, Tesseract reads little of it.
_PHOTO_RESCUE_WORDS = 5
_PHOTO_BRIGHT = 170  # grey level above which a pixel may belong to the (light) card
_CARD_BELOW_BRIGHTEST = 45  # the card: within this of the picture's brightest 1 %
_CARD_MAX_TURN = 25


def _card_mask(grey: Image.Image) -> Image.Image:
    """White where the picture is as light as a card: above 170, and within 45 grey levels of its
    brightest 1 % (so a light-grey table is not taken for part of a white card)."""
    histogram = grey.histogram()
    wanted, seen, brightest = grey.width * grey.height / 100, 0, 255
    for value in range(255, -1, -1):
        seen += histogram[value]
        if seen >= wanted:
            brightest = value
            break
    threshold = max(_PHOTO_BRIGHT, brightest - _CARD_BELOW_BRIGHTEST)
    return grey.point(lambda value: 255 if value > threshold else 0)


def card_region(image: Image.Image) -> Image.Image | None:
    """The light rectangle (a card, an ID) photographed on a darker background, or None when the
    picture has no such background (a page, a blank sheet)."""
    grey = _grey(image)
    box = _card_mask(grey).getbbox()
    if box is None:
        return None
    left, top, right, bottom = box
    area = (right - left) * (bottom - top)
    if area >= 0.9 * grey.width * grey.height or area < 0.05 * grey.width * grey.height:
        return None
    return grey.crop(box)


def card_angle(card: Image.Image) -> float:
    """The counter-clockwise angle (degrees, within +-25) that levels a photographed card: the one at
    which the card's light area has the smallest bounding box (a rectangle's is smallest when its
    sides are level)."""
    grey = _grey(card)
    small = grey.resize((max(1, grey.width // 4), max(1, grey.height // 4)), Image.Resampling.BOX)
    mask = _card_mask(small)

    def area(angle: float) -> int:
        box = mask.rotate(angle, expand=True, fillcolor=0).getbbox()
        return (box[2] - box[0]) * (box[3] - box[1]) if box else 1 << 40

    coarse = min(range(-_CARD_MAX_TURN, _CARD_MAX_TURN + 1), key=lambda a: (area(a), abs(a)))
    return min((coarse + step / 4 for step in range(-4, 5)), key=lambda a: (area(a), abs(a)))


def _level_card(card: Image.Image) -> Image.Image:
    angle = card_angle(card)
    if not angle:
        return card
    turned = card.rotate(angle, expand=True, fillcolor=0, resample=Image.Resampling.BICUBIC)
    box = _card_mask(turned).getbbox()
    return turned.crop(box) if box else turned


def _read_photographed_card(image: Image.Image) -> OcrResult | None:
    """Read a photographed card: cut out of its background, levelled, read as it stands and, unless
    that reading is confident, upside down; the more confident reading wins. None when the picture
    is no card on a background or reads fewer than 5 words. The rotation is that of the whole
    picture (0 or 180; the small levelling turn is not applied to the stored page)."""
    card = card_region(image)
    if card is None:
        return None
    levelled = _level_card(card)
    best = _read(levelled, 0)
    if not _confident(best):
        upside_down = _read(levelled, 180)
        if upside_down.result.confidence > best.result.confidence:
            best = upside_down
    if best.result.words < _PHOTO_RESCUE_WORDS:
        return None
    return best.result

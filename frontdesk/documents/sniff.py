"""Decide from a file's CONTENT whether the inbox accepts it (pure functions: no models, no settings).

Accepted: PDF, TIFF (multi-page), JPEG, PNG. Everything else is quarantined with a reason in plain
words and a stable code (``choices.QuarantineCode``): empty files, files over the size or page cap,
HTML / SVG / any XML, images or PDFs that also carry markup (polyglots), encrypted or damaged PDFs,
damaged images, decompression bombs, and names that claim another type than the content.

Decisions worth knowing:

- The type comes from the magic bytes only; Pillow is told which single format to parse, so it never
  falls back on another decoder.
- A name that contradicts the content (``report.pdf`` holding a PNG, ``scan.png`` holding a PDF, a
  ``.html`` / ``.svg`` / ``.exe``-style name on any content) is quarantined, as issue 7 lists
  "mismatched content" among what goes to quarantine: it is the classic sign of a disguised file, and
  staff can release a harmless one after looking. A name without an extension, or with one that says
  nothing (``.dat``, ``.fax``), is judged by content alone.
- Decompression bombs: the pixel count an image's header claims is checked against ``max_pixels``
  before anything is decoded, and Pillow's own ``DecompressionBombWarning`` is turned into an error
  as a second guard. Only then are the pixels decoded (JPEG at 1/8 scale), which finds truncated and
  damaged files.
- Polyglots: markup (``<html``, ``<script``, ``<svg``, ``<!doctype``, ``<iframe``, ``<?php``, ...) is
  looked for where an image keeps non-pixel data - JPEG segments and comments, PNG ancillary chunks,
  anything after the JPEG end marker or the PNG ``IEND`` chunk - and, for a PDF, before its header and
  after its last ``%%EOF``. Compressed pixel data is not searched (random bytes would match sooner or
  later); TIFFs, often stored uncompressed, are searched whole for the longer patterns.
"""

from __future__ import annotations

import io
import re
import struct
import unicodedata
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from frontdesk.documents.choices import Kind, QuarantineCode

DISPLAY_NAME_MAX = 200

# Markup a browser would act on. The character after the tag name must end the name, so "<svgx"
# or random bytes beginning with "<svg" in a comment do not match.
_MARKUP = re.compile(
    rb"<(?:html|head|body|script|svg|iframe|object|embed|meta|link|style|xml)[\s>/]"
    rb"|<!doctype|<\?xml|<\?php|<!\[cdata\[|javascript:"
)


def _has_markup(data: bytes) -> bool:
    # Lower-casing first and matching case-sensitively is about three times faster than IGNORECASE.
    return _MARKUP.search(data.lower()) is not None


_EXTENSIONS: dict[str, str] = {
    "pdf": Kind.PDF,
    "tif": Kind.TIFF,
    "tiff": Kind.TIFF,
    "jpg": Kind.JPEG,
    "jpeg": Kind.JPEG,
    "jpe": Kind.JPEG,
    "jfif": Kind.JPEG,
    "png": Kind.PNG,
}
# Names a browser, mail client or desktop would open as something active, whatever the content.
_ACTIVE_EXTENSIONS = frozenset(
    {
        "htm", "html", "xhtml", "shtml", "svg", "svgz", "xml", "xsl", "js", "mjs", "hta", "php",
        "exe", "com", "bat", "cmd", "scr", "msi", "ps1", "vbs", "jar", "sh", "lnk", "swf",
    }
)  # fmt: skip

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_JPEG_MAGIC = b"\xff\xd8\xff"
_TIFF_MAGICS = (b"II*\x00", b"MM\x00*")
_KIND_WORDS: dict[str, str] = {
    Kind.PDF: "a PDF",
    Kind.TIFF: "a TIFF image",
    Kind.JPEG: "a JPEG image",
    Kind.PNG: "a PNG image",
}


@dataclass(frozen=True)
class Sniffed:
    """What the content is. ``reason`` is empty when the file is accepted."""

    kind: (
        str  # a Kind value; the detected container even when quarantined (an encrypted PDF is pdf)
    )
    pages: int = 0
    width: int | None = None  # pixel size of the first page (images only)
    height: int | None = None
    reason: str = ""  # plain words for staff
    code: str = ""  # a QuarantineCode value

    @property
    def accepted(self) -> bool:
        return not self.code


class _Quarantine(Exception):
    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def detect_kind(data: bytes) -> str:
    """The accepted kind the magic bytes announce, or ``Kind.UNKNOWN``."""
    if data.startswith(b"%PDF-"):
        return Kind.PDF
    if data.startswith(_PNG_MAGIC):
        return Kind.PNG
    if data.startswith(_JPEG_MAGIC):
        return Kind.JPEG
    if data[:4] in _TIFF_MAGICS:
        return Kind.TIFF
    return Kind.UNKNOWN


def _extension(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    if "." not in base.strip("."):
        return ""
    return base.rsplit(".", 1)[-1].strip().lower()


def _markup_kind(data: bytes) -> str:
    """Words for a file that is markup rather than a document ("" when it does not look like markup)."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf\xfe\xff\x00 \t\r\n").lower()
    if b"<svg" in head:
        return "an SVG image (XML that can carry scripts)"
    if head.startswith(b"<?xml"):
        return "an XML file"
    if head.startswith((b"<!doctype", b"<html")) or _has_markup(head):
        return "an HTML page"
    return ""


def sniff(
    data: bytes, *, name: str = "", max_bytes: int, max_pages: int, max_pixels: int
) -> Sniffed:
    """Decide what ``data`` is and whether the inbox accepts it; never raises for bad content."""
    size = len(data)
    if size == 0:
        return Sniffed(
            kind=Kind.UNKNOWN, code=QuarantineCode.EMPTY, reason="The file is empty (0 bytes)."
        )
    kind = detect_kind(data)
    if size > max_bytes:
        return Sniffed(
            kind=kind,
            code=QuarantineCode.TOO_LARGE,
            reason=(
                f"The file is {_megabytes(size)} ({size} bytes), over the limit of "
                f"{_megabytes(max_bytes)} ({max_bytes} bytes)."
            ),
        )
    if kind == Kind.UNKNOWN:
        markup = _markup_kind(data)
        if markup:
            return Sniffed(
                kind=kind,
                code=QuarantineCode.MARKUP,
                reason=f"The content is {markup}, not a PDF, TIFF, JPEG or PNG document.",
            )
        return Sniffed(
            kind=kind,
            code=QuarantineCode.UNRECOGNISED,
            reason="The content is not a PDF, TIFF, JPEG or PNG file.",
        )
    try:
        if kind == Kind.PDF:
            result = _sniff_pdf(data, max_pages=max_pages)
        else:
            result = _sniff_image(data, kind=kind, max_pages=max_pages, max_pixels=max_pixels)
    except _Quarantine as problem:
        return Sniffed(kind=kind, code=problem.code, reason=problem.reason)
    mismatch = _name_mismatch(name, kind)
    if mismatch:
        return Sniffed(
            kind=kind,
            pages=result.pages,
            width=result.width,
            height=result.height,
            code=QuarantineCode.NAME_MISMATCH,
            reason=mismatch,
        )
    return result


def _name_mismatch(name: str, kind: str) -> str:
    extension = _extension(name)
    if not extension:
        return ""
    if extension in _ACTIVE_EXTENSIONS:
        return (
            f"The name ends in .{extension} but the content is {_KIND_WORDS[kind]}; a disguised "
            "file is kept in quarantine until someone has looked at it."
        )
    claimed = _EXTENSIONS.get(extension)
    if claimed is not None and claimed != kind:
        return (
            f"The name says {_KIND_WORDS[claimed]} (.{extension}) but the content is "
            f"{_KIND_WORDS[kind]}."
        )
    return ""


# --- PDF ---------------------------------------------------------------------------------------------


def _sniff_pdf(data: bytes, *, max_pages: int) -> Sniffed:
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError

    end = data.rfind(b"%%EOF")
    if end < 0:
        raise _Quarantine(
            QuarantineCode.CORRUPT, "The PDF is damaged: it has no end-of-file marker (truncated?)."
        )
    if _has_markup(data[end + 5 :]):
        raise _Quarantine(
            QuarantineCode.POLYGLOT,
            "The PDF carries web-page markup after its end; a file that is both PDF and HTML is "
            "not accepted.",
        )
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise _Quarantine(
                QuarantineCode.ENCRYPTED,
                "The PDF is encrypted (password-protected); it cannot be read or indexed. Ask the "
                "sender for an unprotected copy.",
            )
        pages = len(reader.pages)
        if pages and pages <= max_pages:
            # Touch each page's size: a broken page tree or page object shows here.
            for page in reader.pages:
                _ = page.mediabox.width
    except _Quarantine:
        raise
    except FileNotDecryptedError:
        raise _Quarantine(
            QuarantineCode.ENCRYPTED, "The PDF is encrypted (password-protected)."
        ) from None
    except Exception as exc:  # pypdf raises many types on malformed input; all mean "damaged"
        raise _Quarantine(
            QuarantineCode.CORRUPT, f"The PDF is damaged and cannot be read ({type(exc).__name__})."
        ) from None
    if pages == 0:
        raise _Quarantine(QuarantineCode.CORRUPT, "The PDF has no pages.")
    if pages > max_pages:
        raise _Quarantine(
            QuarantineCode.TOO_MANY_PAGES,
            f"The PDF has {pages} pages, over the limit of {max_pages}.",
        )
    return Sniffed(kind=Kind.PDF, pages=pages)


# --- Images ------------------------------------------------------------------------------------------

_PILLOW_FORMAT: dict[str, str] = {Kind.PNG: "PNG", Kind.JPEG: "JPEG", Kind.TIFF: "TIFF"}


def _sniff_image(data: bytes, *, kind: str, max_pages: int, max_pixels: int) -> Sniffed:
    _check_image_markup(data, kind)
    if kind == Kind.PNG and data[12:16] == b"IHDR":
        # The size sits at a fixed place: refuse a bomb with its numbers before Pillow opens it.
        width, height = struct.unpack(">II", data[16:24])
        if width * height > max_pixels:
            raise _bomb_reason(width, height, max_pixels)
    with warnings.catch_warnings():
        # Pillow's guard as an error: never decode what it thinks is a bomb.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            return _decode_image(data, kind=kind, max_pages=max_pages, max_pixels=max_pixels)
        except _Quarantine:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            claimed = re.search(r"\((\d+) pixels\)", str(exc))
            raise _Quarantine(
                QuarantineCode.BOMB,
                f"The image claims {claimed.group(1) if claimed else 'more'} pixels, over Pillow's "
                "safety limit; it looks like a decompression bomb and was not decoded.",
            ) from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, struct.error) as exc:
            raise _Quarantine(
                QuarantineCode.CORRUPT,
                f"The {_PILLOW_FORMAT[kind]} image is damaged and cannot be read "
                f"({type(exc).__name__}).",
            ) from None
        except Exception as exc:  # any other decoder failure on hostile input means "damaged"
            raise _Quarantine(
                QuarantineCode.CORRUPT,
                f"The {_PILLOW_FORMAT[kind]} image cannot be read ({type(exc).__name__}).",
            ) from None


def _bomb_reason(width: int, height: int, max_pixels: int, page: int | None = None) -> _Quarantine:
    where = f"Page {page} of the image" if page is not None else "The image"
    return _Quarantine(
        QuarantineCode.BOMB,
        f"{where} claims {width} x {height} pixels ({width * height} in all), over the limit of "
        f"{max_pixels}; it looks like a decompression bomb and was not decoded.",
    )


def _decode_image(data: bytes, *, kind: str, max_pages: int, max_pixels: int) -> Sniffed:
    with Image.open(io.BytesIO(data), formats=[_PILLOW_FORMAT[kind]]) as image:
        width, height = image.size
        if width <= 0 or height <= 0:
            raise _Quarantine(
                QuarantineCode.CORRUPT, "The image has no pixels (0 width or height)."
            )
        if width * height > max_pixels:
            raise _bomb_reason(width, height, max_pixels)
        pages = 1
        if kind == Kind.TIFF:
            pages = int(getattr(image, "n_frames", 1))
            if pages > max_pages:
                raise _Quarantine(
                    QuarantineCode.TOO_MANY_PAGES,
                    f"The TIFF has {pages} pages, over the limit of {max_pages}.",
                )
            for number in range(pages):
                image.seek(number)
                frame_width, frame_height = image.size
                if frame_width * frame_height > max_pixels:
                    raise _bomb_reason(frame_width, frame_height, max_pixels, page=number + 1)
                image.load()
        elif kind == Kind.JPEG:
            # DCT scaling decodes at 1/8 size: every byte of entropy data is still read.
            image.draft(image.mode, (max(1, width // 8), max(1, height // 8)))
            image.load()
        else:
            image.load()
    return Sniffed(kind=kind, pages=pages, width=width, height=height)


def _polyglot(kind: str, where: str) -> _Quarantine:
    return _Quarantine(
        QuarantineCode.POLYGLOT,
        f"The {_PILLOW_FORMAT[kind]} image carries web-page markup {where}; a file that is both an "
        "image and HTML is not accepted.",
    )


def _check_image_markup(data: bytes, kind: str) -> None:
    if kind == Kind.JPEG:
        _check_jpeg_markup(data)
    elif kind == Kind.PNG:
        _check_png_markup(data)
    elif _has_markup(data):
        raise _polyglot(kind, "inside it")


def _check_jpeg_markup(data: bytes) -> None:
    """Walk the JPEG's segments; markup in a segment or after the end marker is a polyglot."""
    position = 2
    length = len(data)
    while position + 4 <= length:
        if data[position] != 0xFF:
            raise _Quarantine(QuarantineCode.CORRUPT, "The JPEG image is damaged (bad segment).")
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker == 0xD9:  # EOI
            break
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # markers without a length
            position += 2
            continue
        (segment_length,) = struct.unpack(">H", data[position + 2 : position + 4])
        segment = data[position + 4 : position + 2 + segment_length]
        if _has_markup(segment):
            raise _polyglot(Kind.JPEG, "in a header or comment segment")
        position += 2 + segment_length
        if marker == 0xDA:  # start of scan: skip entropy-coded data to the next real marker
            while position + 1 < length:
                if (
                    data[position] == 0xFF
                    and data[position + 1] not in (0x00, 0xFF)
                    and not (0xD0 <= data[position + 1] <= 0xD7)
                ):
                    break
                position += 1
    else:
        return  # ran off the end without EOI: the decoder reports the truncation
    if _has_markup(data[position + 2 :]):
        raise _polyglot(Kind.JPEG, "after the end of the image data")


def _check_png_markup(data: bytes) -> None:
    """Walk the PNG's chunks; markup in a non-pixel chunk or after IEND is a polyglot."""
    position = len(_PNG_MAGIC)
    length = len(data)
    while position + 8 <= length:
        chunk_length, chunk_type = struct.unpack(">I4s", data[position : position + 8])
        body = data[position + 8 : position + 8 + chunk_length]
        position += 12 + chunk_length
        if chunk_type == b"IEND":
            if _has_markup(data[position:]):
                raise _polyglot(Kind.PNG, "after the end of the image data")
            return
        if chunk_type != b"IDAT" and _has_markup(body):
            raise _polyglot(Kind.PNG, f"in its {chunk_type.decode('latin-1')} chunk")


# --- Names -------------------------------------------------------------------------------------------


def safe_display_name(name: str, *, fallback: str = "unnamed") -> str:
    """The uploader's file name made safe to show: last path part only, no control characters.

    Strips directories of either slash (``../../etc/passwd`` -> ``passwd``), Windows drive letters
    (``C:evil.pdf`` -> ``evil.pdf``), control and invisible format characters (including the
    right-to-left override that makes ``gnp.exe`` read as ``exe.png``), collapses white space and keeps
    at most 200 characters, cutting the stem so that the extension survives. The result is for display
    only: stored names are generated, never this.
    """
    text = unicodedata.normalize("NFC", str(name or ""))
    text = "".join(
        " " if unicodedata.category(ch) in {"Zl", "Zp"} or ch in "\t\r\n" else ch
        for ch in text
        if unicodedata.category(ch) not in {"Cc", "Cf", "Cs", "Co", "Cn"} or ch in "\t\r\n"
    )
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = re.sub(r"^[A-Za-z]:", "", text)
    text = re.sub(r"\s+", " ", text).strip().strip(".").strip()
    if not text:
        return fallback
    if len(text) > DISPLAY_NAME_MAX:
        stem, dot, extension = text.rpartition(".")
        if dot and stem and 0 < len(extension) <= 16:
            text = stem[: DISPLAY_NAME_MAX - len(extension) - 1].rstrip() + "." + extension
        else:
            text = text[:DISPLAY_NAME_MAX].rstrip()
    return text

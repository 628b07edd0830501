"""Synthetic files for the document tests, made on the fly (no patient data, nothing checked in)."""

from __future__ import annotations

import io
import struct
import zlib

from fpdf import FPDF
from PIL import Image
from PIL.PngImagePlugin import PngInfo
from pypdf import PdfReader, PdfWriter


def pdf(pages: int = 1, text: str = "Synthetic test letter for Zzyzx Testpatient") -> bytes:
    document = FPDF()
    document.set_font("helvetica", size=12)
    for number in range(1, pages + 1):
        document.add_page()
        document.cell(text=f"{text} - page {number}")
    return bytes(document.output())


def encrypted_pdf(password: str = "secret") -> bytes:
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(pdf(pages=2))))
    writer.encrypt(user_password=password, owner_password=password, algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _image(size: tuple[int, int], color: str = "white") -> Image.Image:
    image = Image.new("RGB", size, color)
    for x in range(min(size[0], size[1])):  # a diagonal, so the pixels are not all alike
        image.putpixel((x, x), (0, 0, 0))
    return image


def png(size: tuple[int, int] = (64, 48), *, text: dict[str, str] | None = None) -> bytes:
    out = io.BytesIO()
    info = PngInfo()
    for key, value in (text or {}).items():
        info.add_text(key, value)
    _image(size).save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def jpeg(size: tuple[int, int] = (64, 48), *, comment: bytes = b"") -> bytes:
    out = io.BytesIO()
    if comment:
        _image(size).save(out, format="JPEG", quality=80, comment=comment)
    else:
        _image(size).save(out, format="JPEG", quality=80)
    return out.getvalue()


def tiff(pages: int = 3, size: tuple[int, int] = (40, 30)) -> bytes:
    frames = [_image(size, color) for color in ["white", "gray", "black", "red", "blue"][:pages]]
    while len(frames) < pages:
        frames.append(_image(size))
    out = io.BytesIO()
    frames[0].save(out, format="TIFF", save_all=True, append_images=frames[1:], compression="raw")
    return out.getvalue()


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_bomb(width: int = 20000, height: int = 20000) -> bytes:
    """A valid 1-bit grayscale PNG of width x height pixels whose compressed data is tiny.

    20000 x 20000 is 400 million pixels (about 50 MB of raw rows, 1.2 GB as RGBA) in ~50 kB.
    """
    compressor = zlib.compressobj(9)
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    compressed = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", compressed)
        + _png_chunk(b"IEND", b"")
    )


HTML = b"<!DOCTYPE html>\n<html><body><script>alert('x')</script></body></html>\n"
SVG = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert('x')</script></svg>\n"
)

"""Fax transports (one interface, a built-in test transport, a generic HTTP adapter) and the
signature of the fax provider's webhooks.

A transport takes a number, the PDF to send and our reference, and returns the provider's job id, or
raises ``FaxError`` with a short code (no PHI) that the correspondence log keeps. Delivery is
reported later by the provider's status webhook (``POST /documents/fax/status/``).

Webhook signature (inbound faxes and delivery status alike)::

    X-FrontDesk-Timestamp: <unix seconds>
    X-FrontDesk-Signature: sha256=<hex HMAC-SHA256 under FRONTDESK_FAX_WEBHOOK_SECRET of
                                   timestamp + "." + raw request body>

A timestamp more than five minutes away from now is refused (replay window); the comparison is
constant-time; without a secret every request is refused (fails closed).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings

from frontdesk.core import http

SIGNATURE_HEADER = "X-FrontDesk-Signature"
TIMESTAMP_HEADER = "X-FrontDesk-Timestamp"


class FaxError(Exception):
    """Sending failed; ``str(error)`` is a short code safe to store (never the document)."""


class FaxTransport(Protocol):
    def send(self, to_number: str, pdf_bytes: bytes, *, reference: str) -> str: ...


# --- webhook signature ---------------------------------------------------------------------------


def fax_signature(*, body: bytes, timestamp: str, secret: str | None = None) -> str:
    """The ``sha256=<hex>`` header value for ``body`` sent at ``timestamp``."""
    key = (secret if secret is not None else settings.FRONTDESK_FAX_WEBHOOK_SECRET).encode()
    digest = hmac.new(key, timestamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def fax_signature_valid(
    *, body: bytes, timestamp: str, signature: str, now: float | None = None
) -> bool:
    """True when the signature is right for this body and timestamp, and the timestamp is recent."""
    secret = settings.FRONTDESK_FAX_WEBHOOK_SECRET
    if not secret or not signature or not timestamp.strip().isdigit():
        return False
    stamp = timestamp.strip()
    window = int(settings.FRONTDESK_FAX_WEBHOOK_WINDOW_SECONDS)
    if abs((time.time() if now is None else now) - int(stamp)) > window:
        return False
    expected = fax_signature(body=body, timestamp=stamp, secret=secret)
    return hmac.compare_digest(expected.encode(), signature.strip().lower().encode())


def fax_signed_headers(body: bytes, *, now: float | None = None) -> dict[str, str]:
    """The two headers a caller (the test transport, a test, an adapter) signs ``body`` with."""
    stamp = str(int(time.time() if now is None else now))
    return {TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: fax_signature(body=body, timestamp=stamp)}


# --- transports ----------------------------------------------------------------------------------

_OUTBOX_LOCK = threading.Lock()


class TestFaxTransport:
    """Writes each outgoing fax as ``<job>.pdf`` plus ``<job>.json`` into the fax outbox.

    ``deliver(job_id)`` plays the provider's part: it marks the sidecar delivered (or failed) and
    reports the status the way the status webhook does.
    """

    __test__ = False  # not a pytest test class

    def __init__(self, outbox: Path | None = None) -> None:
        self.outbox = Path(outbox or settings.FRONTDESK_FAX_OUTBOX)

    def send(self, to_number: str, pdf_bytes: bytes, *, reference: str) -> str:
        if not pdf_bytes.startswith(b"%PDF"):
            raise FaxError("not_pdf")
        job_id = f"testfax-{uuid.uuid4().hex}"
        self.outbox.mkdir(parents=True, exist_ok=True)
        with _OUTBOX_LOCK:
            (self.outbox / f"{job_id}.pdf").write_bytes(pdf_bytes)
            self._write_sidecar(
                job_id,
                {
                    "id": job_id,
                    "to": to_number,
                    "from": settings.FRONTDESK_FAX_FROM,
                    "reference": reference,
                    "bytes": len(pdf_bytes),
                    "status": "queued",
                },
            )
        return job_id

    def _write_sidecar(self, job_id: str, data: dict[str, Any]) -> None:
        (self.outbox / f"{job_id}.json").write_text(json.dumps(data, indent=2), encoding="utf-8")

    def sidecar(self, job_id: str) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(
            (self.outbox / f"{job_id}.json").read_text(encoding="utf-8")
        )
        return loaded

    def jobs(self) -> list[str]:
        return sorted(path.stem for path in self.outbox.glob("*.json"))

    def deliver(self, job_id: str, *, status: str = "sent", error: str = "") -> Any:
        """Mark the job delivered (or failed) and report it; returns the updated log row."""
        from frontdesk.documents.intake.faxes import fax_status_update

        with _OUTBOX_LOCK:
            data = self.sidecar(job_id)
            data.update({"status": status, "error": error})
            self._write_sidecar(job_id, data)
        return fax_status_update(provider_id=job_id, status=status, error=error)


class HttpFaxTransport:
    """POSTs multipart ``to``, ``from``, ``reference`` and ``file`` (the PDF) with a bearer token;
    expects ``{"id": ...}`` back. Through ``frontdesk.core.http.post`` (urllib with certificate and
    hostname verification on), whose short error codes become the FaxError's."""

    def __init__(self, url: str, token: str, *, timeout: float = 60.0) -> None:
        self.url = http.require_http_url(url, what="The fax provider URL")
        self.token = token
        self.timeout = timeout

    @staticmethod
    def _multipart(fields: dict[str, str], pdf_bytes: bytes) -> tuple[bytes, str]:
        boundary = f"frontdesk-{secrets.token_hex(16)}"
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
            for name, value in fields.items()
        ]
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="fax.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n".encode()
            + pdf_bytes
            + b"\r\n"
        )
        parts.append(f"--{boundary}--\r\n".encode())
        return b"".join(parts), f"multipart/form-data; boundary={boundary}"

    def send(self, to_number: str, pdf_bytes: bytes, *, reference: str) -> str:
        body, content_type = self._multipart(
            {"to": to_number, "from": settings.FRONTDESK_FAX_FROM, "reference": reference},
            pdf_bytes,
        )
        try:
            answer = http.post(
                self.url,
                body=body,
                content_type=content_type,
                token=self.token,
                timeout=self.timeout,
            )
        except http.HttpPostError as error:
            raise FaxError(error.code) from None
        job_id = answer.get("id")
        if not job_id:
            raise FaxError("bad_response")
        return str(job_id)


def fax_transport() -> FaxTransport:
    """The configured transport (FRONTDESK_FAX_TRANSPORT: "test" or "http")."""
    if settings.FRONTDESK_FAX_TRANSPORT == "http":
        return HttpFaxTransport(settings.FRONTDESK_FAX_HTTP_URL, settings.FRONTDESK_FAX_HTTP_TOKEN)
    return TestFaxTransport()

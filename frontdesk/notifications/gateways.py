"""SMS gateways: one interface, a file gateway (default, embedded mode) and a generic HTTP adapter.

A gateway takes a number and a text and returns the provider's message id, or raises
``GatewayError`` with a short code (no PHI) that the message log keeps.
"""

from __future__ import annotations

import json
import threading
import uuid
from pathlib import Path
from typing import Protocol

from django.conf import settings

from frontdesk.core import http


class GatewayError(Exception):
    """Sending failed; ``str(error)`` is a short code safe to store (never the message text)."""


class SmsGateway(Protocol):
    def send(self, *, to: str, body: str) -> str: ...


_FILE_LOCK = threading.Lock()


class FileGateway:
    """Appends one JSON line per message to ``DATA_DIR/sms-outbox.jsonl`` (for embedded installs)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or Path(settings.DATA_DIR) / "sms-outbox.jsonl"

    def send(self, *, to: str, body: str) -> str:
        message_id = f"file-{uuid.uuid4().hex}"
        line = json.dumps(
            {"id": message_id, "to": to, "from": settings.NOTIFY_SMS_FROM, "body": body}
        )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with _FILE_LOCK, self.path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
        return message_id


class HttpGateway:
    """POSTs ``{"to", "from", "body"}`` as JSON with a bearer token; expects ``{"id": ...}`` back.

    Uses urllib with the default SSL context (certificate and hostname verification on), through
    ``frontdesk.core.http.post``, whose short error codes become the GatewayError's.
    """

    def __init__(self, url: str, token: str, *, timeout: float = 15.0) -> None:
        self.url = http.require_http_url(url, what="The SMS gateway URL")
        self.token = token
        self.timeout = timeout

    def send(self, *, to: str, body: str) -> str:
        payload = json.dumps({"to": to, "from": settings.NOTIFY_SMS_FROM, "body": body}).encode()
        try:
            answer = http.post(
                self.url,
                body=payload,
                content_type="application/json",
                token=self.token,
                timeout=self.timeout,
            )
        except http.HttpPostError as error:
            raise GatewayError(error.code) from None
        message_id = answer.get("id")
        if not message_id:
            raise GatewayError("bad_response")
        return str(message_id)


def sms_gateway() -> SmsGateway:
    """The configured gateway (settings.NOTIFY_SMS_GATEWAY: "file" or "http")."""
    if settings.NOTIFY_SMS_GATEWAY == "http":
        return HttpGateway(settings.NOTIFY_SMS_HTTP_URL, settings.NOTIFY_SMS_HTTP_TOKEN)
    return FileGateway()

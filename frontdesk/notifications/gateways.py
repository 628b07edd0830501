"""SMS gateways: one interface, a file gateway (default, embedded mode) and a generic HTTP adapter.

A gateway takes a number and a text and returns the provider's message id, or raises
``GatewayError`` with a short code (no PHI) that the message log keeps.
"""

from __future__ import annotations

import json
import ssl
import threading
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Protocol

from django.conf import settings


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

    Uses urllib with the default SSL context (certificate and hostname verification on).
    """

    def __init__(self, url: str, token: str, *, timeout: float = 15.0) -> None:
        if not url.startswith(("https://", "http://")):
            raise ValueError("The SMS gateway URL must be http(s).")
        self.url = url
        self.token = token
        self.timeout = timeout

    def send(self, *, to: str, body: str) -> str:
        payload = json.dumps({"to": to, "from": settings.NOTIFY_SMS_FROM, "body": body}).encode()
        # The scheme is checked to be http(s) in __init__ (no file: or custom schemes).
        request = urllib.request.Request(  # noqa: S310
            self.url,
            data=payload,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Accept": "application/json",
                "Authorization": f"Bearer {self.token}",
            },
        )
        context = ssl.create_default_context() if self.url.startswith("https://") else None
        try:
            with urllib.request.urlopen(  # noqa: S310
                request, timeout=self.timeout, context=context
            ) as response:
                answer = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            raise GatewayError(f"http_{error.code}") from None
        except urllib.error.URLError as error:
            if isinstance(error.reason, ssl.SSLCertVerificationError):
                raise GatewayError("tls_verify_failed") from None
            raise GatewayError("unreachable") from None
        except ssl.SSLCertVerificationError:
            raise GatewayError("tls_verify_failed") from None
        except (TimeoutError, OSError):
            raise GatewayError("unreachable") from None
        except ValueError:
            raise GatewayError("bad_response") from None
        message_id = answer.get("id") if isinstance(answer, dict) else None
        if not message_id:
            raise GatewayError("bad_response")
        return str(message_id)


def sms_gateway() -> SmsGateway:
    """The configured gateway (settings.NOTIFY_SMS_GATEWAY: "file" or "http")."""
    if settings.NOTIFY_SMS_GATEWAY == "http":
        return HttpGateway(settings.NOTIFY_SMS_HTTP_URL, settings.NOTIFY_SMS_HTTP_TOKEN)
    return FileGateway()

"""The check-in code that reminder e-mails carry as a QR image: a provider hook.

The code belongs to the self check-in kiosk (``frontdesk.kiosk.codes``), which sits above this app.
Rather than import it, notifications keeps one registered provider: the kiosk's app config calls
``register`` in ``ready()``. Without the kiosk installed nothing is registered and reminders simply go
out without a code. SMS never carries it (``services._send_email`` is the only caller).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

CheckInCodeProvider = Callable[[Any], "str | None"]
"""``provider(appointment) -> code`` (or None when the appointment has none)."""

_providers: list[CheckInCodeProvider] = []


def register(provider: CheckInCodeProvider) -> None:
    """Install the code provider (the last registration wins; registering twice is harmless)."""
    _providers[:] = [provider]


def unregister() -> None:
    _providers.clear()


def check_in_code_for(appointment: Any) -> str | None:
    """The appointment's check-in code, or None when no provider is registered."""
    if not _providers:
        return None
    return _providers[0](appointment)


def qr_png(code: str) -> bytes:
    """The code as a QR image (PNG), drawn with segno like the printed encounter forms."""
    import segno

    buffer = io.BytesIO()
    segno.make(code, error="m").save(buffer, kind="png", scale=6, border=4)
    return buffer.getvalue()

"""Handlers of inbound files, registered by the apps that understand them.

The clearinghouse knows nothing of eligibility, billing or remittance: each registers, in its
``AppConfig.ready``, a function for the kinds it takes ("271", "999", "277CA", "835")::

    from frontdesk.clearinghouse.handlers import register_handler
    register_handler("835", remittance_handler)   # handler(exchange) -> None

``inbox_poll`` calls the handler inside a transaction: when it raises, its writes roll back, the
exchange is marked ``error`` with the message, and the file stays stored for a person to look at.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from frontdesk.clearinghouse.choices import Kind

if TYPE_CHECKING:
    from frontdesk.clearinghouse.models import Exchange

Handler = Callable[["Exchange"], None]

_HANDLERS: dict[str, Handler] = {}


def register_handler(kind: str, handler: Handler) -> None:
    """Make ``handler`` process every inbound file of ``kind``; registering again replaces it."""
    if kind not in Kind.values:
        raise ValueError(f"Unknown exchange kind {kind!r} (one of {', '.join(Kind.values)}).")
    _HANDLERS[kind] = handler


def unregister_handler(kind: str) -> None:
    _HANDLERS.pop(kind, None)


def handler_for(kind: str) -> Handler | None:
    return _HANDLERS.get(kind)


def registered_kinds() -> list[str]:
    return sorted(_HANDLERS)

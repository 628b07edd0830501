"""The registry of SMS reply handlers: reply code ("C", "R", "X") -> handler.

``frontdesk.notifications.reply_actions`` fills ``REPLY_HANDLERS`` (it is imported once, by the app
config), so the domain code that parses replies does not import the scheduling or waitlist services it
orchestrates. A handler acts on the appointment and returns the ``ReplyAction`` it took.
"""

from __future__ import annotations

from collections.abc import Callable

ReplyHandler = Callable[..., str]
"""``handler(*, appointment: Appointment, inbound: InboundMessage) -> ReplyAction value``."""

REPLY_HANDLERS: dict[str, ReplyHandler] = {}


def register(code: str, handler: ReplyHandler) -> None:
    REPLY_HANDLERS[code] = handler


def handler_for(code: str) -> ReplyHandler | None:
    return REPLY_HANDLERS.get(code)

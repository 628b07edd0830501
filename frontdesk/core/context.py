"""Per-request context (request id, source IP) that the audit log reads without a request object."""

from __future__ import annotations

import contextvars
import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str
    source_ip: str | None
    user_agent: str = ""


_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "frontdesk_request_context", default=None
)


def current() -> RequestContext | None:
    """Return the context of the request being served, or None outside a request (CLI, worker)."""
    return _current.get()


def bind(context: RequestContext) -> contextvars.Token[RequestContext | None]:
    return _current.set(context)


def unbind(token: contextvars.Token[RequestContext | None]) -> None:
    _current.reset(token)


def new_request_id() -> str:
    return uuid.uuid4().hex

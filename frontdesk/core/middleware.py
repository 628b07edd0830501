"""Cross-cutting request handling: request ids, source IP, no-store caching, PHI-free error logging."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from frontdesk.core import context

logger = logging.getLogger("frontdesk.request")


class RequestContextMiddleware:
    """Bind a request id and the client address for the audit log; log failures without PHI."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = context.new_request_id()
        # REMOTE_ADDR only: X-Forwarded-For is client-controlled unless a trusted proxy rewrites it,
        # and SECURE_PROXY_SSL_HEADER deployments set REMOTE_ADDR through the WSGI server.
        ctx = context.RequestContext(
            request_id=request_id,
            source_ip=request.META.get("REMOTE_ADDR") or None,
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:200],
        )
        request.request_id = request_id  # type: ignore[attr-defined]
        token = context.bind(ctx)
        try:
            response = self.get_response(request)
        finally:
            context.unbind(token)
        response["X-Request-ID"] = request_id
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        # The URL can carry identifiers but never PHI (house rule); the exception text might, so only
        # its type is logged.
        logger.error(
            "unhandled_exception request_id=%s view=%s type=%s",
            getattr(request, "request_id", "-"),
            getattr(getattr(request, "resolver_match", None), "view_name", "-"),
            type(exception).__name__,
        )
        return None


class NoStoreMiddleware:
    """Forbid caching of every dynamic response: any page may carry PHI."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith("/static/"):
            response["Cache-Control"] = "no-store"
            response["Pragma"] = "no-cache"
        return response

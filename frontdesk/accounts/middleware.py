"""Automatic logoff: an idle limit and an absolute session lifetime (HIPAA 164.312(a)(2)(iii))."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

SESSION_LOGIN_AT = "frontdesk_login_at"
SESSION_LAST_SEEN = "frontdesk_last_seen"


def stamp_login_time(sender: object, request: object, user: object, **kwargs: object) -> None:
    """Start the session clocks at login (session bookkeeping only, not business logic)."""
    session = getattr(request, "session", None)
    if session is not None:
        now = time.time()
        session[SESSION_LOGIN_AT] = now
        session[SESSION_LAST_SEEN] = now


class SessionTimeoutMiddleware:
    """Log the user out after ``SESSION_IDLE_TIMEOUT_MINUTES`` idle or ``SESSION_MAX_AGE_HOURS`` in total.

    htmx polling requests (``HX-Trigger`` of a poller) must not count as activity; they send the header
    ``X-FrontDesk-Background: 1`` and are exempt from refreshing the idle clock.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user: Any = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = time.time()
            session = request.session
            login_at = session.get(SESSION_LOGIN_AT)
            last_seen = session.get(SESSION_LAST_SEEN, login_at)
            idle_limit = settings.SESSION_IDLE_TIMEOUT_MINUTES * 60
            absolute_limit = settings.SESSION_MAX_AGE_HOURS * 3600
            expired = (
                login_at is None
                or now - float(login_at) > absolute_limit
                or (last_seen is not None and now - float(last_seen) > idle_limit)
            )
            if expired:
                logout(request)
                request.session["frontdesk_logged_out_reason"] = "timeout"
            elif request.headers.get("X-FrontDesk-Background") != "1":
                session[SESSION_LAST_SEEN] = now
        return self.get_response(request)

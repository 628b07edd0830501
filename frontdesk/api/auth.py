"""Who may call the JSON API, and with which policy action each operation is guarded.

Two ways in, tried in order:

1. ``Authorization: Bearer <API key>`` — the key resolves to its service user. A header that is present
   but wrong (unknown, malformed, revoked key) is a 401 at once; it never falls through to the session.
2. A logged-in staff session (the web app calling its own API): Django session cookie, CSRF token on
   unsafe methods, MFA satisfied. Service accounts cannot have sessions.

Every operation declares its policy action once, through ``requires(action)`` as its ``auth``; the
authenticated user must have that action (else 403) before the body is even parsed. A test walks every
operation of the API and fails when one declares no action.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.errors import AuthenticationError, HttpError
from ninja.security.apikey import APIKeyCookie
from ninja.security.base import AuthBase
from ninja.security.http import HttpBearer
from ninja.utils import check_csrf

from frontdesk.accounts.apikeys import apikey_authenticate
from frontdesk.accounts.decorators import mfa_satisfied
from frontdesk.accounts.models import User
from frontdesk.accounts.policy import ALL_ACTIONS
from frontdesk.core.errors import PermissionDenied

INVALID_KEY_MESSAGE = "The API key is not valid or has been revoked."


def _check_action(user: Any, action: str | None) -> None:
    if action is None or not user.can(action):
        # ``None`` means the operation forgot to declare its action: fail closed (the meta-test
        # names the operation).
        raise PermissionDenied()


class ApiKeyAuth(HttpBearer):
    """``Authorization: Bearer fdk_...``: an integration's API key, acting as its service user."""

    openapi_bearerFormat = "fdk_<prefix>_<secret>"
    openapi_description = "An API key created with `frontdesk apikey create`; it acts with the key's role and locations."

    def __init__(self, action: str | None) -> None:
        if action is not None and action not in ALL_ACTIONS:
            raise KeyError(f"Unknown action {action!r}")
        self.action = action
        super().__init__()

    def __call__(self, request: HttpRequest) -> Any:
        header = request.headers.get(self.header)
        if not header:
            return None
        scheme, _, token = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthenticationError(401, INVALID_KEY_MESSAGE)
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = apikey_authenticate(key=token)
        if user is None:
            raise AuthenticationError(401, INVALID_KEY_MESSAGE)
        _check_action(user, self.action)
        return user


class StaffSessionAuth(APIKeyCookie):
    """A logged-in staff member's browser session (CSRF-protected, past MFA)."""

    param_name: str = settings.SESSION_COOKIE_NAME
    openapi_description = (
        "The FrontDesk web app's own session; unsafe methods need the CSRF token (X-CSRFToken)."
    )

    def __init__(self, action: str | None) -> None:
        if action is not None and action not in ALL_ACTIONS:
            raise KeyError(f"Unknown action {action!r}")
        self.action = action
        super().__init__(csrf=True)

    def __call__(self, request: HttpRequest) -> Any:
        user: Any = getattr(request, "user", None)
        if user is None or not user.is_authenticated or user.is_service_account:
            return None
        # CSRF is only meaningful for a cookie-authenticated caller; anonymous callers get the 401.
        if check_csrf(request) is not None:
            raise HttpError(403, "CSRF check failed: send the X-CSRFToken header.")
        return self.authenticate(request, request.COOKIES.get(self.param_name))

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user: Any = request.user
        if not mfa_satisfied(request):
            return None
        _check_action(user, self.action)
        return user


def requires(action: str) -> list[AuthBase]:
    """The ``auth`` of an operation that needs policy ``action`` (API key or staff session)."""
    return [ApiKeyAuth(action), StaffSessionAuth(action)]


def requires_nothing_declared() -> list[AuthBase]:
    """The API's default ``auth``: authenticates, then refuses (403) an operation that declared no action."""
    return [ApiKeyAuth(None), StaffSessionAuth(None)]


def declared_action(auth_callbacks: Any) -> str | None:
    """The one action an operation's auth callbacks declare, or None when they declare none or several."""
    actions = {getattr(callback, "action", None) for callback in auth_callbacks or ()}
    if len(actions) != 1:
        return None
    return actions.pop()


def api_user(request: HttpRequest) -> User:
    """The ``User`` an operation acts as (set by ``ApiKeyAuth``/``StaffSessionAuth`` before it runs)."""
    user = getattr(request, "auth", None)
    if not isinstance(user, User):  # pragma: no cover - ninja runs auth before every operation
        raise AuthenticationError()
    return user

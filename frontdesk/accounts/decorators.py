"""Declaring what a view needs. Every URL's view is ``@requires(action)``, ``@authenticated`` (or, for the
MFA steps and logout only, ``@authenticated_before_mfa``) or ``@public``.

The policy-matrix test reads ``view.required_action`` / ``view.is_public`` from every resolved URL, so
an undecorated view fails the suite instead of silently being open.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from frontdesk.accounts.policy import ALL_ACTIONS

ViewFunc = TypeVar("ViewFunc", bound=Callable[..., HttpResponse])


def mfa_satisfied(request: HttpRequest) -> bool:
    """True when the session passed the second factor, or none is required for this user."""
    user: Any = request.user
    # OTPMiddleware adds is_verified() to request.user; right after login() the plain user object is
    # in place, which has not passed a second factor yet.
    is_verified = getattr(user, "is_verified", None)
    if is_verified is not None and is_verified():
        return True
    if settings.REQUIRE_MFA:
        return False
    from django_otp import user_has_device

    return not user_has_device(user, confirmed=True)


def requires(action: str, *, mfa: bool = True) -> Callable[[ViewFunc], ViewFunc]:
    """Allow the view only to logged-in staff (past MFA) whose role permits ``action``."""
    if action not in ALL_ACTIONS:
        raise KeyError(f"Unknown action {action!r}")

    def decorator(view: ViewFunc) -> ViewFunc:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user: Any = request.user
            if not user.is_authenticated or user.is_service_account:
                return redirect_to_login(request.get_full_path())
            if mfa and not mfa_satisfied(request):
                return redirect("accounts:mfa")
            if not user.can(action):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.required_action = action  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator


def public(view: ViewFunc) -> ViewFunc:
    """Mark a view as reachable without logging in (login page, health check, kiosk start)."""
    view.is_public = True  # type: ignore[attr-defined]
    return view


def authenticated(view: ViewFunc) -> ViewFunc:
    """Any logged-in staff member who passed MFA (when it applies), whatever the role (home page)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user: Any = request.user
        if not user.is_authenticated or user.is_service_account:
            return redirect_to_login(request.get_full_path())
        if not mfa_satisfied(request):
            return redirect("accounts:mfa")
        return view(request, *args, **kwargs)

    wrapped.required_action = "authenticated"  # type: ignore[attr-defined]
    return wrapped  # type: ignore[return-value]


def authenticated_before_mfa(view: ViewFunc) -> ViewFunc:
    """Any logged-in staff member, before or after MFA: only the MFA steps themselves and logout.

    Views marked so must show no PHI: a password-only session reaches nothing else.
    """

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user: Any = request.user
        if not user.is_authenticated or user.is_service_account:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    wrapped.required_action = "authenticated"  # type: ignore[attr-defined]
    wrapped.before_mfa = True  # type: ignore[attr-defined]
    return wrapped  # type: ignore[return-value]

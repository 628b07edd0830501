"""Login, second factor and logout. Thin: the work is in ``services``."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate, login
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from frontdesk.accounts import services
from frontdesk.accounts.decorators import authenticated, mfa_satisfied, public

GENERIC_LOGIN_ERROR = "That username and password did not match, or the account is locked. Try again or ask a manager."


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()}):
        return candidate
    return "/"


def lockout_response(
    request: HttpRequest, credentials: Any = None, *args: Any, **kwargs: Any
) -> HttpResponse:
    """django-axes lockout: the same words as a wrong password, so an attacker learns nothing."""
    form = AuthenticationForm(request)
    return render(
        request, "accounts/login.html", {"form": form, "error": GENERIC_LOGIN_ERROR}, status=200
    )


@public
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    error = ""
    if request.method == "POST":
        username = request.POST.get("username", "")
        user = authenticate(request, username=username, password=request.POST.get("password", ""))
        if user is None or getattr(user, "is_service_account", False):
            services.login_failed_record(username=username)
            error = GENERIC_LOGIN_ERROR
        else:
            login(request, user)  # rotates the session key
            services.login_record(user=user)
            if not mfa_satisfied(request):
                return redirect("accounts:mfa")
            return redirect(_next_url(request))
    return render(request, "accounts/login.html", {"error": error, "next": _next_url(request)})


@authenticated
@require_http_methods(["GET", "POST"])
def mfa_view(request: HttpRequest) -> HttpResponse:
    from django_otp import devices_for_user
    from django_otp import login as otp_login

    user: Any = request.user
    error = ""
    if request.method == "POST":
        token = request.POST.get("token", "").strip()
        for device in devices_for_user(user, confirmed=True):
            if device.verify_token(token):
                otp_login(request, device)
                return redirect(_next_url(request))
        error = "That code did not work. Codes change every 30 seconds and each works once."
    return render(request, "accounts/mfa.html", {"error": error})


@authenticated
@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    services.logout_everywhere(request=request)
    return redirect("accounts:login")

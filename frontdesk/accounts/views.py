"""Login, second factor, logout, own password, staff management and emergency access.

Thin: parse the input, call one service or selector, render. Domain errors become form errors here.
"""

from __future__ import annotations

import base64
from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth import authenticate, login, update_session_auth_hash
from django.core.exceptions import PermissionDenied as HttpPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from frontdesk.accounts import selectors, services
from frontdesk.accounts.decorators import (
    authenticated_before_mfa,
    mfa_satisfied,
    public,
    requires,
)
from frontdesk.accounts.forms import (
    EmergencyAccessForm,
    PasswordChangeForm,
    TokenForm,
    UserAccessForm,
    UserCreateForm,
    apply_domain_error,
)
from frontdesk.accounts.models import User
from frontdesk.accounts.policy import A
from frontdesk.core.errors import DomainError, NotFound
from frontdesk.core.errors import PermissionDenied as DomainPermissionDenied

GENERIC_LOGIN_ERROR = "That username and password did not match, or the account is locked. Try again or ask a manager."
MFA_ERROR = "That code did not work. Codes change every 30 seconds and each works once."
MFA_THROTTLED = "Too many wrong codes. Wait a few seconds, then type the current code."
SESSION_PENDING_TOTP_KEY = "frontdesk_totp_pending_key"


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()}):
        return candidate
    return "/"


def _staff(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def lockout_response(
    request: HttpRequest, credentials: Any = None, *args: Any, **kwargs: Any
) -> HttpResponse:
    """django-axes lockout: the same page and words as a wrong password, so an attacker learns nothing."""
    return render(
        request,
        "accounts/login.html",
        {"error": GENERIC_LOGIN_ERROR, "next": _next_url(request)},
        status=200,
    )


# --- Login, MFA, logout ----------------------------------------------------------------------------


@public
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    error = ""
    if request.method == "POST":
        username = request.POST.get("username", "")
        user = authenticate(request, username=username, password=request.POST.get("password", ""))
        if not isinstance(user, User) or user.is_service_account:
            services.login_failed_record(username=username)
            error = GENERIC_LOGIN_ERROR
        else:
            login(request, user)  # rotates the session key (no session fixation)
            services.login_record(user=user)
            if not mfa_satisfied(request):
                return redirect(_with_next("accounts:mfa", request))
            return redirect(_next_url(request))
    return render(request, "accounts/login.html", {"error": error, "next": _next_url(request)})


def _with_next(url_name: str, request: HttpRequest) -> str:
    from django.urls import reverse
    from django.utils.http import urlencode

    target = _next_url(request)
    url = reverse(url_name)
    return f"{url}?{urlencode({'next': target})}" if target != "/" else url


@authenticated_before_mfa
@require_http_methods(["GET", "POST"])
def mfa_view(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    if mfa_satisfied(request):
        return redirect(_next_url(request))
    devices = list(devices_for_user(user, confirmed=True))
    if not devices:
        return redirect(_with_next("accounts:mfa_setup", request))
    error = ""
    if request.method == "POST":
        token = request.POST.get("token", "").strip()
        throttled = not any(device.verify_is_allowed()[0] for device in devices)
        for device in devices:
            # TOTPDevice.verify_token refuses a code at or before its last used step (no replay)
            # and backs off exponentially after failures (throttling).
            if not throttled and device.verify_token(token):
                otp_login(request, device)
                services.login_record(user=user, stage="mfa")
                return redirect(_next_url(request))
        services.mfa_failed_record(user=user)
        error = MFA_THROTTLED if throttled else MFA_ERROR
    return render(request, "accounts/mfa.html", {"error": error, "next": _next_url(request)})


def _secret_for_display(key_hex: str) -> str:
    secret = base64.b32encode(bytes.fromhex(key_hex)).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@authenticated_before_mfa
@require_http_methods(["GET", "POST"])
def mfa_setup_view(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    if services.user_has_confirmed_device(user=user):
        if mfa_satisfied(request):
            return render(request, "accounts/mfa_setup_done.html")
        return redirect(_with_next("accounts:mfa", request))
    # The candidate secret lives in the session until a first code proves the phone has it; nothing
    # is written to the database on GET.
    key_hex = request.session.get(SESSION_PENDING_TOTP_KEY)
    if not key_hex:
        key_hex = random_hex(20)
        request.session[SESSION_PENDING_TOTP_KEY] = key_hex
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.totp_enrol(
                user=user, key_hex=key_hex, token=form.cleaned_data["token"]
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            request.session.pop(SESSION_PENDING_TOTP_KEY, None)
            otp_login(request, device)
            messages.success(request, "Your authenticator app is set up.")
            return redirect(_next_url(request))
    config_url = TOTPDevice(user=user, key=key_hex).config_url
    qr_data_uri = segno.make(config_url, error="m").svg_data_uri(scale=5, border=2)
    return render(
        request,
        "accounts/mfa_setup.html",
        {
            "form": form,
            "qr_data_uri": qr_data_uri,
            "secret": _secret_for_display(key_hex),
            "next": _next_url(request),
        },
    )


@authenticated_before_mfa
@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    services.logout_everywhere(request=request)
    return redirect("accounts:login")


# --- Own password ----------------------------------------------------------------------------------


@requires(A.ACCOUNT_SELF)
@require_http_methods(["GET", "POST"])
def password_change_view(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_password_change(
                user=user,
                current_password=form.cleaned_data["current_password"],
                new_password=form.cleaned_data["new_password"],
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            # Every other session has ended; this one carries on under the new password.
            update_session_auth_hash(request, user)
            messages.success(request, "Password changed. Other devices have been logged out.")
            return redirect("accounts:password")
    return render(request, "accounts/password_change.html", {"form": form})


# --- Staff management ------------------------------------------------------------------------------


def _managed_user(request: HttpRequest, user_id: int) -> User:
    try:
        return selectors.user_get_for_manager(actor=_staff(request), user_id=user_id)
    except NotFound:
        raise Http404 from None


@requires(A.USER_MANAGE)
@require_http_methods(["GET"])
def user_list_view(request: HttpRequest) -> HttpResponse:
    users = selectors.user_list_for_manager(actor=_staff(request))
    return render(request, "accounts/user_list.html", {"users": users})


@requires(A.USER_MANAGE)
@require_http_methods(["GET", "POST"])
def user_create_view(request: HttpRequest) -> HttpResponse:
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = services.user_create(
                actor=_staff(request),
                username=data["username"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                role=data["role"],
                location_ids=data["location_ids"],
                password=data["password"],
            )
        except DomainPermissionDenied as exc:
            form.add_error("role", exc.message)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, f"Account {created.username} created.")
            return redirect("accounts:user_detail", user_id=created.pk)
    return render(request, "accounts/user_create.html", {"form": form})


@requires(A.USER_MANAGE)
@require_http_methods(["GET", "POST"])
def user_detail_view(request: HttpRequest, user_id: int) -> HttpResponse:
    member = _managed_user(request, user_id)
    initial = {"role": member.role, "location_ids": selectors.user_location_ids(user=member)}
    form = UserAccessForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_update_access(
                actor=_staff(request),
                user=member,
                role=form.cleaned_data["role"],
                location_ids=form.cleaned_data["location_ids"],
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, "Access updated.")
            return redirect("accounts:user_detail", user_id=member.pk)
    return render(
        request,
        "accounts/user_detail.html",
        {
            "member": member,
            "form": form,
            "has_mfa": services.user_has_confirmed_device(user=member),
            "is_self": member.pk == request.user.pk,
        },
    )


def _account_action(request: HttpRequest, user_id: int, action: str) -> HttpResponse:
    member = _managed_user(request, user_id)
    actor = _staff(request)
    try:
        if action == "deactivate":
            services.user_deactivate(actor=actor, user=member)
            messages.success(request, "Account deactivated; its sessions have ended.")
        elif action == "reactivate":
            services.user_reactivate(actor=actor, user=member)
            messages.success(request, "Account reactivated.")
        else:
            services.user_mfa_reset(actor=actor, user=member)
            messages.success(
                request, "Second factor reset. They must set up an authenticator at next login."
            )
    except DomainPermissionDenied:
        raise HttpPermissionDenied from None
    return redirect("accounts:user_detail", user_id=member.pk)


@requires(A.USER_MANAGE)
@require_POST
def user_deactivate_view(request: HttpRequest, user_id: int) -> HttpResponse:
    return _account_action(request, user_id, "deactivate")


@requires(A.USER_MANAGE)
@require_POST
def user_reactivate_view(request: HttpRequest, user_id: int) -> HttpResponse:
    return _account_action(request, user_id, "reactivate")


@requires(A.USER_MANAGE)
@require_POST
def user_mfa_reset_view(request: HttpRequest, user_id: int) -> HttpResponse:
    return _account_action(request, user_id, "mfa_reset")


# --- Emergency access ------------------------------------------------------------------------------


@requires(A.BREAKGLASS_USE)
@require_http_methods(["GET", "POST"])
def emergency_access_view(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    grant = selectors.emergency_grant_in_force(user=user)
    form = EmergencyAccessForm(request.POST or None)
    if request.method == "POST" and grant is None and form.is_valid():
        try:
            services.emergency_access_start(user=user, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.warning(request, "Emergency access started. Everything you open is flagged.")
            return redirect("accounts:emergency_access")
    return render(request, "accounts/emergency_access.html", {"form": form, "grant": grant})


@requires(A.BREAKGLASS_USE)
@require_POST
def emergency_access_end_view(request: HttpRequest) -> HttpResponse:
    try:
        services.emergency_access_end(user=_staff(request), grant_id=int(request.POST["grant"]))
    except (KeyError, ValueError, NotFound):
        raise Http404 from None
    messages.success(request, "Emergency access ended.")
    return redirect("accounts:emergency_access")

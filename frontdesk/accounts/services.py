"""Security events and administration of staff accounts.

Logins, logouts and session termination; password changes; TOTP enrolment and reset; staff creation,
access changes, deactivation; emergency access ("break-glass"). Each write audits itself in the same
transaction. Role names and location ids are configuration, not PHI, so privilege-change rows carry
them in ``detail`` as ``[old, new]`` pairs.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import logout, password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django_otp import devices_for_user
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from frontdesk.accounts.choices import Role
from frontdesk.accounts.models import User
from frontdesk.accounts.policy import A
from frontdesk.audit.choices import AuditAction, AuditCategory, AuditOutcome
from frontdesk.audit.models import EmergencyAccessGrant
from frontdesk.audit.services import audit_record
from frontdesk.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed

EMERGENCY_REASON_MIN_LENGTH = 10


# --- Logins and sessions ---------------------------------------------------------------------------


def login_record(*, user: User, stage: str = "password") -> None:
    """Audit a successful login step (``password``, then ``mfa`` when a second factor is checked)."""
    audit_record(
        actor=user,
        action=AuditAction.LOGIN,
        category=AuditCategory.SECURITY,
        object_type="user",
        object_id=user.pk,
        detail={"stage": stage},
    )


def login_failed_record(*, username: str) -> None:
    """Audit a failed password login without saying whether the account exists (the name is not stored)."""
    audit_record(
        actor=None,
        actor_name="anonymous",
        action=AuditAction.LOGIN_FAILED,
        category=AuditCategory.SECURITY,
        outcome=AuditOutcome.FAILURE,
        detail={"stage": "password"},
    )


def mfa_failed_record(*, user: User) -> None:
    """Audit a wrong, replayed or throttled second-factor code (the password was already right)."""
    audit_record(
        actor=user,
        action=AuditAction.LOGIN_FAILED,
        category=AuditCategory.SECURITY,
        object_type="user",
        object_id=user.pk,
        outcome=AuditOutcome.FAILURE,
        detail={"stage": "mfa"},
    )


@transaction.atomic
def user_end_all_sessions(*, user: User) -> None:
    """End every session of ``user`` on every device (Django re-checks the session hash per request)."""
    User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
    user.refresh_from_db(fields=["session_epoch"])


def logout_everywhere(*, request: HttpRequest) -> None:
    """Log out of this session and every other session of the same user, and audit it."""
    user = request.user
    assert isinstance(user, User)
    with transaction.atomic():
        audit_record(
            actor=user,
            action=AuditAction.LOGOUT,
            category=AuditCategory.SECURITY,
            object_type="user",
            object_id=user.pk,
        )
        user_end_all_sessions(user=user)
    logout(request)


# --- Passwords -------------------------------------------------------------------------------------


def _validate_new_password(password: str, *, user: User | None, field: str) -> None:
    try:
        password_validation.validate_password(password, user=user)
    except ValidationError as exc:
        raise ValidationFailed(
            "Choose a stronger password.", code="weak_password", fields={field: list(exc.messages)}
        ) from None


def user_password_change(*, user: User, current_password: str, new_password: str) -> None:
    """Change a user's own password after checking the current one; end every session of the user.

    The caller keeps its own session alive with ``update_session_auth_hash``; every other device has to
    log in again.
    """
    if not user.check_password(current_password):
        raise ValidationFailed(
            "The current password is not right.",
            code="wrong_password",
            field="current_password",
        )
    if new_password == current_password:
        raise ValidationFailed(
            "The new password must differ from the current one.",
            code="same_password",
            field="new_password",
        )
    _validate_new_password(new_password, user=user, field="new_password")
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        user_end_all_sessions(user=user)
        audit_record(
            actor=user,
            action=AuditAction.UPDATE,
            category=AuditCategory.SECURITY,
            object_type="user",
            object_id=user.pk,
            detail={"event": "password-change"},
        )


# --- Second factor (TOTP) --------------------------------------------------------------------------


def user_has_confirmed_device(*, user: User) -> bool:
    return any(True for _ in devices_for_user(user, confirmed=True))


def totp_enrol(*, user: User, key_hex: str, token: str) -> TOTPDevice:
    """Enrol a TOTP authenticator for ``user`` once it produced a valid code for secret ``key_hex``.

    Enrolment is refused when the user already has a confirmed device: adding a second one would let a
    password-only session bypass the factor it has not proven. A manager's ``user_mfa_reset`` clears
    the old device first.
    """
    try:
        key = bytes.fromhex(key_hex)
        code = int(token.strip())
    except ValueError:
        key, code = b"", -1
    totp = TOTP(key, step=30, digits=6)
    # Tolerate one step of clock skew either way, as TOTPDevice does by default.
    if not key or code < 0 or not totp.verify(code, tolerance=1):
        raise ValidationFailed(
            "That code did not match. Check the time on your phone and try the current code.",
            code="bad_token",
            field="token",
        )
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        if user_has_confirmed_device(user=user):
            raise Conflict(
                "An authenticator is already set up for this account.", code="already_enrolled"
            )
        # last_t records the step just used, so this very code cannot be replayed at the next login.
        device = TOTPDevice.objects.create(
            user=user,
            name="Authenticator app",
            key=key_hex,
            confirmed=True,
            drift=totp.drift,
            last_t=totp.t(),
        )
        audit_record(
            actor=user,
            action=AuditAction.PRIVILEGE_CHANGE,
            category=AuditCategory.SECURITY,
            object_type="user",
            object_id=user.pk,
            detail={"event": "mfa-enrol", "device": "totp"},
        )
    return device


def user_mfa_reset(*, actor: User, user: User) -> int:
    """Remove every second-factor device of ``user`` and end their sessions; return how many went.

    The user must enrol again at the next login: with ``REQUIRE_MFA`` nothing is reachable before that.
    """
    _check_may_manage(actor=actor, target=user)
    with transaction.atomic():
        removed = 0
        for device in list(devices_for_user(user, confirmed=None)):
            device.delete()
            removed += 1
        user_end_all_sessions(user=user)
        audit_record(
            actor=actor,
            action=AuditAction.PRIVILEGE_CHANGE,
            category=AuditCategory.SECURITY,
            object_type="user",
            object_id=user.pk,
            detail={"event": "mfa-reset", "devices_removed": removed},
        )
    return removed


# --- Staff management ------------------------------------------------------------------------------


def _check_may_manage(*, actor: User, target: User | None = None, new_role: str = "") -> None:
    if not actor.can(A.USER_MANAGE):
        raise PermissionDenied()
    if target is not None and target.is_service_account:
        # Integration identities belong to API keys and are managed there.
        raise NotFound()
    if target is not None and target.pk == actor.pk:
        raise PermissionDenied(
            "You cannot change your own access; ask another manager.", code="self_change"
        )
    # Only an administrator may create, change or grant the administrator role (no escalation).
    if actor.role != Role.ADMIN and (
        new_role == Role.ADMIN or (target is not None and target.role == Role.ADMIN)
    ):
        raise PermissionDenied("Only an administrator may do that.", code="admin_only")


def _clean_role(role: str) -> str:
    if role not in Role.values:
        raise ValidationFailed("Choose a role.", code="bad_role", field="role")
    return role


def staff_locations_assign(
    *, user: User, location_ids: Iterable[int]
) -> tuple[list[int], list[int]]:
    """Make ``user``'s location assignments exactly ``location_ids``; return (old ids, new ids).

    Accounts depends on practice only here: StaffLocation rows are how the practice app scopes
    location data, and staff administration is where they are written.
    """
    from frontdesk.practice.models import Location, StaffLocation

    try:
        wanted = sorted({int(pk) for pk in location_ids})
    except (TypeError, ValueError):
        raise ValidationFailed(
            "Choose locations from the list.", code="bad_location", field="location_ids"
        ) from None
    existing = set(Location.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    missing = [pk for pk in wanted if pk not in existing]
    if missing:
        raise ValidationFailed(
            "Choose locations from the list.", code="bad_location", field="location_ids"
        )
    old = sorted(StaffLocation.objects.filter(user=user).values_list("location_id", flat=True))
    StaffLocation.objects.filter(user=user).exclude(location_id__in=wanted).delete()
    StaffLocation.objects.bulk_create(
        [StaffLocation(user=user, location_id=pk) for pk in wanted if pk not in old]
    )
    return old, wanted


def user_create(
    *,
    actor: User,
    username: str,
    first_name: str,
    last_name: str,
    email: str,
    role: str,
    location_ids: Iterable[int],
    password: str,
) -> User:
    """Create a staff account with a role, locations and an initial password (checked by validators)."""
    role = _clean_role(role)
    _check_may_manage(actor=actor, new_role=role)
    username = username.strip()
    errors: dict[str, list[str]] = {}
    if not username:
        errors["username"] = ["Enter a username."]
    elif User.objects.filter(username__iexact=username).exists():
        errors["username"] = ["That username is taken."]
    candidate = User(
        username=username, first_name=first_name.strip(), last_name=last_name.strip(), email=email
    )
    try:
        password_validation.validate_password(password, user=candidate)
    except ValidationError as exc:
        errors["password"] = list(exc.messages)
    if errors:
        raise ValidationFailed("Check the highlighted fields.", code="invalid", fields=errors)
    with transaction.atomic():
        user = User(
            username=username,
            first_name=first_name.strip(),
            last_name=last_name.strip(),
            email=email.strip(),
            role=role,
        )
        user.set_password(password)
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:  # created meanwhile by another request (any letter case)
            raise ValidationFailed(
                "Check the highlighted fields.",
                code="invalid",
                fields={"username": ["That username is taken."]},
            ) from None
        _, new_locations = staff_locations_assign(user=user, location_ids=location_ids)
        audit_record(
            actor=actor,
            action=AuditAction.PRIVILEGE_CHANGE,
            category=AuditCategory.SECURITY,
            object_type="user",
            object_id=user.pk,
            detail={
                "event": "user-create",
                "role": [None, role],
                "location_ids": [[], new_locations],
            },
        )
    return user


def user_update_access(
    *, actor: User, user: User, role: str, location_ids: Iterable[int]
) -> dict[str, Any]:
    """Change a staff member's role and locations; audit old -> new. Return the recorded changes."""
    role = _clean_role(role)
    _check_may_manage(actor=actor, target=user, new_role=role)
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        old_role = locked.role
        old_locations, new_locations = staff_locations_assign(
            user=locked, location_ids=location_ids
        )
        changes: dict[str, Any] = {}
        if old_role != role:
            locked.role = role
            locked.save(update_fields=["role"])
            changes["role"] = [old_role, role]
        if old_locations != new_locations:
            changes["location_ids"] = [old_locations, new_locations]
        if changes:
            audit_record(
                actor=actor,
                action=AuditAction.PRIVILEGE_CHANGE,
                category=AuditCategory.SECURITY,
                object_type="user",
                object_id=locked.pk,
                detail={"event": "access-change", **changes},
            )
        user.refresh_from_db()
    return changes


def user_deactivate(*, actor: User, user: User) -> None:
    """Stop a staff account from logging in and end every session it has."""
    _check_may_manage(actor=actor, target=user)
    with transaction.atomic():
        updated = User.objects.filter(pk=user.pk, is_active=True).update(is_active=False)
        if not updated:
            return  # already inactive: a resubmitted form changes nothing
        user_end_all_sessions(user=user)
        audit_record(
            actor=actor,
            action=AuditAction.PRIVILEGE_CHANGE,
            category=AuditCategory.SECURITY,
            object_type="user",
            object_id=user.pk,
            detail={"event": "deactivate", "is_active": [True, False]},
        )
        user.refresh_from_db()


def user_reactivate(*, actor: User, user: User) -> None:
    """Let a deactivated staff account log in again (its old sessions stay ended)."""
    _check_may_manage(actor=actor, target=user)
    with transaction.atomic():
        updated = User.objects.filter(pk=user.pk, is_active=False).update(is_active=True)
        if not updated:
            return
        audit_record(
            actor=actor,
            action=AuditAction.PRIVILEGE_CHANGE,
            category=AuditCategory.SECURITY,
            object_type="user",
            object_id=user.pk,
            detail={"event": "reactivate", "is_active": [False, True]},
        )
        user.refresh_from_db()


# --- Emergency access (break-glass) ----------------------------------------------------------------


def emergency_access_start(
    *,
    user: User,
    reason: str,
    patient_id: int | None = None,
    minutes: int | None = None,
) -> EmergencyAccessGrant:
    """Open a time-boxed break-glass grant (default ``settings.BREAK_GLASS_MINUTES``) with a reason.

    While it is in force the user sees restricted records and every audit row they cause is flagged.
    The reason is free text and may name a patient, so it stays in the grant row, never in audit detail.
    """
    if not user.can(A.BREAKGLASS_USE):
        raise PermissionDenied()
    reason = reason.strip()
    if len(reason) < EMERGENCY_REASON_MIN_LENGTH:
        raise ValidationFailed(
            f"Say why you need emergency access (at least {EMERGENCY_REASON_MIN_LENGTH} characters).",
            code="reason_required",
            field="reason",
        )
    duration = settings.BREAK_GLASS_MINUTES if minutes is None else minutes
    if not 1 <= duration <= settings.BREAK_GLASS_MINUTES:
        raise ValidationFailed(
            f"Emergency access lasts between 1 and {settings.BREAK_GLASS_MINUTES} minutes.",
            code="bad_duration",
            field="minutes",
        )
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        now = timezone.now()
        if EmergencyAccessGrant.objects.filter(
            user=user, ended_at__isnull=True, started_at__lte=now, expires_at__gt=now
        ).exists():
            raise Conflict("Emergency access is already in force.", code="already_in_force")
        grant = EmergencyAccessGrant.objects.create(
            user=user,
            reason=reason,
            patient_id=patient_id,
            started_at=now,
            expires_at=now + timedelta(minutes=duration),
        )
        audit_record(
            actor=user,
            action=AuditAction.EMERGENCY_ACCESS,
            category=AuditCategory.SECURITY,
            patient_id=patient_id,
            object_type="emergency_access_grant",
            object_id=grant.pk,
            detail={"event": "start", "minutes": duration},
        )
    return grant


def emergency_access_end(*, user: User, grant_id: int) -> EmergencyAccessGrant:
    """End the user's own grant early. Ending an expired or ended grant changes nothing."""
    with transaction.atomic():
        grant = (
            EmergencyAccessGrant.objects.select_for_update().filter(pk=grant_id, user=user).first()
        )
        if grant is None:
            raise NotFound()
        now = timezone.now()
        if not grant.is_in_force(now):
            return grant
        grant.ended_at = now
        grant.save(update_fields=["ended_at", "updated_at"])
        audit_record(
            actor=user,
            action=AuditAction.EMERGENCY_ACCESS,
            category=AuditCategory.SECURITY,
            object_type="emergency_access_grant",
            object_id=grant.pk,
            detail={"event": "end"},
        )
    return grant

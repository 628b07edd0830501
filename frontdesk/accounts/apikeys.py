"""API keys for integrations: created by an admin, shown once, stored hashed, bound to a role and locations.

A key looks like ``fdk_<prefix>_<secret>``. The prefix is public (listings show it, lookups use it); the
whole key is stored only as its SHA-256 digest. A fast hash is right here: the secret is 256 random bits,
so there is nothing to brute-force, and a slow KDF would only make every API call slower.

Each key acts through its own *service user* (``User.is_service_account``): role policy, location scoping
and auditing apply to it exactly as to staff, and audit rows name it "API key: <name>".
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata
from collections.abc import Sequence
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from frontdesk.accounts.choices import Role
from frontdesk.accounts.models import ApiKey, User
from frontdesk.accounts.policy import A
from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.core.errors import PermissionDenied, ValidationFailed
from frontdesk.practice.models import Location, StaffLocation

KEY_SCHEME = "fdk"
PREFIX_BYTES = 6  # 12 hex characters
SECRET_BYTES = 32
SERVICE_FIRST_NAME = "API key:"
# Who the audit log names when a key is managed from the server's shell rather than the application.
COMMAND_LINE_ACTOR = "command line (frontdesk apikey)"
# ``last_used_at`` is written at most this often per key, so a busy integration does not turn every
# read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def _split(key: str) -> str | None:
    """Return the prefix of a well-formed key, else None."""
    scheme, sep, rest = key.partition("_")
    if scheme != KEY_SCHEME or not sep:
        return None
    prefix, sep, secret = rest.partition("_")
    if not sep or len(prefix) != PREFIX_BYTES * 2 or not secret:
        return None
    if any(char not in "0123456789abcdef" for char in prefix):
        return None
    return prefix


def _check_manager(actor: User | None) -> None:
    # ``actor=None`` is the operator at the server's shell (``frontdesk apikey create``), who already
    # holds the database credentials; anyone acting through the application needs the permission.
    if actor is not None and not actor.can(A.APIKEY_MANAGE):
        raise PermissionDenied()


def apikey_create(
    *, actor: User | None, name: str, role: str, location_ids: Sequence[int] = ()
) -> tuple[ApiKey, str]:
    """Create an API key and its service user; return the key row and the plaintext key (shown once)."""
    _check_manager(actor)
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = ["Give the key a name that says which integration uses it."]
    elif len(name) > 100:
        errors["name"] = ["Use at most 100 characters."]
    elif any(unicodedata.category(char) in {"Cc", "Cs"} for char in name):
        errors["name"] = ["Use letters, digits, spaces and punctuation only."]
    elif ApiKey.objects.filter(name=name).exists():
        errors["name"] = ["A key with this name already exists; choose another name."]
    if role not in Role.values:
        errors["role"] = [f"Choose one of: {', '.join(Role.values)}."]
    wanted = sorted(set(location_ids))
    locations = list(Location.objects.filter(pk__in=wanted).order_by("pk"))
    if len(locations) != len(wanted):
        errors["locations"] = ["One or more locations do not exist."]
    if errors:
        raise ValidationFailed("The API key could not be created.", fields=errors)

    prefix = secrets.token_hex(PREFIX_BYTES)
    plaintext = f"{KEY_SCHEME}_{prefix}_{secrets.token_urlsafe(SECRET_BYTES)}"
    try:
        with transaction.atomic():
            service_user = User(
                username=f"apikey-{prefix}",
                first_name=SERVICE_FIRST_NAME,
                last_name=name,
                role=role,
                is_service_account=True,
            )
            service_user.set_unusable_password()
            service_user.save()
            StaffLocation.objects.bulk_create(
                StaffLocation(user=service_user, location=location) for location in locations
            )
            api_key = ApiKey.objects.create(
                name=name,
                prefix=prefix,
                key_hash=_digest(plaintext),
                service_user=service_user,
                created_by=actor,
            )
            audit_record(
                actor=actor,
                actor_name=None if actor is not None else COMMAND_LINE_ACTOR,
                action=AuditAction.PRIVILEGE_CHANGE,
                category=AuditCategory.SECURITY,
                object_type="api_key",
                object_id=api_key.pk,
                detail={
                    "event": "apikey_created",
                    "role": role,
                    "location_ids": [location.pk for location in locations],
                    "service_user_id": service_user.pk,
                },
            )
    except IntegrityError:
        # Raced with another creation of the same name.
        raise ValidationFailed(
            "The API key could not be created.",
            fields={"name": ["A key with this name already exists; choose another name."]},
        ) from None
    return api_key, plaintext


def apikey_revoke(*, actor: User | None, api_key: ApiKey) -> ApiKey:
    """Revoke a key for good: it stops working at once and its service user is deactivated."""
    _check_manager(actor)
    with transaction.atomic():
        locked = ApiKey.objects.select_for_update().get(pk=api_key.pk)
        if locked.revoked_at is not None:
            return locked  # revoking twice is a no-op
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at", "updated_at"])
        User.objects.filter(pk=locked.service_user_id).update(is_active=False)
        audit_record(
            actor=actor,
            actor_name=None if actor is not None else COMMAND_LINE_ACTOR,
            action=AuditAction.PRIVILEGE_CHANGE,
            category=AuditCategory.SECURITY,
            object_type="api_key",
            object_id=locked.pk,
            detail={"event": "apikey_revoked", "service_user_id": locked.service_user_id},
        )
    api_key.revoked_at = locked.revoked_at
    return locked


def apikey_list(*, include_revoked: bool = True) -> QuerySet[ApiKey]:
    """Every key, newest first, with its service user and locations loaded (never the secret)."""
    keys = ApiKey.objects.select_related("service_user").prefetch_related(
        "service_user__location_assignments__location"
    )
    if not include_revoked:
        keys = keys.filter(revoked_at__isnull=True)
    return keys.order_by("-created_at", "-pk")


def apikey_get_by_name_or_prefix(*, identifier: str) -> ApiKey | None:
    """Find a key by its exact name or its public prefix (for the revoke command)."""
    return (
        ApiKey.objects.select_related("service_user")
        .filter(Q(name=identifier) | Q(prefix=identifier))
        .first()
    )


def apikey_authenticate(*, key: str) -> User | None:
    """Return the active service user of ``key``, or None for an unknown, malformed or revoked key.

    Records the use in ``last_used_at`` at most once per ``LAST_USED_RESOLUTION``.
    """
    prefix = _split(key)
    if prefix is None:
        return None
    api_key = ApiKey.objects.select_related("service_user").filter(prefix=prefix).first()
    if api_key is None:
        return None
    if not hmac.compare_digest(api_key.key_hash, _digest(key)):
        return None
    user = api_key.service_user
    if api_key.revoked_at is not None or not user.is_active or not user.is_service_account:
        return None
    now = timezone.now()
    stale_before = now - LAST_USED_RESOLUTION
    if api_key.last_used_at is None or api_key.last_used_at < stale_before:
        # Conditional, so concurrent requests of the same key write once.
        ApiKey.objects.filter(pk=api_key.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=stale_before)
        ).update(last_used_at=now)
    return user

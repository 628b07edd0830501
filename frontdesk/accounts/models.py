"""Staff identities, API keys and emergency-access grants."""

from __future__ import annotations

from typing import ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils.crypto import salted_hmac

from frontdesk.accounts.choices import Role
from frontdesk.core.models import TimeStampedModel


class User(AbstractUser):
    """A person on the practice's staff (or an integration's service identity, for API keys).

    Every audit row names one. ``role`` decides what the user may do (see ``policy.POLICY``); location
    assignments (``practice.StaffLocation``) decide where.
    """

    role = models.CharField(max_length=32, choices=Role.choices, default=Role.FRONT_DESK)
    is_service_account = models.BooleanField(
        default=False, help_text="An integration's identity behind an API key; it cannot log in."
    )
    # Bumped to end every session of this user at once (logout, deactivation, password or MFA reset).
    session_epoch = models.PositiveIntegerField(default=0)

    objects: ClassVar[UserManager[User]] = UserManager()  # type: ignore[assignment, misc]

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="user_role_valid"
            ),
            # "Alice" and "alice" would be one person to a reader of the audit log: the database,
            # not only the form's check, keeps usernames unique regardless of case.
            models.UniqueConstraint(Lower("username"), name="user_username_unique_ci"),
        ]

    def get_session_auth_hash(self) -> str:
        # Django checks this on every request: a changed epoch invalidates all existing sessions.
        key_salt = "frontdesk.accounts.User.get_session_auth_hash"
        return salted_hmac(
            key_salt, f"{self.password}:{self.session_epoch}", algorithm="sha256"
        ).hexdigest()

    def can(self, action: str) -> bool:
        """True when this user's role allows ``action`` (see ``policy.POLICY``)."""
        from frontdesk.accounts.policy import can

        return can(self, action)

    @property
    def display_name(self) -> str:
        full = self.get_full_name().strip()
        return full or self.username


class ApiKey(TimeStampedModel):
    """A credential for an integration. Only a hash is stored; the key is shown once at creation.

    The key acts as its own service user, so role policy, location scoping and auditing apply exactly
    as they do to staff.
    """

    name = models.CharField(max_length=100, unique=True)
    prefix = models.CharField(
        max_length=16, unique=True, help_text="Public part shown in listings."
    )
    key_hash = models.CharField(max_length=64, unique=True)
    service_user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="api_key")
    created_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

"""Security events of staff accounts: logins, logouts, session termination."""

from __future__ import annotations

from django.contrib.auth import logout
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest

from frontdesk.accounts.models import User
from frontdesk.audit.choices import AuditAction, AuditCategory, AuditOutcome
from frontdesk.audit.services import audit_record


def login_record(*, user: User) -> None:
    """Audit a successful password login."""
    audit_record(
        actor=user,
        action=AuditAction.LOGIN,
        category=AuditCategory.SECURITY,
        object_type="user",
        object_id=user.pk,
    )


def login_failed_record(*, username: str) -> None:
    """Audit a failed login without saying whether the account exists (the name is not stored)."""
    audit_record(
        actor=None,
        actor_name="anonymous",
        action=AuditAction.LOGIN_FAILED,
        category=AuditCategory.SECURITY,
        outcome=AuditOutcome.FAILURE,
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

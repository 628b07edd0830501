"""Reads of remittances and the denial worklist, scoped to the user and audited when they show PHI."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, QuerySet

from frontdesk.accounts.policy import A
from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.core.errors import NotFound
from frontdesk.remittance.choices import OPEN_DENIAL_STATUSES
from frontdesk.remittance.models import (
    ClaimRemittance,
    Denial,
    Remittance,
    RemittanceAdjustment,
    RemittancePosting,
    RemittanceRemark,
    ServiceRemittance,
)

PAGE = 50


def remittance_list(*, user: Any, limit: int = PAGE, offset: int = 0) -> list[Remittance]:
    """The newest remittances first (payment-level data only: no patient on this list)."""
    qs = Remittance.objects.restrict(user, A.CLAIM_VIEW).select_related("payer", "imported_by")
    return list(qs.order_by("-imported_at", "-pk")[offset : offset + limit])


@dataclass
class RemittancePage:
    remittance: Remittance
    claims: list[ClaimRemittance]
    hidden: int  # claims of patients the user may not see


def remittance_get(*, user: Any, remittance_id: int, audit: bool = True) -> RemittancePage:
    """One remittance with its claims, lines, adjustments, remarks and postings (the read audited)."""
    remittance = (
        Remittance.objects.restrict(user, A.CLAIM_VIEW)
        .select_related("payer", "imported_by")
        .prefetch_related("provider_adjustments")
        .filter(pk=remittance_id)
        .first()
    )
    if remittance is None:
        raise NotFound()
    visible = ClaimRemittance.objects.restrict(user, A.CLAIM_VIEW).filter(remittance=remittance)
    claims = list(
        visible.select_related("claim", "claim__patient", "reverses")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=ServiceRemittance.objects.select_related("claim_line").prefetch_related(
                    "adjustments", "remarks"
                ),
            ),
            Prefetch(
                "adjustments",
                queryset=RemittanceAdjustment.objects.filter(service__isnull=True),
                to_attr="claim_adjustments",
            ),
            Prefetch(
                "remarks",
                queryset=RemittanceRemark.objects.filter(service__isnull=True),
                to_attr="claim_remarks",
            ),
            Prefetch(
                "postings",
                queryset=RemittancePosting.objects.select_related("entry", "entry__account"),
            ),
            "denials",
        )
        .order_by("pk")
    )
    hidden = remittance.claim_count - len(claims)
    if audit:
        audit_record(
            actor=user,
            action=AuditAction.READ,
            category=AuditCategory.FINANCIAL,
            object_type="remittance",
            object_id=remittance.pk,
            detail={
                "event": "remittance_viewed",
                "patients": len({c.claim.patient_id for c in claims if c.claim is not None}),
            },
        )
    return RemittancePage(remittance=remittance, claims=claims, hidden=max(hidden, 0))


def denial_queryset(
    *,
    user: Any,
    status: str = "",
    assigned: str = "",
    payer_id: int | None = None,
    carc: str = "",
) -> QuerySet[Denial]:
    """The worklist, filtered: ``status`` ("" = every open status, "all" = everything),
    ``assigned`` ("me", "nobody", or "" for anyone), the payer and a CARC (e.g. "CO-50" or "50")."""
    qs = Denial.objects.restrict(user, A.DENIAL_WORK).select_related(
        "claim", "claim__patient", "claim__payer", "claim_line", "assigned_to"
    )
    if status == "all":
        pass
    elif status:
        qs = qs.filter(status=status)
    else:
        qs = qs.filter(status__in=OPEN_DENIAL_STATUSES)
    if assigned == "me":
        qs = qs.filter(assigned_to=user)
    elif assigned == "nobody":
        qs = qs.filter(assigned_to__isnull=True)
    if payer_id:
        qs = qs.filter(claim__payer_id=payer_id)
    if carc:
        qs = qs.filter(carc_codes__icontains=carc.strip().upper())
    return qs.order_by("-created_at", "-pk")


def denial_list(*, user: Any, limit: int = PAGE, offset: int = 0, **filters: Any) -> list[Denial]:
    denials = list(denial_queryset(user=user, **filters)[offset : offset + limit])
    if denials:
        audit_record(
            actor=user,
            action=AuditAction.READ,
            category=AuditCategory.FINANCIAL,
            object_type="denial_worklist",
            detail={"event": "denials_listed", "count": len(denials)},
        )
    return denials


def denial_get(*, user: Any, denial_id: int) -> Denial:
    denial = (
        Denial.objects.restrict(user, A.DENIAL_WORK)
        .select_related(
            "claim", "claim__patient", "claim__payer", "claim_line", "assigned_to", "service"
        )
        .prefetch_related("notes", "notes__by")
        .filter(pk=denial_id)
        .first()
    )
    if denial is None:
        raise NotFound()
    audit_record(
        actor=user,
        action=AuditAction.READ,
        category=AuditCategory.FINANCIAL,
        patient_id=denial.claim.patient_id,
        object_type="denial",
        object_id=denial.pk,
        detail={"event": "denial_viewed"},
    )
    return denial  # type: ignore[no-any-return]


def denial_workers(*, user: Any) -> list[Any]:
    """The people a denial can be assigned to (active users whose role may work denials)."""
    from frontdesk.accounts.models import User
    from frontdesk.accounts.policy import POLICY

    roles = [role for role, actions in POLICY.items() if A.DENIAL_WORK in actions]
    return list(
        User.objects.filter(is_active=True, role__in=roles)
        .exclude(is_service_account=True)
        .order_by("last_name", "first_name", "pk")
    )

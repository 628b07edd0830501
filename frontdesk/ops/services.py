"""Operational writes: housekeeping and the recorded audit-chain check."""

from __future__ import annotations

from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone

from frontdesk.audit.choices import AuditAction, AuditCategory, AuditOutcome
from frontdesk.audit.services import audit_record
from frontdesk.ops.integrity import ChainReport, audit_chain_report, chain_head


def sessions_purge_expired() -> int:
    """Delete sessions past their expiry date; return how many went."""
    with transaction.atomic():
        deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted


def _verify() -> ChainReport:
    """The audit app's verifier when present (it also classifies the tampering), else our own walk."""
    try:
        from frontdesk.audit.verify import chain_verify  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        return audit_chain_report()
    result = chain_verify()
    head_sequence, head_hash = chain_head()
    return ChainReport(
        intact=result.ok,
        rows=result.rows_checked,
        head_sequence=head_sequence,
        head_hash=head_hash,
        first_bad_sequence=result.sequence,
        problem="" if result.ok else f"{result.kind}: {result.message}",
    )


def audit_chain_check_record() -> ChainReport:
    """Verify the audit chain and record the outcome as an audit row (read of the audit log)."""
    report = _verify()
    with transaction.atomic():
        audit_record(
            actor=None,
            actor_name="system (audit chain check)",
            action=AuditAction.READ,
            category=AuditCategory.AUDIT,
            object_type="audit_chain",
            outcome=AuditOutcome.SUCCESS if report.intact else AuditOutcome.FAILURE,
            detail={
                "check": "audit_chain",
                "intact": report.intact,
                "rows": report.rows,
                "first_bad_sequence": report.first_bad_sequence,
            },
        )
    return report

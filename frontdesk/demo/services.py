"""Loading the synthetic demo practice: ``demo_load`` is the one entry point (the command is thin)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import router, transaction

from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.core.errors import Conflict
from frontdesk.demo.activity import ActivityStats, activity_build, activity_delete
from frontdesk.demo.billing import BillingStats, billing_build, simulated_payer_forget
from frontdesk.demo.documents import DocumentStats, documents_build, documents_delete
from frontdesk.demo.money import MoneyStats, money_build, money_delete
from frontdesk.demo.patients import PatientStats, patients_create
from frontdesk.demo.practice import DEMO_LOGINS, DEMO_ORGANIZATION_NAME, DemoLogin, build_practice
from frontdesk.demo.schedule import ScheduleStats, schedule_build, schedule_delete
from frontdesk.patients.models import (
    Coverage,
    DuplicateOverride,
    Patient,
    PatientMerge,
    PatientPhone,
    Verification,
)
from frontdesk.practice.models import Organization

DEFAULT_PATIENTS = 2000
DEFAULT_SEED = 2026


@dataclass(frozen=True)
class DemoResult:
    """What ``demo_load`` did: ``created`` is False when the demo was already there."""

    created: bool
    stats: PatientStats
    seconds: float
    logins: tuple[DemoLogin, ...]
    schedule: ScheduleStats = field(default_factory=ScheduleStats)
    activity: ActivityStats = field(default_factory=ActivityStats)
    money: MoneyStats = field(default_factory=MoneyStats)
    billing: BillingStats = field(default_factory=BillingStats)
    documents: DocumentStats = field(default_factory=DocumentStats)


def demo_exists() -> bool:
    """True when this database already holds the demo practice."""
    return Organization.objects.filter(name=DEMO_ORGANIZATION_NAME).exists()


def _patients_delete() -> int:
    """Delete every patient and what hangs off them (``--reset`` on a demo database only).

    ``_raw_delete`` issues one DELETE per table: the ORM's cascade collector would load every row
    first, which takes minutes at demo scale. Children go first, so no foreign key is left dangling.
    """
    using = router.db_for_write(Patient)
    for model in (Verification, DuplicateOverride, PatientMerge, PatientPhone, Coverage):
        model.objects.all()._raw_delete(using)
    Patient.objects.update(guarantor_patient=None, merged_into=None)
    return int(Patient.objects.all()._raw_delete(using))


def demo_load(
    *,
    patients: int = DEFAULT_PATIENTS,
    seed: int = DEFAULT_SEED,
    reset: bool = False,
    on_progress: Callable[[int], None] | None = None,
) -> DemoResult:
    """Build the demo practice with ``patients`` synthetic patients, deterministically for ``seed``.

    Does nothing when the demo is already loaded, unless ``reset``: then every patient is deleted and
    the demo is built again. Refused in production mode. Everything happens in one transaction, so an
    interrupted load leaves nothing behind, and one summary audit row records it.
    """
    started = time.monotonic()
    if patients < 0:
        raise ValueError("The number of patients cannot be negative.")
    if getattr(settings, "PRODUCTION", False):
        # Synthetic patients must never mix with real ones, and --reset deletes every patient.
        raise Conflict(
            "The demo practice is for evaluation only; it is not loaded in production mode.",
            code="demo_in_production",
        )
    with transaction.atomic():
        if demo_exists() and not reset:
            return DemoResult(
                created=False,
                stats=PatientStats(),
                seconds=time.monotonic() - started,
                logins=DEMO_LOGINS,
            )
        if reset:
            documents_delete()  # chart documents and inbox parts name patients
            money_delete()  # ledger entries and payments refer to appointments and patients
            simulated_payer_forget()  # answers to claims that no longer exist
            activity_delete()  # messages, replies, tasks and offers refer to appointments
            schedule_delete()  # appointments protect their patients: they go first
        removed = _patients_delete() if reset else 0
        practice = build_practice()
        stats = patients_create(
            practice=practice, count=patients, seed=seed, on_progress=on_progress
        )
        schedule = schedule_build(seed=seed)
        activity = activity_build(seed=seed)
        money = money_build(seed=seed)
        billing = billing_build(seed=seed)
        documents = documents_build(location=practice.locations[0], seed=seed)
        audit_record(
            actor=None,
            actor_name="system (demo loader)",
            action=AuditAction.CREATE,
            category=AuditCategory.CONFIGURATION,
            object_type="demo_practice",
            object_id=practice.organization.pk,
            detail={
                "event": "demo_loaded",
                "seed": seed,
                "patients": stats.patients,
                "phones": stats.phones,
                "coverages": stats.coverages,
                "restricted": stats.restricted,
                "locations": len(practice.locations),
                "payers": len(practice.payers),
                "staff_logins": len(DEMO_LOGINS),
                "reset": reset,
                "patients_removed": removed,
                "appointment_types": schedule.appointment_types,
                "templates": schedule.templates,
                "appointments": schedule.appointments,
                "messages": activity.messages,
                "sms_replies": activity.replies,
                "followup_tasks": activity.tasks,
                "waitlist_entries": activity.waitlist_entries,
                "payments": money.payments,
                "closed_days": money.closed_days,
                "encounters": billing.encounters,
                "claims_sent": billing.claims_sent,
                "eligibility_checks": billing.eligibility_checks,
                "inbox_documents": documents.received,
            },
        )
    return DemoResult(
        created=True,
        stats=stats,
        seconds=time.monotonic() - started,
        logins=DEMO_LOGINS,
        schedule=schedule,
        activity=activity,
        money=money,
        billing=billing,
        documents=documents,
    )

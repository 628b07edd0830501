"""The one policy table: which role may perform which action.

Views, API endpoints and selectors name an action (``"patient.view"``); ``can(user, action)`` answers.
Tests walk this table against every URL (see ``tests/test_policy_matrix.py``), so an endpoint that names
no action, or an action missing here, fails the suite.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from frontdesk.accounts.choices import Role

if TYPE_CHECKING:
    from frontdesk.accounts.models import User


class A:
    """Action names. Keep them ``<noun>.<verb>``; add new ones here and to POLICY."""

    PATIENT_SEARCH = "patient.search"
    PATIENT_VIEW = "patient.view"
    PATIENT_CREATE = "patient.create"
    PATIENT_UPDATE = "patient.update"
    PATIENT_MERGE = "patient.merge"
    PATIENT_VIEW_SSN = "patient.view_ssn"  # the full SSN; everyone else sees ***-**-1234
    PATIENT_VIEW_RESTRICTED = "patient.view_restricted"  # confidential records without break-glass
    COVERAGE_VIEW = "coverage.view"
    COVERAGE_EDIT = "coverage.edit"
    VERIFICATION_RECORD = "verification.record"
    PRACTICE_VIEW = "practice.view"
    PRACTICE_MANAGE = "practice.manage"
    AUDIT_VIEW = "audit.view"
    AUDIT_EXPORT = "audit.export"
    USER_MANAGE = "user.manage"
    APIKEY_MANAGE = "apikey.manage"
    BREAKGLASS_USE = "breakglass.use"
    BREAKGLASS_REVIEW = "breakglass.review"
    ACCOUNT_SELF = "account.self"  # own profile, password, MFA enrollment
    SCHEDULE_VIEW = "schedule.view"  # appointment types, appointments, holds
    APPOINTMENT_BOOK = "appointment.book"  # book, reschedule, cancel, no-show, hold slots
    APPOINTMENT_OVERBOOK = "appointment.overbook"  # any provider (else Provider.allows_overbooking)
    WAITLIST_MANAGE = "waitlist.manage"  # waitlist entries and offers
    SCHEDULE_CONFIGURE = "schedule.configure"  # appointment types, provider templates, time off
    MESSAGE_VIEW = "message.view"  # the log of reminders/offers sent and replies received
    TASK_WORK = "task.work"  # front-desk follow-up tasks (call-backs): list, claim, complete
    APPOINTMENT_CHECK_IN = "appointment.check_in"  # check-in checklist at the desk
    CHECK_IN_OVERRIDE = "checkin.override"  # check in without active insurance or self-pay
    FLOW_MANAGE = "flow.manage"  # move patients across the flow board, room them, running late
    READINESS_VIEW = "readiness.view"  # chart-prep readiness and the not-ready worklist
    AUTHORIZATION_EDIT = "authorization.edit"  # referrals and prior authorizations on file
    FORMS_PRINT = "forms.print"  # printed day schedules and encounter forms
    NOSHOW_WORK = "noshow.work"  # the no-show worklist and its outreach attempts
    DOWNTIME_DOWNLOAD = "downtime.download"  # the encrypted downtime packet
    OPS_VIEW = "ops.view"  # the operations dashboard: downtime packet, clock, queue, audit check
    LEDGER_VIEW = "ledger.view"  # patient accounts: entries, balances, receipts, statements
    PAYMENT_COLLECT = "payment.collect"  # take a payment (any tender) into one's own open drawer
    PAYMENT_VOID = "payment.void"  # void a payment (a reversal entry with a reason)
    REFUND_ISSUE = "refund.issue"  # refund a patient credit or an overpayment
    CHARGE_POST = "charge.post"  # post charges, adjustments and fees; transfers of responsibility
    DRAWER_OPERATE = "drawer.operate"  # open and count one's own cash drawer
    DRAWER_APPROVE = "drawer.approve"  # approve a drawer variance over the threshold
    DAY_CLOSE = "day.close"  # close a location's business day
    DAY_REOPEN = "day.reopen"  # reopen a closed day (manager, reason, audited)
    SETTLEMENT_IMPORT = "settlement.import"  # import and match the card processor's settlement
    STATEMENT_RUN = "statement.run"  # patient statement runs and payment plans
    COLLECTIONS_REPORT = "collections.report"  # collections reports by day/tender/staff/provider
    ELIGIBILITY_CHECK = "eligibility.check"  # run a 270/271 check and read the benefits it returned
    ELIGIBILITY_BATCH = (
        "eligibility.batch"  # nightly/bulk checks, 271 file import, transport status
    )
    CODES_VIEW = "codes.view"  # search ICD-10-CM, CPT/HCPCS, modifiers, POS, fee schedules
    CODES_MANAGE = (
        "codes.manage"  # import CPT codes and fees, edit fee schedules and standard charges
    )
    CHARGE_ENTER = "charge.enter"  # enter a visit's charges (codes, units, diagnoses) from its form
    CLAIM_SUBMIT = "claim.submit"  # scrub, build and send 837P batches; corrected and void claims
    CLAIM_VIEW = "claim.view"  # claims with their status history, batches, acknowledgments
    REMITTANCE_POST = (
        "remittance.post"  # import 835s and 999/277CA acknowledgments, post remittances
    )
    DENIAL_WORK = "denial.work"  # the denial worklist: appeal, correct, write off, bill the patient
    ESTIMATE_CREATE = "estimate.create"  # patient cost estimates and Good Faith Estimates
    DOCUMENT_RECEIVE = "document.receive"  # put scans, faxes and uploads into a location's inbox
    DOCUMENT_VIEW = "document.view"  # open the inbox's documents (the bytes; every read audited)
    DOCUMENT_FILE = (
        "document.file"  # index from the review queue: file, split, merge, rotate, delete pages
    )
    DOCUMENT_SEND = "document.send"  # send a chart document out by fax, secure e-mail or print
    DOCUMENT_SIGN = "document.sign"  # sign off a document assigned for review (results, letters)


ALL_ACTIONS: frozenset[str] = frozenset(
    value for name, value in vars(A).items() if name.isupper() and isinstance(value, str)
)

_PATIENT_READ = {A.PATIENT_SEARCH, A.PATIENT_VIEW, A.COVERAGE_VIEW, A.PRACTICE_VIEW, A.ACCOUNT_SELF}
_REGISTRATION = {A.PATIENT_CREATE, A.PATIENT_UPDATE, A.COVERAGE_EDIT, A.VERIFICATION_RECORD}
_SCHEDULING = {
    A.SCHEDULE_VIEW,
    A.APPOINTMENT_BOOK,
    A.WAITLIST_MANAGE,
    A.MESSAGE_VIEW,
    A.TASK_WORK,
    A.READINESS_VIEW,
    A.NOSHOW_WORK,
}
# The desk's day: check-in, the flow board, chart prep, printing, downtime.
_DESK_DAY = {
    A.APPOINTMENT_CHECK_IN,
    A.FLOW_MANAGE,
    A.AUTHORIZATION_EDIT,
    A.FORMS_PRINT,
    A.DOWNTIME_DOWNLOAD,
}
# Money at the desk: collect, void own mistakes, count one's own drawer.
_DESK_MONEY = {A.LEDGER_VIEW, A.PAYMENT_COLLECT, A.PAYMENT_VOID, A.DRAWER_OPERATE}
# The billing office's money work on top of the desk's.
_BILLING_MONEY = _DESK_MONEY | {
    A.REFUND_ISSUE,
    A.CHARGE_POST,
    A.DAY_CLOSE,
    A.SETTLEMENT_IMPORT,
    A.STATEMENT_RUN,
    A.COLLECTIONS_REPORT,
}
# The desk checks eligibility and gives estimates; it reads codes to do so.
_DESK_INSURANCE = {A.ELIGIBILITY_CHECK, A.ESTIMATE_CREATE, A.CODES_VIEW}
# The billing office: codes, charges, claims, remittances, denials.
_BILLING_CLAIMS = _DESK_INSURANCE | {
    A.ELIGIBILITY_BATCH,
    A.CODES_MANAGE,
    A.CHARGE_ENTER,
    A.CLAIM_SUBMIT,
    A.CLAIM_VIEW,
    A.REMITTANCE_POST,
    A.DENIAL_WORK,
}
# Clinical staff move their patients on the board and print their day.
_CLINICAL_FLOW = {A.FLOW_MANAGE, A.FORMS_PRINT}
# The document inbox: whoever scans, receives faxes or files mail (the desk, billing for EOBs and
# payer letters, nurses for results, the manager) puts documents in and opens them.
_DOCUMENTS = {A.DOCUMENT_RECEIVE, A.DOCUMENT_VIEW, A.DOCUMENT_FILE, A.DOCUMENT_SEND}

POLICY: dict[str, frozenset[str]] = {
    Role.FRONT_DESK: frozenset(
        _PATIENT_READ
        | _REGISTRATION
        | _SCHEDULING
        | _DESK_DAY
        | _DESK_MONEY
        | _DESK_INSURANCE
        | _DOCUMENTS
    ),
    Role.SCHEDULER: frozenset(_PATIENT_READ | _SCHEDULING | {A.PATIENT_CREATE, A.PATIENT_UPDATE}),
    Role.BILLING: frozenset(
        _PATIENT_READ
        | _REGISTRATION
        | _BILLING_MONEY
        | _BILLING_CLAIMS
        | _DOCUMENTS
        | {
            A.PATIENT_VIEW_SSN,
            A.SCHEDULE_VIEW,
            A.READINESS_VIEW,
            A.AUTHORIZATION_EDIT,
            A.FORMS_PRINT,
            A.TASK_WORK,  # chart-prep tasks for billing land on the Tasks screen
        }
    ),
    Role.NURSE: frozenset(
        _PATIENT_READ
        | _CLINICAL_FLOW
        | _DOCUMENTS
        | {A.BREAKGLASS_USE, A.SCHEDULE_VIEW, A.DOCUMENT_SIGN}
    ),
    Role.PROVIDER: frozenset(
        _PATIENT_READ
        | _CLINICAL_FLOW
        | {
            A.BREAKGLASS_USE,
            A.SCHEDULE_VIEW,
            A.CODES_VIEW,
            A.CHARGE_ENTER,
            A.DOCUMENT_VIEW,
            A.DOCUMENT_SIGN,  # results and letters assigned to them for sign-off
        }
    ),
    Role.PRACTICE_MANAGER: frozenset(
        _PATIENT_READ
        | _REGISTRATION
        | _SCHEDULING
        | _DESK_DAY
        | _BILLING_MONEY
        | _BILLING_CLAIMS
        | _DOCUMENTS
        | {
            A.DRAWER_APPROVE,
            A.DAY_REOPEN,
            A.OPS_VIEW,
            A.PATIENT_MERGE,
            A.CHECK_IN_OVERRIDE,
            A.PRACTICE_MANAGE,
            A.USER_MANAGE,
            A.BREAKGLASS_USE,
            A.APPOINTMENT_OVERBOOK,
            A.SCHEDULE_CONFIGURE,
        }
    ),
    Role.PRIVACY_OFFICER: frozenset(
        _PATIENT_READ
        | {
            A.PATIENT_VIEW_RESTRICTED,
            A.AUDIT_VIEW,
            A.AUDIT_EXPORT,
            A.BREAKGLASS_REVIEW,
            A.DOCUMENT_VIEW,  # records requests and privacy complaints start from documents
        }
    ),
    # IT administration: accounts, keys and configuration, but no patient data (minimum necessary).
    Role.ADMIN: frozenset(
        {
            A.PRACTICE_VIEW,
            A.PRACTICE_MANAGE,
            A.USER_MANAGE,
            A.APIKEY_MANAGE,
            A.OPS_VIEW,
            A.AUDIT_VIEW,
            A.AUDIT_EXPORT,
            A.BREAKGLASS_REVIEW,
            A.ACCOUNT_SELF,
        }
    ),
}

# Roles whose staff see every location's data without being assigned to each.
ALL_LOCATION_ROLES: frozenset[str] = frozenset(
    {Role.PRACTICE_MANAGER, Role.PRIVACY_OFFICER, Role.ADMIN}
)


def actions_for(role: str) -> frozenset[str]:
    return POLICY.get(role, frozenset())


def can(user: User | Any, action: str) -> bool:
    """True when the user is an active, authenticated staff member whose role allows ``action``."""
    if action not in ALL_ACTIONS:
        raise KeyError(
            f"Unknown action {action!r}: add it to frontdesk.accounts.policy.A and POLICY."
        )
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return action in actions_for(user.role)

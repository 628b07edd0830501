"""The policy matrix, generated from the URL list and the policy table (security.md promises 1, 2, 11).

Every staff URL is walked for every role: anonymous users are sent to log in, roles without the view's
action get 403, permitted roles get through, POSTs without a CSRF token are refused and GETs change no
data. A URL whose view declares no policy, or whose parameters have no sample below, fails the suite.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from frontdesk.accounts.choices import Role
from frontdesk.accounts.policy import ALL_ACTIONS, POLICY
from frontdesk.chartprep.tests.samples import (
    sample_authorization,
    sample_case,
    sample_records_request,
)
from frontdesk.notifications.tests.samples import sample_task
from frontdesk.waitlist.tests.samples import sample_entry, sample_offer
from tests.factories import (
    AppointmentFactory,
    CoverageFactory,
    EquipmentFactory,
    LocationFactory,
    PatientFactory,
    PayerFactory,
    PlanFactory,
    ProviderFactory,
    RoomFactory,
    UserFactory,
    assign,
)

# Django-ninja serves /api/v1/ and has its own matrix (frontdesk/api/tests); static files are public.
SKIPPED_PREFIXES = ("api/", "static/")


@dataclass(frozen=True)
class Route:
    name: str
    pattern: str
    view: Callable[..., Any]
    converters: tuple[str, ...]


def _walk(
    resolvers: list[URLPattern | URLResolver], prefix: str = "", namespace: str = ""
) -> Iterator[Route]:
    for entry in resolvers:
        if isinstance(entry, URLResolver):
            sub_prefix = prefix + str(entry.pattern)
            if sub_prefix.startswith(SKIPPED_PREFIXES):
                continue
            ns = (
                f"{namespace}:{entry.namespace}"
                if namespace and entry.namespace
                else (entry.namespace or namespace)
            )
            yield from _walk(entry.url_patterns, sub_prefix, ns)
        else:
            name = f"{namespace}:{entry.name}" if namespace else (entry.name or "")
            converters = tuple(getattr(entry.pattern, "converters", {}).keys())
            yield Route(name, prefix + str(entry.pattern), entry.callback, converters)


ROUTES = sorted(_walk(get_resolver().url_patterns), key=lambda r: r.name)
PROTECTED = [r for r in ROUTES if not getattr(r.view, "is_public", False)]
ROLES = list(Role.values)


def _objects() -> dict[str, Any]:
    location = LocationFactory()
    patient = PatientFactory()
    payer = PayerFactory()
    return {
        "location": location,
        "patient": patient,
        "other_patient": PatientFactory(),
        "coverage": CoverageFactory(patient=patient, payer=payer),
        "payer": payer,
        "plan": PlanFactory(payer=payer),
        "provider": ProviderFactory(),
    }


def _ended_grant() -> Any:
    from datetime import timedelta

    from django.utils import timezone

    from frontdesk.audit.models import EmergencyAccessGrant

    started = timezone.now() - timedelta(hours=2)
    return EmergencyAccessGrant.objects.create(
        user=UserFactory(role=Role.NURSE),
        reason="Unconscious patient in the waiting room",
        started_at=started,
        expires_at=started + timedelta(hours=1),
        ended_at=started + timedelta(minutes=20),
    )


_EXTRA_VISITS = itertools.count(1)


def _another_appointment(objects: dict[str, Any]) -> Any:
    """One more appointment of the sample patient, on its own day after the sample appointment's.

    The canary walk (tests/test_security_logs.py) samples every route against one world, so the
    sample patient must never be booked twice at one time (PostgreSQL's exclusion constraint).
    """
    from datetime import UTC, datetime, timedelta

    start = datetime(2026, 12, 7, 15, 0, tzinfo=UTC) + timedelta(days=next(_EXTRA_VISITS))
    return AppointmentFactory(
        location=objects["location"], patient=objects["patient"], starts_at=start
    )


def _sample_appointment(objects: dict[str, Any]) -> Any:
    if "appointment" not in objects:
        objects["appointment"] = AppointmentFactory(
            location=objects["location"], patient=objects["patient"]
        )
    return objects["appointment"]


# Parameters for URLs that take them, by URL name. A URL with parameters and no entry fails
# test_every_parameterised_url_has_a_sample, so new URLs must be added here (and thus walked).
SAMPLE_KWARGS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    # practice setup
    "practice:location_detail": lambda o: {"pk": o["location"].pk},
    "practice:location_edit": lambda o: {"pk": o["location"].pk},
    "practice:room_create": lambda o: {"location_pk": o["location"].pk},
    "practice:room_edit": lambda o: {"pk": RoomFactory(location=o["location"]).pk},
    "practice:equipment_create": lambda o: {"location_pk": o["location"].pk},
    "practice:equipment_edit": lambda o: {"pk": EquipmentFactory(location=o["location"]).pk},
    "practice:provider_edit": lambda o: {"pk": o["provider"].pk},
    "practice:payer_detail": lambda o: {"pk": o["payer"].pk},
    "practice:payer_edit": lambda o: {"pk": o["payer"].pk},
    "practice:plan_create": lambda o: {"payer_pk": o["payer"].pk},
    "practice:plan_edit": lambda o: {"pk": o["plan"].pk},
    # patients web UI
    "patients:detail": lambda o: {"pk": o["patient"].pk},
    "patients:edit": lambda o: {"pk": o["patient"].pk},
    "patients:photo": lambda o: {"pk": o["patient"].pk},
    "patients:coverage_create": lambda o: {"pk": o["patient"].pk},
    "patients:coverage_edit": lambda o: {"pk": o["patient"].pk, "coverage_pk": o["coverage"].pk},
    "patients:coverage_card": lambda o: {
        "pk": o["patient"].pk,
        "coverage_pk": o["coverage"].pk,
        "side": "front",
    },
    "patients:verify": lambda o: {"pk": o["patient"].pk},
    "patients:merge": lambda o: {"pk": o["patient"].pk},
    # schedule (an appointment at the sample location)
    **{
        # One appointment per sample world, shared by the four URLs (a walk over every URL with one
        # world must not book the same patient twice at the same time).
        f"scheduling:{name}": (lambda o: {"pk": _sample_appointment(o).pk})
        for name in ("appointment", "reschedule", "cancel", "no_show")
    },
    # front desk: check-in and the flow board act on the same sample appointment
    **{
        f"visits:{name}": (lambda o: {"pk": _sample_appointment(o).pk})
        for name in ("check_in", "check_in_undo", "card", "move")
    },
    # The privacy officer reviews a nurse's ended break-glass grant.
    "audit:emergency_review": lambda o: {"grant_id": _ended_grant().pk},
    # Staff administration acts on another staff member (a fresh front-desk account).
    **{
        f"accounts:{name}": (lambda o: {"user_id": UserFactory(role=Role.FRONT_DESK).pk})
        for name in ("user_detail", "user_deactivate", "user_reactivate", "user_mfa_reset")
    },
    # waitlist: an entry and its open offer at the sample location; the patient's public offer page
    "waitlist:entry_cancel": lambda o: {"pk": sample_entry(o).pk},
    "waitlist:offer_accept": lambda o: {"pk": sample_offer(o).pk},
    "waitlist:offer_decline": lambda o: {"pk": sample_offer(o).pk},
    "waitlist_public:offer": lambda o: {"token": sample_offer(o).token},
    # follow-up tasks (call-backs)
    "notifications:task_claim": lambda o: {"pk": sample_task(o).pk},
    "notifications:task_complete": lambda o: {"pk": sample_task(o).pk},
}


# Schedule setup (practice manager): a type, a template and an upcoming time off at the sample location.
def _setup_template(objects: dict[str, Any]) -> Any:
    from tests.factories import AvailabilityTemplateFactory

    return AvailabilityTemplateFactory(provider=objects["provider"], location=objects["location"])


def _setup_exception(objects: dict[str, Any]) -> Any:
    from datetime import timedelta

    from django.utils import timezone

    from tests.factories import ScheduleExceptionFactory

    start = timezone.now() + timedelta(days=3)
    return ScheduleExceptionFactory(
        location=objects["location"], starts_at=start, ends_at=start + timedelta(days=1)
    )


def _setup_type(objects: dict[str, Any]) -> Any:
    from tests.factories import AppointmentTypeFactory

    return AppointmentTypeFactory()


SAMPLE_KWARGS.update(
    {
        "scheduling:setup_type_edit": lambda o: {"pk": _setup_type(o).pk},
        "scheduling:setup_type_active": lambda o: {"pk": _setup_type(o).pk},
        "scheduling:setup_template_edit": lambda o: {"pk": _setup_template(o).pk},
        "scheduling:setup_template_end": lambda o: {"pk": _setup_template(o).pk},
        "scheduling:setup_template_delete": lambda o: {"pk": _setup_template(o).pk},
        "scheduling:setup_exception_remove": lambda o: {"pk": _setup_exception(o).pk},
    }
)


# Chart prep and no-shows: the sample appointment / patient, an authorization, a records request, a case.
SAMPLE_KWARGS.update(
    {
        **{
            f"chartprep:{name}": (lambda o: {"pk": _sample_appointment(o).pk})
            for name in ("owner_set", "forms_outreach", "billing_task")
        },
        **{
            f"chartprep:{name}": (lambda o: {"pk": o["patient"].pk})
            for name in ("patient", "authorization_create", "consent_paper", "records_request")
        },
        "chartprep:authorization_edit": lambda o: {"pk": sample_authorization(o).pk},
        "chartprep:records_received": lambda o: {"pk": sample_records_request(o).pk},
        **{
            f"noshows:{name}": (lambda o: {"pk": sample_case(o).pk})
            for name in ("attempt", "close", "undo")
        },
    }
)


# Printing: an encounter-form configuration of the sample provider (practice manager screens).
def _encounter_form_config(objects: dict[str, Any]) -> Any:
    from frontdesk.printing.tests.samples import sample_encounter_form_config

    return sample_encounter_form_config(objects["provider"])


def _encounter_form_batch(objects: dict[str, Any]) -> Any:
    from frontdesk.printing.tests.samples import sample_encounter_form_batch

    return sample_encounter_form_batch(objects["location"])


SAMPLE_KWARGS.update(
    {
        "printing:config_edit": lambda o: {"pk": _encounter_form_config(o).pk},
        "printing:config_delete": lambda o: {"pk": _encounter_form_config(o).pk},
        # A colleague's queued whole-day batch at the sample location (a manager may follow it).
        "printing:batch": lambda o: {"pk": _encounter_form_batch(o).pk},
        "printing:batch_download": lambda o: {"pk": _encounter_form_batch(o).pk},
    }
)


# Documents: an incoming fax in the sample location's correspondence log (route it, mark it handled).
def _correspondence(objects: dict[str, Any]) -> Any:
    from frontdesk.documents.models import Correspondence

    if "correspondence" not in objects:
        objects["correspondence"] = Correspondence.objects.create(
            location=objects["location"],
            direction="in",
            channel="fax",
            status="received",
            counterpart="+15555550123",
        )
    return objects["correspondence"]


# ...and a chart document of the sample patient with one version (its "send by fax" page).
def _chart_document(objects: dict[str, Any]) -> Any:
    from fpdf import FPDF

    from frontdesk.documents import blobs
    from frontdesk.documents.models import Document, DocumentVersion
    from frontdesk.documents.services import document_limits
    from frontdesk.documents.sniff import sniff

    if "chart_document" not in objects:
        pdf = FPDF()
        pdf.add_page()
        data = bytes(pdf.output())
        blob, _ = blobs.blob_store(data, sniffed=sniff(data, **document_limits()))
        document = Document.objects.create(
            patient=objects["patient"],
            location=objects["location"],
            doc_type="consult_note",
            title="Consult letter",
            filed_by="code",
        )
        DocumentVersion.objects.create(document=document, number=1, blob=blob, pages=1)
        objects["chart_document"] = document
    return objects["chart_document"]


SAMPLE_KWARGS.update(
    {
        "documents:document_fax": lambda o: {"document_id": _chart_document(o).pk},
        "documents:correspondence_route": lambda o: {"pk": _correspondence(o).pk},
        "documents:correspondence_handled": lambda o: {"pk": _correspondence(o).pk},
    }
)


def _kwargs_for(route: Route, objects: dict[str, Any]) -> dict[str, Any]:
    if not route.converters:
        return {}
    return SAMPLE_KWARGS[route.name](objects)


def _path(route: Route, objects: dict[str, Any]) -> str:
    return reverse(route.name, kwargs=_kwargs_for(route, objects))


def _client_for(role: str, location: Any, *, csrf: bool = False) -> Client:
    user = UserFactory(role=role)
    assign(user, location)
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(user)
    return client


def test_every_url_declares_its_policy():
    undeclared = [
        r.pattern
        for r in ROUTES
        if not getattr(r.view, "is_public", False) and not hasattr(r.view, "required_action")
    ]
    assert undeclared == []


def test_every_declared_action_is_in_the_policy_table():
    unknown = {
        r.view.required_action
        for r in PROTECTED
        if r.view.required_action not in ALL_ACTIONS and r.view.required_action != "authenticated"
    }
    assert unknown == set()


def test_every_parameterised_url_has_a_sample():
    missing = [r.name for r in ROUTES if r.converters and r.name not in SAMPLE_KWARGS]
    assert missing == []


# The fax provider's webhooks have no session to ride on: they are @public and authenticated by an
# HMAC signature of timestamp and body instead of a CSRF token (documents/fax.py). They are the only
# CSRF-exempt views; test_signed_webhooks_refuse_an_unsigned_post proves they write nothing unsigned.
SIGNED_WEBHOOKS = {"documents:fax_inbound", "documents:fax_status"}


def test_no_view_is_csrf_exempt():
    exempt = {r.name for r in ROUTES if getattr(r.view, "csrf_exempt", False)}
    assert exempt == SIGNED_WEBHOOKS
    assert all(getattr(r.view, "is_public", False) for r in ROUTES if r.name in SIGNED_WEBHOOKS)


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(SIGNED_WEBHOOKS))
def test_signed_webhooks_refuse_an_unsigned_post(name, client):
    _objects()
    before = _snapshot()
    response = client.post(reverse(name), {"id": "job-1", "status": "sent"})
    assert response.status_code == 403
    assert _snapshot() == before


@pytest.mark.django_db
@pytest.mark.parametrize("route", PROTECTED, ids=lambda r: r.name)
def test_anonymous_is_sent_to_log_in(route, client):
    objects = _objects()
    response = client.get(_path(route, objects))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    "route",
    [r for r in PROTECTED if r.view.required_action != "authenticated"],
    ids=lambda r: r.name,
)
def test_role_matrix(route, role):
    objects = _objects()
    client = _client_for(role, objects["location"])
    response = client.get(_path(route, objects))
    if route.view.required_action in POLICY[role]:
        assert response.status_code not in (302, 403), (route.name, role, response.status_code)
    else:
        assert response.status_code == 403, (route.name, role, response.status_code)


def _permitted_role(route: Route) -> str:
    action = route.view.required_action
    if action == "authenticated":
        return Role.FRONT_DESK
    return next(role for role in ROLES if action in POLICY[role])


MODELS_THAT_GETS_MAY_WRITE = {
    "audit.auditevent",  # reads are audited
    "audit.auditchainhead",
    "sessions.session",
    "axes.accessattempt",
    "axes.accesslog",
    "axes.accessfailurelog",
}


def _snapshot() -> dict[str, list[dict[str, Any]]]:
    state: dict[str, list[dict[str, Any]]] = {}
    for model in apps.get_models():
        label = model._meta.label_lower
        if label in MODELS_THAT_GETS_MAY_WRITE:
            continue
        state[label] = list(model._default_manager.order_by("pk").values())
    return state


@pytest.mark.django_db
@pytest.mark.parametrize("route", PROTECTED, ids=lambda r: r.name)
def test_get_changes_no_data_and_post_needs_csrf(route):
    objects = _objects()
    client = _client_for(_permitted_role(route), objects["location"], csrf=True)
    path = _path(route, objects)
    before = _snapshot()
    client.get(path)
    assert _snapshot() == before
    response = client.post(path, {"anything": "1"})
    assert response.status_code == 403
    assert _snapshot() == before


# Kiosk: a tablet and a pending reported change at the sample location; the appointment's QR page.
def _kiosk_change(objects: dict[str, Any]) -> Any:
    from frontdesk.kiosk.tests.samples import sample_change

    if "kiosk_change" not in objects:
        objects["kiosk_change"] = sample_change(
            objects["location"], objects["patient"], _sample_appointment(objects)
        )
    return objects["kiosk_change"]


SAMPLE_KWARGS.update(
    {
        "kiosk:device_revoke": lambda o: {"pk": _kiosk_change(o).device_id},
        "kiosk:device_unlock": lambda o: {"pk": _kiosk_change(o).device_id},
        "kiosk:change_apply": lambda o: {"pk": _kiosk_change(o).pk},
        "kiosk:change_reject": lambda o: {"pk": _kiosk_change(o).pk},
        "kiosk:change_card": lambda o: {"pk": _kiosk_change(o).pk, "side": "front"},
        "kiosk:code": lambda o: {"pk": _sample_appointment(o).pk},
    }
)


# Statements: the sample patient's account (a $60 charge), a statement, a run and a payment plan.
def _statements_sample(name: str) -> Any:
    from frontdesk.statements.tests import samples

    return getattr(samples, name)


# Payments: a completed cash payment of the sample patient at the sample location (its receipt page,
# print, e-mail and void), and the take-payment screen of the sample patient.
def _sample_payment(objects: dict[str, Any]) -> Any:
    if "payment" not in objects:
        from frontdesk.payments.services import TenderInput, payment_take
        from tests.factories import DrawerSessionFactory

        clerk = assign(UserFactory(role=Role.FRONT_DESK), objects["location"])
        DrawerSessionFactory(location=objects["location"], user=clerk)
        objects["payment"] = payment_take(
            actor=clerk,
            patient=objects["patient"],
            location=objects["location"],
            tenders=[TenderInput(kind="cash", amount="10.00")],
            idempotency_key="policy-matrix-payment",
        )
    return objects["payment"]


# Cash drawers, day close, settlement (payments): a drawer, a day close and an import at the sample
# location.
def _sample_drawer(objects: dict[str, Any]) -> Any:
    from tests.factories import DrawerSessionFactory

    if "drawer" not in objects:
        objects["drawer"] = DrawerSessionFactory(location=objects["location"])
    return objects["drawer"]


def _sample_day_close(objects: dict[str, Any]) -> Any:
    import datetime as dt

    from django.utils import timezone

    from frontdesk.payments.drawer_models import DayClose

    return DayClose.objects.create(
        location=objects["location"],
        date=dt.date(2026, 1, 5),
        closed_at=timezone.now(),
        closed_by=UserFactory(role=Role.BILLING),
        totals={},
        net_collected=0,
    )


def _sample_settlement(objects: dict[str, Any]) -> Any:
    from django.utils import timezone

    from frontdesk.payments.drawer_models import SettlementImport

    return SettlementImport.objects.create(
        location=objects["location"], sha256="0" * 64, file_name="s.csv", imported_at=timezone.now()
    )


SAMPLE_KWARGS.update(
    {
        **{
            f"patient_accounts:{name}": (
                lambda o: {"account_id": _statements_sample("sample_account")(o).pk}
            )
            for name in ("detail", "charge", "adjust", "plan")
        },
        "patient_accounts:for_patient": lambda o: {"patient_id": o["patient"].pk},
        "patient_accounts:reverse": lambda o: {
            "account_id": _statements_sample("sample_account")(o).pk,
            "entry_id": _statements_sample("sample_charge")(o).pk,
        },
        "statements:pdf": lambda o: {"statement_id": _statements_sample("sample_statement")(o).pk},
        "statements:run": lambda o: {"run_id": _statements_sample("sample_run")(o).pk},
        "statements:plan_cancel": lambda o: {"plan_id": _statements_sample("sample_plan")(o).pk},
        "payments:take": lambda o: {"pk": o["patient"].pk},
        **{
            f"payments:{name}": (lambda o: {"pk": _sample_payment(o).pk})
            for name in (
                "receipt",
                "receipt_pdf",
                "void_receipt_pdf",
                "receipt_email",
                "void",
                "refund",
            )
        },
        "payments:refund_receipt_pdf": lambda o: {"pk": _sample_refund(o).pk},
        **{
            f"drawer:{name}": (lambda o: {"drawer_id": _sample_drawer(o).pk})
            for name in ("close", "report", "deposit", "approve")
        },
        "drawer:day_report": lambda o: {"close_id": _sample_day_close(o).pk},
        "drawer:settlement_detail": lambda o: {"import_id": _sample_settlement(o).pk},
    }
)


def _sample_refund(objects: dict[str, Any]) -> Any:
    if "refund" not in objects:
        from frontdesk.payments.services import TenderInput, payment_take, refund_issue
        from tests.factories import DrawerSessionFactory, PatientFactory

        # A prepayment of a patient who owes nothing stays credit on the account (the sample
        # patient may have open charges from other samples, which would absorb it).
        clerk = assign(UserFactory(role=Role.FRONT_DESK), objects["location"])
        DrawerSessionFactory(location=objects["location"], user=clerk)
        payment = payment_take(
            actor=clerk,
            patient=PatientFactory(),
            location=objects["location"],
            tenders=[TenderInput(kind="cash", amount="10.00")],
            idempotency_key="policy-matrix-prepayment",
        )
        biller = assign(UserFactory(role=Role.BILLING), objects["location"])
        objects["refund"] = refund_issue(
            actor=biller,
            account=payment.account,
            location=objects["location"],
            amount="5.00",
            method="check",
            check_number="7001",
            reason="Overpaid",
            payment=payment,
            idempotency_key="policy-matrix-refund",
        )
    return objects["refund"]


# Billing: a visit with entered charges and its claim at the sample location (rows written directly).
def _billing_claim(objects: dict[str, Any]) -> Any:
    if "billing_claim" not in objects:
        from datetime import date

        from frontdesk.billing.models import ChargeLine, Claim, ClaimLine, Encounter
        from tests.factories import CoverageFactory

        location = objects["location"]
        appointment = _another_appointment(objects)
        biller = UserFactory(role=Role.BILLING)
        encounter = Encounter.objects.create(
            appointment=appointment,
            patient=appointment.patient,
            location=location,
            rendering_provider=appointment.provider,
            billing_organization=location.organization,
            place_of_service="11",
            service_date=date(2026, 12, 7),
            diagnoses=["I10"],
            entered_by=biller,
        )
        line = ChargeLine.objects.create(
            encounter=encounter, line_number=1, procedure_code="99213", charge="100.00", pointer_1=1
        )
        coverage = appointment.patient.coverages.filter(
            status="active", priority=1
        ).first() or CoverageFactory(patient=appointment.patient)
        claim = Claim.objects.create(
            claim_id="FD999999990",
            encounter=encounter,
            patient=appointment.patient,
            location=location,
            coverage=coverage,
            payer=coverage.payer,
            rendering_provider=appointment.provider,
            billing_organization=location.organization,
            place_of_service="11",
            service_date=encounter.service_date,
            diagnoses=["I10"],
            total_charge="100.00",
            created_by=biller,
        )
        ClaimLine.objects.create(
            claim=claim,
            line_number=1,
            line_control_number="FD999999990-1",
            procedure_code="99213",
            charge="100.00",
            service_date=encounter.service_date,
            pointer_1=1,
            charge_line=line,
        )
        objects["billing_claim"] = claim
    return objects["billing_claim"]


SAMPLE_KWARGS.update(
    {
        "billing:charge_entry": lambda o: {"appointment_id": _another_appointment(o).pk},
        "billing:encounter": lambda o: {"encounter_id": _billing_claim(o).encounter_id},
        "billing:encounter_post": lambda o: {"encounter_id": _billing_claim(o).encounter_id},
        "billing:claim": lambda o: {"claim_id": _billing_claim(o).pk},
        "billing:claim_scrub": lambda o: {"claim_id": _billing_claim(o).pk},
        "billing:claim_correct": lambda o: {"claim_id": _billing_claim(o).pk},
        "billing:claim_void": lambda o: {"claim_id": _billing_claim(o).pk},
        "billing:claim_line": lambda o: {"claim_id": _billing_claim(o).pk, "line_number": 1},
    }
)


# Code sets and fees (coding): a payer's fee schedule with one price.
def _coding_schedule(objects: dict[str, Any]) -> Any:
    from frontdesk.coding.tests.samples import sample_schedule

    return sample_schedule(objects)


def _coding_entry(objects: dict[str, Any]) -> Any:
    from frontdesk.coding.tests.samples import sample_entry

    return sample_entry(objects)


SAMPLE_KWARGS.update(
    {
        **{
            f"coding:{name}": (lambda o: {"schedule_id": _coding_schedule(o).pk})
            for name in ("schedule", "schedule_edit", "entry_set")
        },
        "coding:entry_delete": lambda o: {
            "schedule_id": _coding_schedule(o).pk,
            "entry_id": _coding_entry(o).pk,
        },
    }
)


# Clearinghouse and disclosures: an exchange (a 270 sent for the sample patient) and the patient's
# disclosure log.
def _sample_exchange(objects: dict[str, Any]) -> Any:
    from frontdesk.clearinghouse.tests.samples import sample_exchange

    if "exchange" not in objects:
        objects["exchange"] = sample_exchange(patient=objects["patient"])
    return objects["exchange"]


SAMPLE_KWARGS.update(
    {
        "clearinghouse:exchange": lambda o: {"exchange_id": _sample_exchange(o).pk},
        "clearinghouse:download": lambda o: {"exchange_id": _sample_exchange(o).pk},
        "clearinghouse:reprocess": lambda o: {"exchange_id": _sample_exchange(o).pk},
        "disclosures:patient": lambda o: {"patient_id": o["patient"].pk},
    }
)


# Remittance: a posted 835 with a denied line at the sample location.
def _sample_denial(objects: dict[str, Any]) -> Any:
    from frontdesk.remittance.tests.samples import sample_denial

    if "remittance_denial" not in objects:
        objects["remittance_denial"] = sample_denial(objects["location"])
    return objects["remittance_denial"]


# Eligibility: a coverage's panel and check, an answered check of the sample coverage, a batch,
# the patient's cost estimate and Good Faith Estimate.
def _eligibility_check(objects: dict[str, Any]) -> Any:
    if "eligibility_check" not in objects:
        from django.utils import timezone

        from frontdesk.eligibility.models import EligibilityCheck

        objects["eligibility_check"] = EligibilityCheck.objects.create(
            coverage=objects["coverage"],
            patient=objects["patient"],
            date_of_service=timezone.localdate(),
            status="complete",
            trace_number="POLICYMATRIX1",
            requested_at=timezone.now(),
            responded_at=timezone.now(),
            active=True,
            response_x12="ISA*00*~",
        )
    return objects["eligibility_check"]


def _eligibility_batch(objects: dict[str, Any]) -> Any:
    if "eligibility_batch" not in objects:
        from django.utils import timezone

        from frontdesk.eligibility.models import EligibilityBatch

        today = timezone.localdate()
        objects["eligibility_batch"] = EligibilityBatch.objects.create(
            started_at=timezone.now(), first_day=today, last_day=today, status="done"
        )
    return objects["eligibility_batch"]


SAMPLE_KWARGS.update(
    {
        "remittance:detail": lambda o: {
            "remittance_id": _sample_denial(o).claim_remittance.remittance_id
        },
        "remittance:denial": lambda o: {"denial_id": _sample_denial(o).pk},
        "remittance:denial_assign": lambda o: {"denial_id": _sample_denial(o).pk},
        "remittance:denial_action": lambda o: {"denial_id": _sample_denial(o).pk},
        "eligibility:panel": lambda o: {"coverage_id": o["coverage"].pk},
        "eligibility:check_run": lambda o: {"coverage_id": o["coverage"].pk},
        **{
            f"eligibility:{name}": (lambda o: {"check_id": _eligibility_check(o).pk})
            for name in ("check", "check_retry", "check_raw")
        },
        "eligibility:batch": lambda o: {"batch_id": _eligibility_batch(o).pk},
        "eligibility:estimate": lambda o: {"patient_id": o["patient"].pk},
        "eligibility:good_faith_estimate": lambda o: {"patient_id": o["patient"].pk},
        "eligibility:appointment_estimate": lambda o: {"appointment_id": _sample_appointment(o).pk},
    }
)


# The document inbox: one item faxed into the sample location's inbox (its page and its download).
def _inbox_item(objects: dict[str, Any]) -> Any:
    if "inbox_item" not in objects:
        from frontdesk.documents.services import document_receive
        from frontdesk.documents.tests.samples import pdf

        objects["inbox_item"] = document_receive(
            actor=None, location=objects["location"], source="fax", name="policy.pdf", data=pdf()
        )
    return objects["inbox_item"]


SAMPLE_KWARGS.update(
    {
        "documents:item": lambda o: {"item_id": _inbox_item(o).pk},
        "documents:download": lambda o: {"item_id": _inbox_item(o).pk},
        "documents:cover_sheet": lambda o: {"patient_id": o["patient"].pk},
    }
)


# Document review and the chart: a part of a two-page fax waiting for review at the sample location,
# and a chart document of the sample patient.
def _review_segment(objects: dict[str, Any]) -> Any:
    if "review_segment" not in objects:
        from frontdesk.documents.tests.review_samples import review_item, segment

        item = review_item(objects["location"], pages=2, text="Policy review fax")
        objects["review_segment"] = segment(item)
    return objects["review_segment"]


def _chart_document(objects: dict[str, Any]) -> Any:
    if "chart_document" not in objects:
        from frontdesk.documents.tests.review_samples import chart_document

        objects["chart_document"] = chart_document(objects["patient"], objects["location"])
    return objects["chart_document"]


SAMPLE_KWARGS.update(
    {
        **{
            f"documents:{name}": (lambda o: {"segment_id": _review_segment(o).pk})
            for name in (
                "review_segment",
                "review_patient_search",
                "review_file",
                "review_split",
                "review_merge",
                "review_delete",
            )
        },
        **{
            f"documents:{name}": (lambda o: {"item_id": _review_segment(o).item_id, "index": 0})
            for name in ("page_png", "page_rotate", "page_delete")
        },
        "documents:item_delete": lambda o: {"item_id": _review_segment(o).item_id},
        "documents:patient_documents": lambda o: {"patient_id": o["patient"].pk},
        **{
            f"documents:{name}": (lambda o: {"document_id": _chart_document(o).pk})
            for name in (
                "document",
                "document_sign",
                "document_new_version",
                "document_reassign",
            )
        },
        "documents:document_version": lambda o: {"document_id": _chart_document(o).pk, "number": 1},
        "documents:document_page_png": lambda o: {
            "document_id": _chart_document(o).pk,
            "number": 1,
            "index": 0,
        },
    }
)


# Document work: a referral of the sample patient filed at the sample location, on the referrals
# worklist (its "Record referral" form), and the patient's open records request.
def _work_document(objects: dict[str, Any]) -> Any:
    if "work_document" not in objects:
        from frontdesk.documents.tests.review_samples import chart_document

        document = chart_document(
            objects["patient"], objects["location"], title="Zz referral", doc_type="referral"
        )
        document.work_queue = "referrals"
        document.save(update_fields=["work_queue"])
        objects["work_document"] = document
    return objects["work_document"]


# Secure e-mail: a sent link of the sample chart document (revoke) and its public pickup page,
# opened with a known token (the page itself needs no login: the token and a phoned code instead).
SAMPLE_SECURE_TOKEN = "sample-secure-link-token"


def _secure_link(objects: dict[str, Any]) -> Any:
    import datetime as dt
    import hashlib

    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from frontdesk.documents.models import Correspondence, SecureLink

    if "secure_link" not in objects:
        document = _chart_document(objects)
        sender = UserFactory(role=Role.FRONT_DESK)
        row = Correspondence.objects.create(
            location=objects["location"],
            direction="out",
            channel="email",
            status="sent",
            counterpart="records@example.com",
            patient=document.patient,
            document=document,
            created_by=sender,
        )
        objects["secure_link"] = SecureLink.objects.create(
            document=document,
            version=document.versions.get(),
            correspondence=row,
            recipient="records@example.com",
            token_hash=hashlib.sha256(SAMPLE_SECURE_TOKEN.encode()).hexdigest(),
            code_hash=make_password("123456"),
            purpose="treatment",
            expires_at=timezone.now() + dt.timedelta(days=7),
            created_by=sender,
        )
    return objects["secure_link"]


SAMPLE_KWARGS.update(
    {
        **{
            f"documents:{name}": (lambda o: {"document_id": _work_document(o).pk})
            for name in ("document_work_done", "document_work_reopen", "document_work_referral")
        },
        "documents:document_records_received": lambda o: {
            "document_id": _chart_document(o).pk,
            "request_id": sample_records_request(o).pk,
        },
        "documents:document_secure_email": lambda o: {"document_id": _chart_document(o).pk},
        "documents:secure_link_revoke": lambda o: {"pk": _secure_link(o).pk},
        "documents:secure_pickup": lambda o: {
            "token": SAMPLE_SECURE_TOKEN if _secure_link(o) else ""
        },
    }
)

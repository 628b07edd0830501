"""Building the 270 inquiry for a coverage and a date of service (no database writes, no sending)."""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils import timezone

from frontdesk.core.counters import counter_next
from frontdesk.eligibility.errors import EligibilityError
from frontdesk.patients.choices import SubscriberRelationship
from frontdesk.patients.models import Coverage, Patient
from frontdesk.practice.models import Organization
from frontdesk.scheduling.models import Appointment

if TYPE_CHECKING:
    from frontdesk.standards.x12.eligibility import EligibilityInquiry, Person

SERVICE_TYPES = ("30",)


def service_date_of(appointment: Appointment) -> dt.date:
    """The appointment's date in its location's timezone (the date of service of the visit)."""
    return appointment.starts_at.astimezone(appointment.location.tzinfo).date()


def _sex(value: str) -> str:
    return value if value in ("M", "F") else ("U" if value else "")


def _person_of_patient(patient: Patient, **extra: Any) -> Person:
    from frontdesk.standards.x12.eligibility import Person

    return Person(
        last_name=patient.last_name,
        first_name=patient.first_name,
        middle_name=patient.middle_name,
        suffix=patient.suffix,
        date_of_birth=patient.date_of_birth,
        sex=_sex(patient.sex_at_birth),
        **extra,
    )


def _subscriber(coverage: Coverage) -> Person:
    from frontdesk.standards.x12.eligibility import Person

    ids = {"member_id": coverage.member_id, "group_number": coverage.group_number}
    if coverage.relationship == SubscriberRelationship.SELF:
        return _person_of_patient(coverage.patient, **ids)
    if coverage.subscriber_patient is not None:
        return _person_of_patient(coverage.subscriber_patient, **ids)
    if not coverage.subscriber_last_name:
        raise EligibilityError(
            "The coverage names no subscriber: add the subscriber's name and date of birth.",
            code="subscriber_missing",
            field="subscriber_last_name",
        )
    return Person(
        last_name=coverage.subscriber_last_name,
        first_name=coverage.subscriber_first_name,
        date_of_birth=coverage.subscriber_date_of_birth,
        sex=_sex(coverage.subscriber_sex),
        **ids,
    )


def inquiry_build(
    *,
    coverage: Coverage,
    date_of_service: dt.date,
    trace_number: str,
    appointment: Appointment | None = None,
) -> EligibilityInquiry:
    """The 270 inquiry: subscriber (and dependent when the patient is not the subscriber), the
    provider (the appointment's provider, else the practice's group NPI) and the payer."""
    from frontdesk.standards.x12.eligibility import EligibilityInquiry

    payer = coverage.payer
    if not payer.payer_id:
        raise EligibilityError(
            "The payer has no electronic payer ID.", code="payer_id_missing", field="payer"
        )
    provider_kwargs: dict[str, str]
    if appointment is not None:
        provider = appointment.provider
        provider_kwargs = {
            "provider_name": provider.last_name,
            "provider_first_name": provider.first_name,
            "provider_npi": provider.npi,
        }
    else:
        organization = Organization.objects.exclude(npi="").order_by("pk").first()
        if organization is None:
            raise EligibilityError(
                "The practice has no group NPI: add it in the practice settings.",
                code="npi_missing",
            )
        provider_kwargs = {"provider_name": organization.name, "provider_npi": organization.npi}
    dependent = None
    relationship = SubscriberRelationship.SELF.value
    if coverage.relationship != SubscriberRelationship.SELF:
        dependent = _person_of_patient(coverage.patient)
        relationship = coverage.relationship
    return EligibilityInquiry(
        trace_number=trace_number,
        payer_name=payer.name,
        payer_id=payer.payer_id,
        subscriber=_subscriber(coverage),
        date_of_service=date_of_service,
        dependent=dependent,
        relationship=relationship,
        service_types=SERVICE_TYPES,
        **provider_kwargs,
    )


def header_270() -> Any:
    """The envelope of a 270 we send (control numbers from FrontDesk's counters)."""
    from frontdesk.standards.x12.envelope import EnvelopeHeader

    interchange = (counter_next("x12.interchange") - 1) % 999_999_999 + 1
    group = (counter_next("x12.group") - 1) % 999_999_999 + 1
    return EnvelopeHeader(
        sender_id=str(getattr(settings, "X12_SENDER_ID", "FRONTDESK"))[:15],
        receiver_id=str(getattr(settings, "X12_RECEIVER_ID", "CLEARINGHOUSE"))[:15],
        interchange_control_number=interchange,
        group_control_number=group,
        functional_id="HS",
        version="005010X279A1",
        created_at=timezone.now(),
    )


def normalized_id(value: str) -> str:
    """A member ID compared as payers print it: upper case, without spaces or dashes."""
    return re.sub(r"[\s\-]", "", value or "").upper()


def normalized_name(value: str) -> str:
    return re.sub(r"[^A-Z]", "", (value or "").upper())

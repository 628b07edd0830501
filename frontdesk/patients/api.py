"""JSON API for patients and their insurance coverages.

Thin, like the views: each operation names its policy action (``requires``), parses and validates the
body with a strict schema, calls one selector or service (which scope and audit), and shapes the answer.
Minimum necessary: the SSN is only ever answered masked (``ssn_masked``) except to roles with
``patient.view_ssn``, who also get ``ssn``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema
from ninja.responses import Status
from pydantic import AfterValidator, field_validator

from frontdesk.accounts.models import User
from frontdesk.accounts.policy import A
from frontdesk.api.auth import api_user, requires
from frontdesk.api.errors import (
    COMMON_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    PatientMergedOut,
    PossibleDuplicatesOut,
)
from frontdesk.api.schemas import ID_PATH, IdString, InputSchema, clean_text, list_answer
from frontdesk.core.errors import NotFound, ValidationFailed
from frontdesk.core.queryset import get_restricted
from frontdesk.patients import selectors, services
from frontdesk.patients.choices import (
    CoveragePriority,
    CoverageStatus,
    GenderIdentity,
    GuarantorKind,
    PhoneType,
    SexAtBirth,
    SubscriberRelationship,
)
from frontdesk.patients.errors import PatientMerged
from frontdesk.patients.models import Coverage, Patient
from frontdesk.practice.models import Payer, Plan

router = Router(tags=["patients"])

SearchText = Annotated[str, AfterValidator(clean_text)]
SEARCH_QUERY = Query(
    ...,
    min_length=1,
    max_length=200,
    description="Name fragments, a date of birth, a phone number, an MRN or a member ID.",
)
Money = Annotated[Decimal, Field(ge=0, max_digits=8, decimal_places=2)]

# Body fields that name another object by id, and the model field the services know them by.
_ID_FIELDS = {
    "guarantor_patient_id": "guarantor_patient",
    "payer_id": "payer",
    "plan_id": "plan",
    "subscriber_patient_id": "subscriber_patient",
}
_MODEL_TO_BODY = {model: body for body, model in _ID_FIELDS.items()}


# --- Answers ---------------------------------------------------------------------------------------


class PhoneOut(Schema):
    number: str
    phone_type: PhoneType
    sms_capable: bool
    rank: int


class PatientOut(Schema):
    """A patient record. ``ssn`` (the full number) is present only for roles with patient.view_ssn."""

    id: str
    mrn: str
    prefix: str
    first_name: str
    middle_name: str
    last_name: str
    suffix: str
    preferred_name: str
    previous_last_name: str
    date_of_birth: dt.date
    sex_at_birth: SexAtBirth
    gender_identity: str
    pronouns: str
    ssn_masked: str = Field(description='The SSN as "***-**-1234", or "" when none is on file.')
    ssn: str | None = Field(
        None, description="The full SSN (NNN-NN-NNNN); only for roles with patient.view_ssn."
    )
    email: str
    phones: list[PhoneOut]
    address_line1: str
    address_line2: str
    city: str
    state: str
    postal_code: str
    country: str
    preferred_language: str
    interpreter_needed: bool
    sms_consent_at: dt.date | None
    email_consent_at: dt.date | None
    voice_consent_at: dt.date | None
    emergency_contact_name: str
    emergency_contact_relationship: str
    emergency_contact_phone: str
    guarantor_kind: GuarantorKind
    guarantor_patient_id: str | None
    guarantor_name: str
    guarantor_relationship: str
    guarantor_phone: str
    guarantor_address: str
    employer_name: str
    employer_phone: str
    is_active: bool
    deceased_on: dt.date | None
    created_at: dt.datetime
    updated_at: dt.datetime


class PatientHitOut(Schema):
    """One search result: enough to pick the right patient, nothing more."""

    id: str
    mrn: str
    first_name: str
    middle_name: str
    last_name: str
    preferred_name: str
    date_of_birth: dt.date
    sex_at_birth: SexAtBirth
    matched_on: str


class PatientHitList(Schema):
    items: list[PatientHitOut]
    count: int


class CoverageOut(Schema):
    id: str
    patient_id: str
    priority: CoveragePriority
    status: CoverageStatus
    payer_id: str
    payer_name: str
    plan_id: str | None
    plan_name: str
    member_id: str
    group_number: str
    relationship: SubscriberRelationship
    subscriber_patient_id: str | None
    subscriber_first_name: str
    subscriber_last_name: str
    subscriber_date_of_birth: dt.date | None
    subscriber_sex: str
    effective_on: dt.date | None
    terminates_on: dt.date | None
    copay_primary_care: Decimal | None
    copay_specialist: Decimal | None
    copay_urgent_care: Decimal | None
    copay_emergency: Decimal | None
    has_card_front: bool
    has_card_back: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class CoverageList(Schema):
    items: list[CoverageOut]
    count: int


# --- Request bodies --------------------------------------------------------------------------------


class PhoneIn(InputSchema):
    number: str = Field(min_length=1, max_length=30, description="Any format; stored as E.164.")
    phone_type: PhoneType = PhoneType.MOBILE
    sms_capable: bool = False


class PatientFields(InputSchema):
    """Fields of a patient a client may write (all optional here; see PatientCreateIn/PatientUpdateIn)."""

    prefix: str = Field("", max_length=20)
    middle_name: str = Field("", max_length=60)
    suffix: str = Field("", max_length=20)
    preferred_name: str = Field("", max_length=60)
    previous_last_name: str = Field("", max_length=60)
    sex_at_birth: SexAtBirth = SexAtBirth.UNKNOWN
    gender_identity: GenderIdentity | Literal[""] = ""
    pronouns: str = Field("", max_length=40)
    ssn: str = Field("", max_length=11, description="9 digits, dashes allowed; '' for none.")
    email: str = Field("", max_length=254)
    phones: list[PhoneIn] = Field(default_factory=list, max_length=10)
    address_line1: str = Field("", max_length=100)
    address_line2: str = Field("", max_length=100)
    city: str = Field("", max_length=60)
    state: str = Field("", max_length=2)
    postal_code: str = Field("", max_length=10)
    country: str = Field("US", max_length=2)
    preferred_language: str = Field("en", min_length=1, max_length=16)
    interpreter_needed: bool = False
    sms_consent_at: dt.date | None = None
    email_consent_at: dt.date | None = None
    voice_consent_at: dt.date | None = None
    emergency_contact_name: str = Field("", max_length=120)
    emergency_contact_relationship: str = Field("", max_length=40)
    emergency_contact_phone: str = Field("", max_length=20)
    guarantor_kind: GuarantorKind = GuarantorKind.SELF
    guarantor_patient_id: IdString | None = None
    guarantor_name: str = Field("", max_length=120)
    guarantor_relationship: SubscriberRelationship | Literal[""] = ""
    guarantor_phone: str = Field("", max_length=20)
    guarantor_address: str = Field("", max_length=250)
    employer_name: str = Field("", max_length=120)
    employer_phone: str = Field("", max_length=20)

    @field_validator("date_of_birth", check_fields=False)
    @classmethod
    def _dob_sane(cls, value: dt.date | None) -> dt.date | None:
        # The service checks the real rules (not in the future, not over 130 years ago); this only
        # keeps absurd years out so nothing downstream does arithmetic on year 1 or 9999.
        if value is not None and not 1850 <= value.year <= 2200:
            raise ValueError("Enter a real date of birth")
        return value


class PatientCreateIn(PatientFields):
    """Register a patient (like the registration form). Send ``duplicate_override_reason`` to register
    despite a 409 ``possible_duplicates`` answer."""

    first_name: str = Field(min_length=1, max_length=60)
    last_name: str = Field(min_length=1, max_length=60)
    date_of_birth: dt.date
    duplicate_override_reason: str = Field("", max_length=500)

    multiline_fields = frozenset({"duplicate_override_reason"})


class PatientUpdateIn(PatientFields):
    """Change a patient: only the fields sent change (``phones``, when sent, replaces the list)."""

    # Not sent = unchanged (``None`` only marks "not sent"; sending null is refused by the type).
    first_name: str = Field(None, min_length=1, max_length=60)  # type: ignore[assignment]
    last_name: str = Field(None, min_length=1, max_length=60)  # type: ignore[assignment]
    date_of_birth: dt.date = Field(None)  # type: ignore[assignment]


class CoverageFields(InputSchema):
    priority: CoveragePriority = CoveragePriority.PRIMARY
    status: CoverageStatus = CoverageStatus.ACTIVE
    plan_id: IdString | None = None
    group_number: str = Field("", max_length=40)
    relationship: SubscriberRelationship = SubscriberRelationship.SELF
    subscriber_patient_id: IdString | None = None
    subscriber_first_name: str = Field("", max_length=60)
    subscriber_last_name: str = Field("", max_length=60)
    subscriber_date_of_birth: dt.date | None = None
    subscriber_sex: SexAtBirth | Literal[""] = ""
    effective_on: dt.date | None = None
    terminates_on: dt.date | None = None
    copay_primary_care: Money | None = None
    copay_specialist: Money | None = None
    copay_urgent_care: Money | None = None
    copay_emergency: Money | None = None

    @field_validator(
        "subscriber_date_of_birth", "effective_on", "terminates_on", check_fields=False
    )
    @classmethod
    def _year_sane(cls, value: dt.date | None) -> dt.date | None:
        if value is not None and not 1850 <= value.year <= 2200:
            raise ValueError("Enter a real date")
        return value


class CoverageCreateIn(CoverageFields):
    payer_id: IdString
    member_id: str = Field(min_length=1, max_length=40)


class CoverageUpdateIn(CoverageFields):
    """Change a coverage: only the fields sent change."""

    # Not sent = unchanged; null is refused by the type.
    payer_id: IdString = Field(None)  # type: ignore[assignment]
    member_id: str = Field(None, min_length=1, max_length=40)  # type: ignore[assignment]


# --- Shaping answers -------------------------------------------------------------------------------


def _format_ssn(ssn: str) -> str:
    digits = "".join(char for char in ssn if char.isdigit())
    return f"{digits[:3]}-{digits[3:5]}-{digits[5:]}" if len(digits) == 9 else ssn


def patient_answer(patient: Patient, *, user: User) -> dict[str, Any]:
    """The patient as the API shows it to ``user`` (full SSN only with patient.view_ssn)."""
    answer: dict[str, Any] = {
        field: getattr(patient, field)
        for field in PatientOut.model_fields
        if field not in {"id", "ssn", "phones", "guarantor_patient_id"}
    }
    answer["id"] = str(patient.pk)
    answer["guarantor_patient_id"] = (
        str(patient.guarantor_patient_id) if patient.guarantor_patient_id else None
    )
    answer["phones"] = [
        {
            "number": phone.number,
            "phone_type": phone.phone_type,
            "sms_capable": phone.sms_capable,
            "rank": phone.rank,
        }
        for phone in patient.phones.all()
    ]
    if user.can(A.PATIENT_VIEW_SSN):
        answer["ssn"] = _format_ssn(patient.ssn) if patient.ssn else None
    return answer


def coverage_answer(coverage: Coverage) -> dict[str, Any]:
    plan = coverage.plan
    return {
        **{
            field: getattr(coverage, field)
            for field in CoverageOut.model_fields
            if field
            not in {
                "id",
                "patient_id",
                "payer_id",
                "payer_name",
                "plan_id",
                "plan_name",
                "subscriber_patient_id",
                "has_card_front",
                "has_card_back",
            }
        },
        "id": str(coverage.pk),
        "patient_id": str(coverage.patient_id),
        "payer_id": str(coverage.payer_id),
        "payer_name": coverage.payer.name,
        "plan_id": str(plan.pk) if plan is not None else None,
        "plan_name": plan.name if plan is not None else "",
        "subscriber_patient_id": (
            str(coverage.subscriber_patient_id) if coverage.subscriber_patient_id else None
        ),
        "has_card_front": bool(coverage.card_front),
        "has_card_back": bool(coverage.card_back),
    }


# --- Turning bodies into service input -------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def _service_data(body: InputSchema, *, user: User, only_sent: bool) -> dict[str, Any]:
    """The body as the services' ``data`` dict: model field names, plain values, objects for ids."""
    raw = body.model_dump(exclude_unset=only_sent)
    raw.pop("duplicate_override_reason", None)
    data: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for key, value in raw.items():
        if key not in _ID_FIELDS:
            data[key] = _plain(value)
            continue
        model_field = _ID_FIELDS[key]
        if value is None:
            data[model_field] = None
            continue
        found = _resolve(key, int(value), user=user)
        if found is None:
            errors[key] = ["No such record."]
        data[model_field] = found
    if errors:
        raise ValidationFailed(
            "The request is not valid; see the messages per field.", fields=errors
        )
    return data


def _resolve(key: str, pk: int, *, user: User) -> Any:
    if key in {"guarantor_patient_id", "subscriber_patient_id"}:
        # Another patient named in the body must be one the caller may see.
        return Patient.objects.restrict(user, A.PATIENT_VIEW).filter(pk=pk).first()
    if key == "payer_id":
        return Payer.objects.restrict(user, A.PRACTICE_VIEW).filter(pk=pk).first()
    return Plan.objects.restrict(user, A.PRACTICE_VIEW).filter(pk=pk).first()


def _body_field_errors(error: ValidationFailed) -> ValidationFailed:
    """Name fields as the client sent them (``payer`` -> ``payer_id``)."""
    if not any(field in _MODEL_TO_BODY for field in error.fields):
        return error
    renamed = {
        _MODEL_TO_BODY.get(field, field): messages for field, messages in error.fields.items()
    }
    return ValidationFailed(error.message, code=error.code, fields=renamed)


def _call(function: Any, **kwargs: Any) -> Any:
    try:
        return function(**kwargs)
    except ValidationFailed as error:
        raise _body_field_errors(error) from None


def _writable_patient(*, user: User, patient_id: int, action: str) -> Patient:
    patient: Patient = get_restricted(Patient.objects.all(), user, action, pk=patient_id)
    if patient.merged_into_id is not None:
        raise PatientMerged(survivor_id=patient.merged_into_id)
    return patient


def _coverages_in_scope(user: User, action: str) -> Any:
    """Coverages of the patients ``user`` may act on with ``action`` (a coverage is scoped by its
    patient: the restricted-chart rule applies to its insurance too)."""
    return Coverage.objects.filter(
        patient__in=Patient.objects.restrict(user, action).values("pk")
    ).select_related("payer", "plan")


def _coverage_in_scope(user: User, action: str, coverage_id: int) -> Coverage:
    coverage: Coverage | None = _coverages_in_scope(user, action).filter(pk=coverage_id).first()
    if coverage is None:
        raise NotFound()
    return coverage


# --- Operations ------------------------------------------------------------------------------------


@router.get(
    "/patients",
    auth=requires(A.PATIENT_SEARCH),
    response={200: PatientHitList, **COMMON_ERRORS},
    summary="Search patients",
    operation_id="patient_search",
)
def patient_search(
    request: HttpRequest,
    q: SearchText = SEARCH_QUERY,
    limit: int = Query(25, ge=1, le=100),
) -> dict[str, Any]:
    """One search box, best matches first. Audited as one query (the text is never stored)."""
    hits = selectors.patient_search(user=api_user(request), query=q, limit=limit)
    items = [
        {
            "id": str(hit.patient.pk),
            "mrn": hit.patient.mrn,
            "first_name": hit.patient.first_name,
            "middle_name": hit.patient.middle_name,
            "last_name": hit.patient.last_name,
            "preferred_name": hit.patient.preferred_name,
            "date_of_birth": hit.patient.date_of_birth,
            "sex_at_birth": hit.patient.sex_at_birth,
            "matched_on": hit.matched_on,
        }
        for hit in hits
    ]
    return list_answer(items)


@router.get(
    "/patients/{patient_id}",
    auth=requires(A.PATIENT_VIEW),
    response={200: PatientOut, 410: PatientMergedOut, **READ_ERRORS},
    exclude_unset=True,
    summary="Read a patient",
    operation_id="patient_get",
)
def patient_get(request: HttpRequest, patient_id: int = Path(..., **ID_PATH)) -> dict[str, Any]:
    """One patient (audited as one read). A merged record answers 410 with ``survivor_id``."""
    user = api_user(request)
    return patient_answer(selectors.patient_get(user=user, patient_id=patient_id), user=user)


@router.post(
    "/patients",
    auth=requires(A.PATIENT_CREATE),
    response={201: PatientOut, **WRITE_ERRORS, 409: PossibleDuplicatesOut},
    exclude_unset=True,
    summary="Register a patient",
    operation_id="patient_create",
)
def patient_create(request: HttpRequest, payload: PatientCreateIn) -> Status[dict[str, Any]]:
    """Register a patient; a likely duplicate answers 409 ``possible_duplicates`` with candidates."""
    user = api_user(request)
    data = _service_data(payload, user=user, only_sent=False)
    patient = _call(
        services.patient_register,
        actor=user,
        data=data,
        duplicate_override_reason=payload.duplicate_override_reason,
    )
    fresh = selectors.patient_get(user=user, patient_id=patient.pk, audit=False)
    return Status(201, patient_answer(fresh, user=user))


@router.patch(
    "/patients/{patient_id}",
    auth=requires(A.PATIENT_UPDATE),
    response={200: PatientOut, 410: PatientMergedOut, **WRITE_ERRORS},
    exclude_unset=True,
    summary="Change a patient",
    operation_id="patient_update",
)
def patient_update(
    request: HttpRequest, payload: PatientUpdateIn, patient_id: int = Path(..., **ID_PATH)
) -> dict[str, Any]:
    """Change the fields sent; each changed field lands in the patient's history."""
    user = api_user(request)
    patient = _writable_patient(user=user, patient_id=patient_id, action=A.PATIENT_UPDATE)
    data = _service_data(payload, user=user, only_sent=True)
    _call(services.patient_update, actor=user, patient=patient, data=data)
    fresh = selectors.patient_get(user=user, patient_id=patient.pk, audit=False)
    return patient_answer(fresh, user=user)


@router.get(
    "/patients/{patient_id}/coverages",
    auth=requires(A.COVERAGE_VIEW),
    response={200: CoverageList, **READ_ERRORS},
    summary="List a patient's coverages",
    operation_id="coverage_list",
)
def coverage_list(request: HttpRequest, patient_id: int = Path(..., **ID_PATH)) -> dict[str, Any]:
    """Every coverage of the patient, active first by priority (audited as one insurance read)."""
    user = api_user(request)
    patient = get_restricted(Patient.objects.all(), user, A.COVERAGE_VIEW, pk=patient_id)
    coverages = list(
        _coverages_in_scope(user, A.COVERAGE_VIEW)
        .filter(patient=patient)
        .order_by("status", "priority", "-effective_on", "pk")
    )
    selectors.coverage_read_record(user=user, patient_id=patient.pk)
    return list_answer([coverage_answer(coverage) for coverage in coverages])


@router.post(
    "/patients/{patient_id}/coverages",
    auth=requires(A.COVERAGE_EDIT),
    response={201: CoverageOut, 410: PatientMergedOut, **WRITE_ERRORS},
    summary="Add a coverage to a patient",
    operation_id="coverage_create",
)
def coverage_create(
    request: HttpRequest, payload: CoverageCreateIn, patient_id: int = Path(..., **ID_PATH)
) -> Status[dict[str, Any]]:
    user = api_user(request)
    patient = _writable_patient(user=user, patient_id=patient_id, action=A.COVERAGE_EDIT)
    data = _service_data(payload, user=user, only_sent=False)
    coverage = _call(services.coverage_create, actor=user, patient=patient, data=data)
    fresh = _coverages_in_scope(user, A.COVERAGE_EDIT).get(pk=coverage.pk)
    return Status(201, coverage_answer(fresh))


@router.get(
    "/coverages/{coverage_id}",
    auth=requires(A.COVERAGE_VIEW),
    response={200: CoverageOut, **READ_ERRORS},
    summary="Read a coverage",
    operation_id="coverage_get",
)
def coverage_get(request: HttpRequest, coverage_id: int = Path(..., **ID_PATH)) -> dict[str, Any]:
    user = api_user(request)
    coverage = _coverage_in_scope(user, A.COVERAGE_VIEW, coverage_id)
    selectors.coverage_read_record(
        user=user, patient_id=coverage.patient_id, coverage_id=coverage.pk
    )
    return coverage_answer(coverage)


@router.patch(
    "/coverages/{coverage_id}",
    auth=requires(A.COVERAGE_EDIT),
    response={200: CoverageOut, **WRITE_ERRORS},
    summary="Change a coverage",
    operation_id="coverage_update",
)
def coverage_update(
    request: HttpRequest, payload: CoverageUpdateIn, coverage_id: int = Path(..., **ID_PATH)
) -> dict[str, Any]:
    user = api_user(request)
    coverage = _coverage_in_scope(user, A.COVERAGE_EDIT, coverage_id)
    data = _service_data(payload, user=user, only_sent=True)
    _call(services.coverage_update, actor=user, coverage=coverage, data=data)
    fresh = _coverages_in_scope(user, A.COVERAGE_EDIT).get(pk=coverage.pk)
    return coverage_answer(fresh)

"""Patient screens: search, registration with the duplicate warning, the patient page, demographics,
coverages with card images, today's verification, and merging two charts.

Thin: forms parse, one service or selector does the work (they scope, validate and audit), the template
renders. Nothing that identifies a patient beyond the numeric id goes into a URL, and flash messages
(kept in a cookie) carry only the MRN, never names.
"""

from __future__ import annotations

from functools import wraps
from typing import Any, cast

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from frontdesk.accounts.decorators import requires
from frontdesk.accounts.policy import A
from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.core.errors import DomainError, NotFound, ValidationFailed
from frontdesk.patients import selectors, services
from frontdesk.patients.choices import GuarantorKind
from frontdesk.patients.errors import PatientMerged, PossibleDuplicates
from frontdesk.patients.forms import (
    CoverageForm,
    DuplicateReasonForm,
    MergeForm,
    PatientForm,
    VerificationForm,
    apply_patient_error,
)
from frontdesk.patients.models import Coverage, Patient
from frontdesk.patients.normalize import phone_display
from frontdesk.practice import selectors as practice_selectors

HISTORY_ROWS = 50
SHARED_HISTORY_TEMPLATE = "audit/_field_changes.html"  # the audit app's partial, when installed
FALLBACK_HISTORY_TEMPLATE = "patients/_history.html"
CARD_SIDES = {"front": "card_front", "back": "card_back"}


class _Redirect(Exception):
    """Raised by helpers to leave a view with a redirect (a merged chart goes to its survivor)."""

    def __init__(self, response: HttpResponse) -> None:
        self.response = response


def _posted(request: HttpRequest) -> Any:
    """The form data of a POST (even an empty one, so it is validated), None for a GET."""
    return request.POST if request.method == "POST" else None


def _files(request: HttpRequest) -> Any:
    return request.FILES if request.method == "POST" else None


def _user(request: HttpRequest) -> Any:
    return request.user


def _patient(request: HttpRequest, pk: int, *, audit: bool) -> Patient:
    """The patient the URL names, scoped; 404 when out of scope; survivor redirect when merged."""
    try:
        return selectors.patient_get(user=_user(request), patient_id=pk, audit=audit)
    except NotFound:
        raise Http404 from None
    except PatientMerged as merged:
        messages.info(request, "That record was merged; this is the surviving record.")
        raise _Redirect(redirect("patients:detail", pk=merged.survivor_id)) from None


def _patient_by_mrn(request: HttpRequest, mrn: str) -> Patient | None:
    """Find one patient by exact MRN through the (scoped, audited) search."""
    wanted = mrn.strip().upper()
    if not wanted:
        return None
    for hit in selectors.patient_search(user=_user(request), query=wanted, limit=5):
        if hit.matched_on == "mrn" and hit.patient.mrn.upper() == wanted:
            return hit.patient
    return None


def _handles_merged(view: Any) -> Any:
    """Turn a ``_Redirect`` raised while loading a patient into the redirect it carries."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            response: HttpResponse = view(request, *args, **kwargs)
        except _Redirect as leave:
            return leave.response
        return response

    return wrapped


def _phones(patient: Patient) -> list[dict[str, Any]]:
    return [
        {
            "display": phone_display(phone.number),
            "type": phone.get_phone_type_display(),
            "sms": phone.sms_capable,
        }
        for phone in patient.phones.all()
    ]


# --- search -----------------------------------------------------------------------------------


def _search_results(request: HttpRequest) -> dict[str, Any]:
    query = request.POST.get("q", "")
    if not query.strip():
        return {"hits": [], "searched": False}
    hits = selectors.patient_search(user=_user(request), query=query)
    rows = []
    for hit in hits:
        patient = hit.patient
        phones = list(patient.phones.all())
        rows.append(
            {
                "patient": patient,
                "phone": phone_display(phones[0].number) if phones else "",
                "coverage": getattr(patient, "primary_coverage", None),
                "matched_on": hit.matched_on,
            }
        )
    return {"hits": rows, "searched": True}


@requires(A.PATIENT_SEARCH)
@require_http_methods(["GET", "POST"])
def search(request: HttpRequest) -> HttpResponse:
    """The one search box. Queries travel in POST bodies only, never in the URL.

    With JavaScript, htmx posts each pause in typing to ``search_results``; without it, the form
    posts here and the whole page comes back with the results.
    """
    context: dict[str, Any] = {"hits": [], "searched": False, "query": ""}
    if request.method == "POST":
        context.update(_search_results(request))
        context["query"] = request.POST.get("q", "")
    context["can_register"] = _user(request).can(A.PATIENT_CREATE)
    return render(request, "patients/search.html", context)


@requires(A.PATIENT_SEARCH)
@require_POST
def search_results(request: HttpRequest) -> HttpResponse:
    """The results table alone, for htmx (a POST so the query stays out of URLs and logs)."""
    return render(request, "patients/_results.html", _search_results(request))


# --- registration -----------------------------------------------------------------------------


def _resolve_guarantor(request: HttpRequest, form: PatientForm) -> tuple[bool, Patient | None]:
    """Look up the guarantor by MRN when the guarantor is another patient; False when not found."""
    if form.cleaned_data.get("guarantor_kind") != GuarantorKind.PATIENT:
        return True, None
    mrn = form.cleaned_data.get("guarantor_mrn", "")
    if not mrn:
        form.add_error("guarantor_mrn", "Enter the MRN of the patient who is the guarantor.")
        return False, None
    guarantor = _patient_by_mrn(request, mrn)
    if guarantor is None:
        form.add_error("guarantor_mrn", "No patient has this MRN.")
        return False, None
    return True, guarantor


@requires(A.PATIENT_CREATE)
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = PatientForm(_posted(request), _files(request))
    reason_form = DuplicateReasonForm(_posted(request))
    candidates: list[Any] = []
    status = 200
    if request.method == "POST":
        status = 400
        reason_form.is_valid()
        reason = (reason_form.cleaned_data or {}).get("duplicate_override_reason", "")
        if form.is_valid():
            found, guarantor = _resolve_guarantor(request, form)
            if found:
                try:
                    patient = services.patient_register(
                        actor=user,
                        data=form.service_data(guarantor=guarantor),
                        duplicate_override_reason=reason,
                    )
                except PossibleDuplicates as duplicates:
                    candidates = duplicates.candidates
                    status = 409
                    if request.POST.get("duplicates_shown"):
                        reason_form.add_error(
                            "duplicate_override_reason",
                            "Give a reason to register anyway, or open the existing record.",
                        )
                except DomainError as exc:
                    apply_patient_error(form, exc)
                else:
                    messages.success(request, f"Patient registered with MRN {patient.mrn}.")
                    return redirect("patients:detail", pk=patient.pk)
    return render(
        request,
        "patients/register.html",
        {"form": form, "reason_form": reason_form, "candidates": candidates},
        status=status,
    )


# --- the patient page -------------------------------------------------------------------------


def _history_template() -> str:
    """The audit app's field-change partial when it exists, else this app's own rendering."""
    try:
        get_template(SHARED_HISTORY_TEMPLATE)
    except TemplateDoesNotExist:
        return FALLBACK_HISTORY_TEMPLATE
    return SHARED_HISTORY_TEMPLATE


def _ssn_display(user: Any, patient: Patient) -> str:
    if not patient.ssn_last4:
        return ""
    if user.can(A.PATIENT_VIEW_SSN) and patient.ssn:
        digits = patient.ssn
        return f"{digits[:3]}-{digits[3:5]}-{digits[5:]}"
    return patient.ssn_masked


@requires(A.PATIENT_VIEW)
@require_GET
@_handles_merged
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    patient = _patient(request, pk, audit=True)
    history = selectors.patient_change_history(user=user, patient_id=patient.pk, limit=HISTORY_ROWS)
    return render(
        request,
        "patients/detail.html",
        {
            "patient": patient,
            "phones": _phones(patient),
            "ssn": _ssn_display(user, patient),
            "coverages": list(patient.coverages.all()),
            "verifications": getattr(patient, "recent_verifications", []),
            "history": history,
            "history_template": _history_template(),
            "verification_form": VerificationForm(),
            "can_update": user.can(A.PATIENT_UPDATE),
            "can_edit_coverage": user.can(A.COVERAGE_EDIT),
            "can_verify": user.can(A.VERIFICATION_RECORD),
            "can_merge": user.can(A.PATIENT_MERGE),
            "can_view_coverage": user.can(A.COVERAGE_VIEW),
            "can_waitlist": user.can(A.WAITLIST_MANAGE) and patient.is_active,
            "can_view_account": user.can(A.LEDGER_VIEW),
            "can_view_documents": user.can(A.DOCUMENT_VIEW),
        },
    )


@requires(A.PATIENT_UPDATE)
@require_http_methods(["GET", "POST"])
@_handles_merged
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    patient = _patient(request, pk, audit=request.method == "GET")
    form = PatientForm(
        _posted(request), _files(request), initial=PatientForm.initial_for(patient), editing=True
    )
    if request.method == "POST" and form.is_valid():
        found, guarantor = _resolve_guarantor(request, form)
        if found:
            try:
                services.patient_update(
                    actor=user, patient=patient, data=form.service_data(guarantor=guarantor)
                )
            except PatientMerged as merged:
                return redirect("patients:detail", pk=merged.survivor_id)
            except DomainError as exc:
                apply_patient_error(form, exc)
            else:
                messages.success(request, f"Demographics saved for MRN {patient.mrn}.")
                return redirect("patients:detail", pk=patient.pk)
    status = 400 if form.is_bound else 200
    return render(request, "patients/edit.html", {"form": form, "patient": patient}, status=status)


# --- coverages --------------------------------------------------------------------------------


def _coverage(patient: Patient, coverage_pk: int) -> Coverage:
    """A coverage of this (already scoped) patient, or 404."""
    for coverage in patient.coverages.all():
        if coverage.pk == coverage_pk:
            return coverage
    raise Http404


def _coverage_choices(request: HttpRequest, current: Coverage | None = None) -> dict[str, Any]:
    user = _user(request)
    payers = list(practice_selectors.payer_list(user=user, include_inactive=False))
    plans = list(practice_selectors.plan_list(user=user, include_inactive=False))
    if current is not None:  # keep an inactive payer/plan the coverage already points at
        if current.payer_id not in {p.pk for p in payers}:
            payers.append(current.payer)
        if current.plan is not None and current.plan_id not in {p.pk for p in plans}:
            plans.append(current.plan)
    return {"payers": payers, "plans": plans}


def _coverage_page(
    request: HttpRequest, form: CoverageForm, patient: Patient, coverage: Coverage | None
) -> HttpResponse:
    status = 400 if form.is_bound else 200
    return render(
        request,
        "patients/coverage_form.html",
        {"form": form, "patient": patient, "coverage": coverage},
        status=status,
    )


@requires(A.COVERAGE_EDIT)
@require_http_methods(["GET", "POST"])
@_handles_merged
def coverage_create(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    patient = _patient(request, pk, audit=request.method == "GET")
    form = CoverageForm(_posted(request), _files(request), **_coverage_choices(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.coverage_create(actor=user, patient=patient, data=form.service_data())
        except DomainError as exc:
            apply_patient_error(form, exc)
        else:
            messages.success(request, f"Coverage added for MRN {patient.mrn}.")
            return redirect("patients:detail", pk=patient.pk)
    return _coverage_page(request, form, patient, None)


@requires(A.COVERAGE_EDIT)
@require_http_methods(["GET", "POST"])
@_handles_merged
def coverage_edit(request: HttpRequest, pk: int, coverage_pk: int) -> HttpResponse:
    user = _user(request)
    patient = _patient(request, pk, audit=False)
    coverage = _coverage(patient, coverage_pk)
    if request.method == "GET":  # the page shows the coverage: an insurance read, as in the API
        selectors.coverage_read_record(user=user, patient_id=patient.pk, coverage_id=coverage.pk)
    initial = {
        name: getattr(coverage, name)
        for name in CoverageForm.base_fields
        if name not in {"payer", "plan", "card_front", "card_back"}
    }
    initial.update(payer=coverage.payer_id, plan=coverage.plan_id)
    form = CoverageForm(
        _posted(request),
        _files(request),
        initial=initial,
        **_coverage_choices(request, coverage),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.coverage_update(actor=user, coverage=coverage, data=form.service_data())
        except DomainError as exc:
            apply_patient_error(form, exc)
        else:
            messages.success(request, f"Coverage saved for MRN {patient.mrn}.")
            return redirect("patients:detail", pk=patient.pk)
    return _coverage_page(request, form, patient, coverage)


@requires(A.COVERAGE_VIEW)
@require_GET
@_handles_merged
def coverage_card(request: HttpRequest, pk: int, coverage_pk: int, side: str) -> HttpResponse:
    """Download a card image: always as an attachment with nosniff, and audited."""
    if side not in CARD_SIDES:
        raise Http404
    patient = _patient(request, pk, audit=False)
    coverage = _coverage(patient, coverage_pk)
    stored = getattr(coverage, CARD_SIDES[side])
    if not stored:
        raise Http404
    content_type, extension = services.image_type(stored)
    audit_record(
        actor=_user(request),
        action=AuditAction.READ,
        category=AuditCategory.INSURANCE,
        patient_id=patient.pk,
        object_type="coverage_card",
        object_id=coverage.pk,
        detail={"side": side},
    )
    response = FileResponse(
        stored.open("rb"),
        as_attachment=True,
        filename=f"insurance-card-{coverage.pk}-{side}{extension}",
        content_type=content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return cast(HttpResponse, response)  # a streaming response; the decorators only pass it on


@requires(A.PATIENT_VIEW)
@require_GET
@_handles_merged
def photo(request: HttpRequest, pk: int) -> HttpResponse:
    """The patient's photo, audited; served as an attachment with nosniff like every stored file."""
    patient = _patient(request, pk, audit=False)
    if not patient.photo:
        raise Http404
    content_type, extension = services.image_type(patient.photo)
    audit_record(
        actor=_user(request),
        action=AuditAction.READ,
        category=AuditCategory.DEMOGRAPHICS,
        patient_id=patient.pk,
        object_type="patient_photo",
        object_id=patient.pk,
    )
    response = FileResponse(
        patient.photo.open("rb"),
        as_attachment=True,
        filename=f"patient-photo-{patient.pk}{extension}",
        content_type=content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return cast(HttpResponse, response)


# --- verification -----------------------------------------------------------------------------


@requires(A.VERIFICATION_RECORD)
@require_http_methods(["GET", "POST"])
@_handles_merged
def verify(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    patient = _patient(request, pk, audit=request.method == "GET")
    form = VerificationForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.verification_record(actor=user, patient=patient, **form.service_kwargs())
        except DomainError as exc:
            apply_patient_error(form, exc)
        else:
            messages.success(request, f"Verification recorded for MRN {patient.mrn}.")
            return redirect("patients:detail", pk=patient.pk)
    status = 400 if form.is_bound else 200
    return render(
        request, "patients/verify.html", {"form": form, "patient": patient}, status=status
    )


# --- merge ------------------------------------------------------------------------------------


@requires(A.PATIENT_MERGE)
@require_http_methods(["GET", "POST"])
@_handles_merged
def merge(request: HttpRequest, pk: int) -> HttpResponse:
    """Merge two charts in two steps: pick the other record and give a reason, then confirm."""
    user = _user(request)
    patient = _patient(request, pk, audit=request.method == "GET")
    form = MergeForm(_posted(request))
    context: dict[str, Any] = {"form": form, "patient": patient}
    if request.method == "POST" and form.is_valid():
        other = _patient_by_mrn(request, form.cleaned_data["other_mrn"])
        reason = form.cleaned_data["reason"].strip()
        if other is None:
            form.add_error("other_mrn", "No patient has this MRN.")
        elif other.pk == patient.pk:
            form.add_error("other_mrn", "Enter the MRN of a different patient.")
        if not reason:
            form.add_error("reason", "Give the reason for the merge.")
        if other is not None and not form.errors:
            if form.cleaned_data["keep"] == "this":
                survivor, merged = patient, other
            else:
                survivor, merged = other, patient
            if form.cleaned_data["confirmed"]:
                try:
                    services.patient_merge(
                        actor=user, survivor=survivor, merged=merged, reason=reason
                    )
                except ValidationFailed as exc:
                    apply_patient_error(form, exc)
                except DomainError as exc:
                    form.add_error(None, exc.message)
                else:
                    messages.success(
                        request, f"Record {merged.mrn} was merged into {survivor.mrn}."
                    )
                    return redirect("patients:detail", pk=survivor.pk)
            else:
                try:
                    # Showing the other chart for confirmation is a read of it: audited.
                    shown = selectors.patient_get(user=user, patient_id=other.pk)
                except (NotFound, PatientMerged):
                    form.add_error("other_mrn", "That record cannot be merged.")
                else:
                    context.update(
                        survivor=patient if survivor is patient else shown,
                        merged=shown if merged is other else patient,
                        confirm=True,
                    )
                    return render(request, "patients/merge_confirm.html", context)
    status = 400 if form.is_bound else 200
    return render(request, "patients/merge.html", context, status=status)

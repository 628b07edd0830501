"""Desk payment screens: take a payment for a patient (split tenders, change due), then its receipt
page (print the PDF, e-mail it, void the payment).

Thin: services write (and audit), selectors read. The take form carries a hidden idempotency key
minted when the form is drawn, so a double click or a resent form replays the first payment (the
same receipt) instead of charging twice. Printing is a POST: it records the print (the first is the
original, later ones say COPY), so a GET never changes anything.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from frontdesk.accounts.decorators import requires
from frontdesk.accounts.policy import A
from frontdesk.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from frontdesk.core.queryset import get_restricted
from frontdesk.patients.models import Patient
from frontdesk.payments import forms, receipts, selectors, services
from frontdesk.payments.choices import PaymentStatus
from frontdesk.payments.models import Payment, Refund
from frontdesk.payments.processor import TEST_TOKENS
from frontdesk.practice.models import Location
from frontdesk.scheduling.models import Appointment


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _pdf(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


def _payment(request: HttpRequest, pk: int, action: str) -> Payment:
    user: Any = request.user
    try:
        payment: Payment = get_restricted(
            Payment.objects.select_related("account__holder", "location__organization"),
            user,
            action,
            pk=pk,
        )
    except NotFound:
        raise Http404 from None
    return payment


def _location(request: HttpRequest, raw: Any, appointment: Appointment | None) -> Location:
    if appointment is not None:
        return appointment.location
    user: Any = request.user
    scoped = Location.objects.restrict(user, A.PAYMENT_COLLECT).filter(is_active=True)
    pk = _int(raw)
    if pk is not None:
        location = scoped.filter(pk=pk).first()
        if location is None:
            raise Http404
        return location
    with_drawer = selectors.drawer_location_for(user=user)
    if with_drawer is not None and scoped.filter(pk=with_drawer.pk).exists():
        return with_drawer
    location = scoped.order_by("name", "pk").first()
    if location is None:
        raise Http404
    return location


@requires(A.PAYMENT_COLLECT)
@require_http_methods(["GET", "POST"])
def take(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    try:
        patient: Patient = get_restricted(Patient.objects.all(), user, A.LEDGER_VIEW, pk=pk)
    except NotFound:
        raise Http404 from None
    data = request.POST if request.method == "POST" else request.GET
    appointment = None
    appointment_id = _int(data.get("appointment"))
    if appointment_id is not None:
        appointment = (
            Appointment.objects.restrict(user, A.PAYMENT_COLLECT)
            .select_related("location")
            .filter(pk=appointment_id, patient=patient)
            .first()
        )
    location = _location(request, data.get("location"), appointment)
    screen = selectors.take_screen(user=user, patient=patient, location=location)
    errors: dict[str, list[str]] = {}
    key = forms.new_key()
    if request.method == "POST":
        key = str(request.POST.get("idempotency_key", "")) or key
        tenders = forms.tenders_from(request.POST)
        try:
            payment = services.payment_take(
                actor=user,
                patient=patient,
                location=location,
                amount=request.POST.get("amount") or None,
                tenders=tenders,
                apply_to=forms.apply_from(request.POST, [c.pk for c, _ in screen.open_charges]),
                appointment=appointment,
                memo=str(request.POST.get("memo", "")),
                idempotency_key=key,
            )
        except DomainError as exc:
            if isinstance(exc, PermissionDenied):
                raise
            if exc.code == "idempotency_mismatch":
                key = forms.new_key()  # a changed form after a decline: a new request
            for field, field_errors in exc.fields.items():
                errors.setdefault(forms.form_field(field, tenders), []).extend(field_errors)
            if not exc.fields:
                errors["general"] = [exc.message]
            status = 409 if isinstance(exc, Conflict) else 422
            return render(
                request,
                "payments/pay_take.html",
                _take_context(screen, request.POST, errors, key, appointment),
                status=status,
            )
        if payment.status == PaymentStatus.DECLINED:
            errors["general"] = [payment.response.get("message", "The card was declined.")]
            return render(
                request,
                "payments/pay_take.html",
                _take_context(screen, request.POST, errors, forms.new_key(), appointment),
                status=402,
            )
        return redirect("payments:receipt", pk=payment.pk)
    initial = {"amount": str(screen.suggested) if screen.suggested else ""}
    return render(
        request,
        "payments/pay_take.html",
        _take_context(screen, initial, errors, key, appointment),
    )


def _take_context(
    screen: Any, values: Any, errors: dict[str, list[str]], key: str, appointment: Any
) -> dict[str, Any]:
    test_processor = getattr(settings, "FRONTDESK_CARD_PROCESSOR", "test") == "test"
    return {
        "screen": screen,
        "patient": screen.patient,
        "values": values,
        "errors": errors,
        "idempotency_key": key,
        "appointment": appointment,
        "test_tokens": TEST_TOKENS if test_processor else (),
    }


@requires(A.LEDGER_VIEW)
@require_http_methods(["GET"])
def receipt(request: HttpRequest, pk: int) -> HttpResponse:
    payment = _payment(request, pk, A.LEDGER_VIEW)
    view = selectors.payment_view(user=request.user, payment=payment)
    user: Any = request.user
    return render(
        request,
        "payments/receipt.html",
        {
            "view": view,
            "payment": payment,
            "can_void": user.can(A.PAYMENT_VOID),
            "can_refund": user.can(A.REFUND_ISSUE),
            "refunds": list(payment.refunds.order_by("pk")),
            "refund_key": forms.new_key(),
        },
    )


@requires(A.LEDGER_VIEW)
@require_POST
def receipt_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    payment = _payment(request, pk, A.LEDGER_VIEW)
    try:
        content = receipts.payment_receipt_pdf(user=request.user, payment=payment)
    except Conflict:
        raise Http404 from None
    return _pdf(content, f"receipt-{payment.receipt_number}.pdf")


@requires(A.LEDGER_VIEW)
@require_POST
def void_receipt_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    payment = _payment(request, pk, A.LEDGER_VIEW)
    try:
        content = receipts.void_receipt_pdf(user=request.user, payment=payment)
    except Conflict:
        raise Http404 from None
    return _pdf(content, f"void-receipt-{payment.void_receipt_number}.pdf")


@requires(A.LEDGER_VIEW)
@require_POST
def receipt_email(request: HttpRequest, pk: int) -> HttpResponse:
    payment = _payment(request, pk, A.LEDGER_VIEW)
    try:
        masked = receipts.receipt_email(
            user=request.user, payment=payment, void=request.POST.get("which") == "void"
        )
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Receipt e-mailed to {masked}.")
    return redirect("payments:receipt", pk=payment.pk)


@requires(A.PAYMENT_VOID)
@require_POST
def void(request: HttpRequest, pk: int) -> HttpResponse:
    payment = _payment(request, pk, A.PAYMENT_VOID)
    try:
        services.payment_void(
            actor=request.user, payment=payment, reason=str(request.POST.get("reason", ""))
        )
    except DomainError as exc:
        if isinstance(exc, PermissionDenied):
            raise
        text = "; ".join(m for ms in exc.fields.values() for m in ms) or exc.message
        messages.error(request, f"Not voided: {text}")
    else:
        messages.success(request, "Payment voided. Print the void receipt for the patient.")
    return redirect("payments:receipt", pk=payment.pk)


@requires(A.REFUND_ISSUE)
@require_POST
def refund(request: HttpRequest, pk: int) -> HttpResponse:
    """Refund (part of) what this payment left unapplied: cash, practice check or back to its card.
    The form carries its own idempotency key, so a double click refunds once."""
    payment = _payment(request, pk, A.REFUND_ISSUE)
    try:
        services.refund_issue(
            actor=request.user,
            account=payment.account,
            location=payment.location,
            amount=request.POST.get("amount", ""),
            method=str(request.POST.get("method", "")),
            reason=str(request.POST.get("reason", "")),
            payment=payment,
            check_number=str(request.POST.get("check_number", "")),
            idempotency_key=str(request.POST.get("idempotency_key", "")),
        )
    except DomainError as exc:
        if isinstance(exc, PermissionDenied):
            raise
        text = "; ".join(m for ms in exc.fields.values() for m in ms) or exc.message
        messages.error(request, f"Not refunded: {text}")
    else:
        messages.success(request, "Refund issued. Print the refund receipt for the patient.")
    return redirect("payments:receipt", pk=payment.pk)


@requires(A.LEDGER_VIEW)
@require_POST
def refund_receipt_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    try:
        refund_row: Refund = get_restricted(
            Refund.objects.select_related("account__holder", "location__organization"),
            user,
            A.LEDGER_VIEW,
            pk=pk,
        )
    except NotFound:
        raise Http404 from None
    content = receipts.refund_receipt_pdf(user=user, refund=refund_row)
    return _pdf(content, f"refund-receipt-{refund_row.receipt_number}.pdf")

"""Waitlist screens: entries (list, add, take off), offers with their outcome (accept or decline on
the patient's behalf), and the patient's public offer page (``/w/<token>/``).

Thin: selectors scope and audit the reads, services validate, write and audit. URLs carry ids only;
the public page's token is an unguessable capability, not patient data.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps as django_apps
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from frontdesk.accounts.decorators import public, requires
from frontdesk.accounts.policy import A
from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.core import throttle
from frontdesk.core.errors import DomainError, NotFound
from frontdesk.patients.models import Patient
from frontdesk.patients.selectors import patient_search
from frontdesk.scheduling.errors import PatientDoubleBooked, SlotTaken
from frontdesk.scheduling.grid import patient_short
from frontdesk.waitlist import selectors, services
from frontdesk.waitlist.forms import (
    OPEN,
    WEEKDAYS,
    EntryFilterForm,
    EntryForm,
    OfferFilterForm,
)
from frontdesk.waitlist.models import OPEN_ENTRY_STATUSES, OfferStatus, WaitlistEntry, WaitlistOffer

DAY_NAMES = dict(WEEKDAYS)
PUBLIC_MISS_LIMIT = 20  # unknown tokens per client address per window before answering 429
PUBLIC_MISS_WINDOW = 15 * 60
MSG_TAKEN = "Sorry, this time has already been taken by someone else. You stay on the waitlist."
MSG_EXPIRED = "Sorry, this offer has expired. You stay on the waitlist."
MSG_CLOSED = "This offer is no longer open."


def _user(request: HttpRequest) -> Any:
    return request.user


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _patient_label(patient: Patient) -> str:
    return f"{patient_short(patient)} · MRN {patient.mrn}"


def _preferences(entry: WaitlistEntry) -> list[str]:
    """The entry's preferences as short phrases (blank preference = any)."""
    parts = []
    providers = [p.display_name for p in entry.providers.all()]
    places = [loc.name for loc in entry.locations.all()]
    parts.append("with " + ", ".join(providers) if providers else "any clinician")
    parts.append("at " + ", ".join(places) if places else "any location")
    if entry.weekdays:
        parts.append(", ".join(DAY_NAMES[day][:3] for day in sorted(entry.weekdays)))
    if entry.earliest_time or entry.latest_time:
        start = f"{entry.earliest_time:%H:%M}" if entry.earliest_time else "…"
        end = f"{entry.latest_time:%H:%M}" if entry.latest_time else "…"
        parts.append(f"{start}-{end}")
    if entry.available_from:
        parts.append(f"from {entry.available_from:%Y-%m-%d}")
    if entry.wanted_before:
        parts.append(f"before {entry.wanted_before:%Y-%m-%d}")
    return parts


# --- entries ---------------------------------------------------------------------------------------


@requires(A.WAITLIST_MANAGE)
@require_GET
def entry_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    data = request.GET if request.GET else {"status": OPEN}
    form = EntryFilterForm(data, user=user)
    rows: list[dict[str, Any]] = []
    if form.is_valid():
        status = form.cleaned_data["status"]
        location = form.cleaned_data["location"]
        kind = form.cleaned_data["appointment_type"]
        entries = selectors.waitlist_entry_list(
            user=user,
            status=[str(s) for s in OPEN_ENTRY_STATUSES] if status == OPEN else (status or None),
            location_id=location.pk if location else None,
            appointment_type_id=kind.pk if kind else None,
        )
        rows = [
            {
                "entry": entry,
                "patient_label": _patient_label(entry.patient),
                "preferences": _preferences(entry),
                "since": entry.created_at.astimezone(entry.location.tzinfo),
                "is_open": entry.status in OPEN_ENTRY_STATUSES,
            }
            for entry in entries
        ]
    return render(
        request,
        "waitlist/entries.html",
        {"form": form, "rows": rows, "tab": "entries"},
        status=200 if form.is_bound and form.is_valid() else 400,
    )


def _entry_form_context(request: HttpRequest, form: EntryForm) -> dict[str, Any]:
    patient = None
    raw = form.data.get("patient") if form.is_bound else form.initial.get("patient")
    patient_id = _int(raw)
    if patient_id is not None:
        patient = (
            Patient.objects.restrict(_user(request), A.WAITLIST_MANAGE)
            .filter(pk=patient_id)
            .first()
        )
    return {
        "form": form,
        "patient": patient,
        "patient_label": _patient_label(patient) if patient else "",
        "tab": "entries",
    }


@requires(A.WAITLIST_MANAGE)
@require_http_methods(["GET", "POST"])
def entry_add(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if request.method == "GET":
        initial: dict[str, Any] = {"priority": 0}
        if _int(request.GET.get("patient")) is not None:
            initial["patient"] = _int(request.GET.get("patient"))
        form = EntryForm(initial=initial, user=user)
        return render(request, "waitlist/entry_form.html", _entry_form_context(request, form))
    form = EntryForm(request.POST, user=user)
    context = _entry_form_context(request, form)
    if form.is_valid() and context["patient"] is None:
        form.add_error("patient", "Search for and pick a patient.")
    if not form.is_valid():
        return render(request, "waitlist/entry_form.html", context, status=422)
    data = form.cleaned_data
    try:
        entry = services.waitlist_entry_create(
            actor=user,
            patient=context["patient"],
            location=data["location"],
            appointment_type=data["appointment_type"],
            providers=list(data["providers"]),
            locations=list(data["locations"]),
            weekdays=list(data["weekdays"]),
            earliest_time=data["earliest_time"],
            latest_time=data["latest_time"],
            available_from=data["available_from"],
            wanted_before=data["wanted_before"],
            priority=data["priority"],
            note=data["note"],
        )
    except DomainError as exc:
        for field, problems in (exc.fields or {"__all__": [exc.message]}).items():
            for problem in problems:
                form.add_error(field if field in form.fields else None, problem)
        return render(request, "waitlist/entry_form.html", context, status=422)
    messages.success(request, f"{_patient_label(entry.patient)} is on the waitlist.")
    return redirect("waitlist:entries")


@requires(A.WAITLIST_MANAGE)
@require_POST
def patient_pick(request: HttpRequest) -> HttpResponse:
    """Search results for the add form (POST keeps the typed text out of URLs and logs)."""
    query = request.POST.get("q", "").strip()[:100]
    hits = patient_search(user=_user(request), query=query, limit=10) if query else []
    rows = [
        {"pk": h.patient.pk, "label": _patient_label(h.patient), "dob": h.patient.date_of_birth}
        for h in hits
    ]
    return render(request, "waitlist/_patient_pick.html", {"rows": rows, "query": query})


@requires(A.WAITLIST_MANAGE)
@require_POST
def entry_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        entry = selectors.waitlist_entry_get(user=_user(request), entry_id=pk)
    except NotFound:
        raise Http404 from None
    try:
        services.waitlist_entry_cancel(actor=_user(request), entry=entry)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Waitlist entry #{entry.pk} taken off the waitlist.")
    return redirect("waitlist:entries")


# --- offers ----------------------------------------------------------------------------------------


def _offer_messages(offers: list[WaitlistOffer]) -> dict[int, list[Any]]:
    """The messages each offer went out as (when the notifications app is installed)."""
    ids = {pk for offer in offers for pk in offer.message_ids or []}
    if not ids or not django_apps.is_installed("frontdesk.notifications"):
        return {}
    from frontdesk.notifications.models import Message

    found = {
        message.pk: message
        for message in Message.objects.filter(pk__in=ids).only(
            "pk", "channel", "status", "sent_at", "error"
        )
    }
    return {
        offer.pk: [found[pk] for pk in offer.message_ids or [] if pk in found] for offer in offers
    }


@requires(A.WAITLIST_MANAGE)
@require_GET
def offer_list(request: HttpRequest) -> HttpResponse:
    form = OfferFilterForm(request.GET)
    rows: list[dict[str, Any]] = []
    now = timezone.now()
    if form.is_valid():
        offers = selectors.waitlist_offer_list(
            user=_user(request),
            status=form.cleaned_data["status"] or None,
            day=form.cleaned_data["day"],
        )
        sent = _offer_messages(offers)
        for offer in offers:
            tz = offer.location.tzinfo
            is_open = offer.status == OfferStatus.OFFERED and offer.expires_at > now
            rows.append(
                {
                    "offer": offer,
                    "starts": offer.starts_at.astimezone(tz),
                    "sent": offer.created_at.astimezone(tz),
                    "expires": offer.expires_at.astimezone(tz),
                    "responded": offer.responded_at.astimezone(tz) if offer.responded_at else None,
                    "patient_label": _patient_label(offer.entry.patient),
                    "messages": sent.get(offer.pk, []),
                    "is_open": is_open,
                    "status_label": "Expired"
                    if offer.status == OfferStatus.OFFERED and not is_open
                    else offer.get_status_display(),
                }
            )
    return render(
        request,
        "waitlist/offers.html",
        {"form": form, "rows": rows, "tab": "offers"},
        status=200 if form.is_valid() else 400,
    )


def _offer_for_staff(request: HttpRequest, pk: int) -> WaitlistOffer:
    try:
        return selectors.waitlist_offer_get(user=_user(request), offer_id=pk)
    except NotFound:
        raise Http404 from None


def _refusal(exc: DomainError) -> str:
    if isinstance(exc, SlotTaken | PatientDoubleBooked) or exc.code == "offer_gone":
        return "Too late: this time has already been taken. The patient stays on the waitlist."
    if exc.code == "offer_expired":
        return "Too late: this offer has expired."
    return exc.message


@requires(A.WAITLIST_MANAGE)
@require_POST
def offer_accept(request: HttpRequest, pk: int) -> HttpResponse:
    """Accept on the patient's behalf (they phoned in): books the slot if nobody was first."""
    offer = _offer_for_staff(request, pk)
    try:
        accepted = services.waitlist_offer_accept(offer=offer, actor=_user(request))
    except DomainError as exc:
        messages.error(request, _refusal(exc))
    else:
        local = accepted.starts_at.astimezone(accepted.location.tzinfo)
        messages.success(request, f"Booked {local:%a %d %b %H:%M} (offer #{accepted.pk}).")
    return redirect(reverse("waitlist:offers"))


@requires(A.WAITLIST_MANAGE)
@require_POST
def offer_decline(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the patient's "no" given on the phone; the slot goes to the next waiting patient."""
    offer = _offer_for_staff(request, pk)
    try:
        services.waitlist_offer_decline(offer=offer, actor=_user(request))
    except DomainError as exc:
        messages.error(request, _refusal(exc))
    else:
        messages.success(request, f"Offer #{offer.pk} declined.")
    return redirect(reverse("waitlist:offers"))


# --- the patient's offer page (public) -------------------------------------------------------------


def _client_key(request: HttpRequest) -> str:
    return f"waitlist-public-miss:{request.META.get('REMOTE_ADDR', '')}"


def _throttled(request: HttpRequest) -> bool:
    return throttle.misses(_client_key(request)) >= PUBLIC_MISS_LIMIT


def _count_miss(request: HttpRequest) -> None:
    throttle.miss_record(_client_key(request), PUBLIC_MISS_WINDOW)


def _public_response(
    request: HttpRequest, offer: WaitlistOffer, *, notice: str = "", status: int = 200
) -> HttpResponse:
    tz = offer.location.tzinfo
    now = timezone.now()
    state = str(offer.status)
    if offer.status == OfferStatus.OFFERED and offer.expires_at <= now:
        state = "expired"
    location = offer.location
    response = render(
        request,
        "waitlist/public_offer.html",
        {
            "offer": offer,
            "state": state,
            "notice": notice,
            "first_name": offer.entry.patient.first_name,
            "place": ", ".join(
                part for part in (location.name, location.address_line1, location.city) if part
            ),
            "starts": offer.starts_at.astimezone(tz),
            "expires": offer.expires_at.astimezone(tz),
            "clinician": offer.provider.display_name,
        },
        status=status,
    )
    # The token is the patient's key: never cache the page or leak its address to other sites
    # ("no-referrer" would make the browser send Origin: null, which fails the CSRF origin check).
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@public
@require_http_methods(["GET", "POST"])
def public_offer(request: HttpRequest, token: str) -> HttpResponse:
    """The offer a patient's SMS / e-mail links to: place, time, clinician, expiry; accept or decline.

    Shows no visit type, reason or surname. An unknown token is a bare 404; a client that keeps
    guessing gets 429 for a while.
    """
    if _throttled(request):
        return HttpResponse("Too many attempts. Try again later.", status=429)
    offer = selectors.waitlist_offer_for_token(token=token)
    if offer is None:
        _count_miss(request)
        raise Http404
    if request.method == "GET":
        audit_record(
            actor=None,
            actor_name="patient (offer link)",
            action=AuditAction.READ,
            category=AuditCategory.SCHEDULE,
            patient_id=offer.entry.patient_id,
            object_type="waitlist_offer",
            object_id=offer.pk,
            detail={"view": "public_offer"},
        )
        return _public_response(request, offer)
    choice = request.POST.get("choice", "")
    try:
        if choice == "accept":
            services.waitlist_offer_accept(offer=offer, actor=None)
            notice = "booked"
        elif choice == "decline":
            services.waitlist_offer_decline(offer=offer, actor=None)
            notice = "declined"
        else:
            return _public_response(request, offer, notice="choose", status=400)
    except DomainError as exc:
        offer.refresh_from_db()
        if isinstance(exc, SlotTaken | PatientDoubleBooked) or exc.code == "offer_gone":
            message, status = MSG_TAKEN, 409
        elif exc.code == "offer_expired":
            message, status = MSG_EXPIRED, 409
        elif exc.code == "offer_closed":
            message, status = MSG_CLOSED, 409
        else:  # e.g. the clinic's hours changed since the offer: the time cannot be booked now
            message, status = MSG_CLOSED, 409
        return _public_response(request, offer, notice=message, status=status)
    offer.refresh_from_db()
    return _public_response(request, offer, notice=notice)

"""Practice setup screens. Thin: parse with a form, call one selector or service, render.

Reading reference data needs ``practice.view`` (every staff role); changing it needs
``practice.manage`` (practice manager, admin). Out-of-scope objects are 404 (``NotFound``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from frontdesk.accounts.decorators import requires
from frontdesk.accounts.policy import A
from frontdesk.core.errors import DomainError, NotFound
from frontdesk.practice import selectors, services
from frontdesk.practice.forms import (
    EquipmentForm,
    LocationForm,
    OrganizationForm,
    PayerForm,
    PlanForm,
    ProviderForm,
    RoomForm,
    apply_domain_error,
)
from frontdesk.practice.models import Organization


def _posted(request: HttpRequest) -> Any:
    """The form data of a POST (even an empty one, so it is validated), None for a GET."""
    return request.POST if request.method == "POST" else None


def _user(request: HttpRequest) -> Any:
    return request.user


def _or_404(fetch: Callable[[], Any]) -> Any:
    try:
        return fetch()
    except NotFound:
        raise Http404 from None


def _form_page(
    request: HttpRequest,
    form: forms.BaseForm,
    *,
    title: str,
    cancel_url: str,
    template: str = "practice/form.html",
    **extra: Any,
) -> HttpResponse:
    status = 400 if form.is_bound and form.errors else 200
    context = {"form": form, "title": title, "cancel_url": cancel_url, **extra}
    return render(request, template, context, status=status)


def _submit(
    request: HttpRequest, form: forms.BaseForm, write: Callable[[dict[str, Any]], Any]
) -> Any:
    """Validate the form and run the service; return its result, or None with errors on the form."""
    if not form.is_valid():
        return None
    try:
        return write(form.cleaned_data)
    except DomainError as exc:
        apply_domain_error(form, exc)
        return None


# --- overview and organization ----------------------------------------------------------------


@requires(A.PRACTICE_MANAGE)
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    context = {
        "organization": selectors.organization_get(user=user),
        "locations": selectors.location_list(user=user, action=A.PRACTICE_MANAGE),
        "provider_count": selectors.provider_list(user=user).count(),
        "payer_count": selectors.payer_list(user=user).count(),
    }
    return render(request, "practice/overview.html", context)


@requires(A.PRACTICE_MANAGE)
@require_http_methods(["GET", "POST"])
def organization_edit(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    organization = selectors.organization_get(user=user)
    form = OrganizationForm(_posted(request), instance=organization)
    if request.method == "POST":

        def write(data: dict[str, Any]) -> Organization:
            if organization is None:
                return services.organization_create(actor=user, data=data)
            return services.organization_update(actor=user, organization=organization, data=data)

        if _submit(request, form, write) is not None:
            messages.success(request, "Practice details saved.")
            return redirect("practice:overview")
    return _form_page(
        request, form, title="Practice details", cancel_url=reverse("practice:overview")
    )


# --- locations --------------------------------------------------------------------------------


@requires(A.PRACTICE_VIEW)
@require_GET
def location_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    return render(
        request,
        "practice/location_list.html",
        {
            "locations": selectors.location_list(user=user),
            "can_manage": user.can(A.PRACTICE_MANAGE),
        },
    )


@requires(A.PRACTICE_VIEW)
@require_GET
def location_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    location = _or_404(lambda: selectors.location_get(user=user, location_id=pk))
    return render(
        request,
        "practice/location_detail.html",
        {
            "location": location,
            "rooms": selectors.room_list(user=user, location=location),
            "equipment": selectors.equipment_list(user=user, location=location),
            "providers": selectors.provider_list(user=user, location=location),
            "can_manage": user.can(A.PRACTICE_MANAGE),
        },
    )


def _location_form_page(request: HttpRequest, form: LocationForm, title: str) -> HttpResponse:
    return _form_page(
        request,
        form,
        title=title,
        cancel_url=reverse("practice:location_list"),
        template="practice/location_form.html",
    )


@requires(A.PRACTICE_MANAGE)
@require_http_methods(["GET", "POST"])
def location_create(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = LocationForm(_posted(request))
    if request.method == "POST":
        organization = selectors.organization_get(user=user)
        if organization is None:
            messages.error(request, "Enter the practice details before adding a location.")
            return redirect("practice:organization_edit")
        location = _submit(
            request,
            form,
            lambda data: services.location_create(
                actor=user, organization=organization, data=form.service_data(), hours=data["hours"]
            ),
        )
        if location is not None:
            messages.success(request, f"Location {location.name} added.")
            return redirect("practice:location_detail", pk=location.pk)
    return _location_form_page(request, form, "New location")


@requires(A.PRACTICE_MANAGE)
@require_http_methods(["GET", "POST"])
def location_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    location = _or_404(
        lambda: selectors.location_get(user=user, location_id=pk, action=A.PRACTICE_MANAGE)
    )
    form = LocationForm(_posted(request), instance=location)
    if request.method == "POST":
        saved = _submit(
            request,
            form,
            lambda data: services.location_update(
                actor=user, location=location, data=form.service_data(), hours=data["hours"]
            ),
        )
        if saved is not None:
            messages.success(request, f"Location {saved.name} saved.")
            return redirect("practice:location_detail", pk=saved.pk)
    return _location_form_page(request, form, f"Edit location {location.name}")


# --- rooms and equipment ----------------------------------------------------------------------


@requires(A.PRACTICE_MANAGE)
@require_http_methods(["GET", "POST"])
def room_create(request: HttpRequest, location_pk: int) -> HttpResponse:
    user = _user(request)
    location = _or_404(
        lambda: selectors.location_get(user=user, location_id=location_pk, action=A.PRACTICE_MANAGE)
    )
    form = RoomForm(_posted(request))
    if request.method == "POST":
        room = _submit(
            request,
            form,
            lambda data: services.room_create(actor=user, location=location, data=data),
        )
        if room is not None:
            messages.success(request, f"Room {room.name} added.")
            return redirect("practice:location_detail", pk=location.pk)
    return _form_page(
        request,
        form,
        title=f"New room at {location.name}",
        cancel_url=reverse("practice:location_detail", args=[location.pk]),
    )


@requires(A.PRACTICE_MANAGE)
@require_http_methods(["GET", "POST"])
def room_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    room = _or_404(lambda: selectors.room_get(user=user, room_id=pk, action=A.PRACTICE_MANAGE))
    form = RoomForm(_posted(request), instance=room)
    if request.method == "POST":
        saved = _submit(
            request, form, lambda data: services.room_update(actor=user, room=room, data=data)
        )
        if saved is not None:
            messages.success(request, f"Room {saved.name} saved.")
            return redirect("practice:location_detail", pk=room.location_id)
    return _form_page(
        request,
        form,
        title=f"Edit room {room.name}",
        cancel_url=reverse("practice:location_detail", args=[room.location_id]),
    )


@requires(A.PRACTICE_MANAGE)
@require_http_methods(["GET", "POST"])
def equipment_create(request: HttpRequest, location_pk: int) -> HttpResponse:
    user = _user(request)
    location = _or_404(
        lambda: selectors.location_get(user=user, location_id=location_pk, action=A.PRACTICE_MANAGE)
    )
    form = EquipmentForm(_posted(request))
    if request.method == "POST":
        equipment = _submit(
            request,
            form,
            lambda data: services.equipment_create(actor=user, location=location, data=data),
        )
        if equipment is not None:
            messages.success(request, f"Equipment {equipment.name} added.")
            return redirect("practice:location_detail", pk=location.pk)
    return _form_page(
        request,
        form,
        title=f"New equipment at {location.name}",
        cancel_url=reverse("practice:location_detail", args=[location.pk]),
    )


@requires(A.PRACTICE_MANAGE)
@require_http_methods(["GET", "POST"])
def equipment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    equipment = _or_404(
        lambda: selectors.equipment_get(user=user, equipment_id=pk, action=A.PRACTICE_MANAGE)
    )
    form = EquipmentForm(_posted(request), instance=equipment)
    if request.method == "POST":
        saved = _submit(
            request,
            form,
            lambda data: services.equipment_update(actor=user, equipment=equipment, data=data),
        )
        if saved is not None:
            messages.success(request, f"Equipment {saved.name} saved.")
            return redirect("practice:location_detail", pk=equipment.location_id)
    return _form_page(
        request,
        form,
        title=f"Edit equipment {equipment.name}",
        cancel_url=reverse("practice:location_detail", args=[equipment.location_id]),
    )


# --- providers --------------------------------------------------------------------------------


@requires(A.PRACTICE_VIEW)
@require_GET
def provider_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    return render(
        request,
        "practice/provider_list.html",
        {
            "providers": selectors.provider_list(user=user),
            "can_manage": user.can(A.PRACTICE_MANAGE),
        },
    )


@requires(A.PRACTICE_MANAGE)
@require_http_methods(["GET", "POST"])
def provider_create(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    locations = selectors.location_list(user=user, action=A.PRACTICE_MANAGE)
    form = ProviderForm(_posted(request), locations=locations)
    if request.method == "POST":
        provider = _submit(
            request, form, lambda data: services.provider_create(actor=user, data=data)
        )
        if provider is not None:
            messages.success(request, f"Provider {provider.display_name} added.")
            return redirect("practice:provider_list")
    return _form_page(
        request, form, title="New provider", cancel_url=reverse("practice:provider_list")
    )


@requires(A.PRACTICE_MANAGE)
@require_http_methods(["GET", "POST"])
def provider_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    provider = _or_404(
        lambda: selectors.provider_get(user=user, provider_id=pk, action=A.PRACTICE_MANAGE)
    )
    locations = selectors.location_list(user=user, action=A.PRACTICE_MANAGE)
    form = ProviderForm(_posted(request), instance=provider, locations=locations)
    if request.method == "POST":
        saved = _submit(
            request,
            form,
            lambda data: services.provider_update(actor=user, provider=provider, data=data),
        )
        if saved is not None:
            messages.success(request, f"Provider {saved.display_name} saved.")
            return redirect("practice:provider_list")
    return _form_page(
        request,
        form,
        title=f"Edit provider {provider.display_name}",
        cancel_url=reverse("practice:provider_list"),
    )


# --- payers and plans -------------------------------------------------------------------------


@requires(A.PRACTICE_VIEW)
@require_GET
def payer_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    return render(
        request,
        "practice/payer_list.html",
        {"payers": selectors.payer_list(user=user), "can_manage": user.can(A.PRACTICE_MANAGE)},
    )


@requires(A.PRACTICE_VIEW)
@require_GET
def payer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    payer = _or_404(lambda: selectors.payer_get(user=user, payer_id=pk))
    return render(
        request,
        "practice/payer_detail.html",
        {"payer": payer, "can_manage": user.can(A.PRACTICE_MANAGE)},
    )


@requires(A.PRACTICE_MANAGE)
@require_http_methods(["GET", "POST"])
def payer_create(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = PayerForm(_posted(request))
    if request.method == "POST":
        payer = _submit(request, form, lambda data: services.payer_create(actor=user, data=data))
        if payer is not None:
            messages.success(request, f"Payer {payer.name} added.")
            return redirect("practice:payer_detail", pk=payer.pk)
    return _form_page(request, form, title="New payer", cancel_url=reverse("practice:payer_list"))


@requires(A.PRACTICE_MANAGE)
@require_http_methods(["GET", "POST"])
def payer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    payer = _or_404(lambda: selectors.payer_get(user=user, payer_id=pk, action=A.PRACTICE_MANAGE))
    form = PayerForm(_posted(request), instance=payer)
    if request.method == "POST":
        saved = _submit(
            request, form, lambda data: services.payer_update(actor=user, payer=payer, data=data)
        )
        if saved is not None:
            messages.success(request, f"Payer {saved.name} saved.")
            return redirect("practice:payer_detail", pk=saved.pk)
    return _form_page(
        request,
        form,
        title=f"Edit payer {payer.name}",
        cancel_url=reverse("practice:payer_detail", args=[payer.pk]),
    )


@requires(A.PRACTICE_MANAGE)
@require_http_methods(["GET", "POST"])
def plan_create(request: HttpRequest, payer_pk: int) -> HttpResponse:
    user = _user(request)
    payer = _or_404(
        lambda: selectors.payer_get(user=user, payer_id=payer_pk, action=A.PRACTICE_MANAGE)
    )
    form = PlanForm(_posted(request))
    if request.method == "POST":
        plan = _submit(
            request, form, lambda data: services.plan_create(actor=user, payer=payer, data=data)
        )
        if plan is not None:
            messages.success(request, f"Plan {plan.name} added.")
            return redirect("practice:payer_detail", pk=payer.pk)
    return _form_page(
        request,
        form,
        title=f"New plan for {payer.name}",
        cancel_url=reverse("practice:payer_detail", args=[payer.pk]),
    )


@requires(A.PRACTICE_MANAGE)
@require_http_methods(["GET", "POST"])
def plan_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    plan = _or_404(lambda: selectors.plan_get(user=user, plan_id=pk, action=A.PRACTICE_MANAGE))
    form = PlanForm(_posted(request), instance=plan)
    if request.method == "POST":
        saved = _submit(
            request, form, lambda data: services.plan_update(actor=user, plan=plan, data=data)
        )
        if saved is not None:
            messages.success(request, f"Plan {saved.name} saved.")
            return redirect("practice:payer_detail", pk=plan.payer_id)
    return _form_page(
        request,
        form,
        title=f"Edit plan {plan.name}",
        cancel_url=reverse("practice:payer_detail", args=[plan.payer_id]),
    )

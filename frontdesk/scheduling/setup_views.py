"""Schedule-setup screens for the practice manager: appointment types, weekly templates, time off.

Thin: forms parse, ``setup_services`` validate and write, ``setup_selectors`` read. Every template or
time-off change ends on a page listing the booked appointments the change left outside availability,
each linking to the day view where staff reschedule or cancel it. URLs carry ids and dates only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from frontdesk.accounts.decorators import requires
from frontdesk.accounts.policy import A
from frontdesk.core.errors import DomainError, NotFound
from frontdesk.practice.models import Location, Provider
from frontdesk.scheduling import setup_selectors as selectors
from frontdesk.scheduling import setup_services as services
from frontdesk.scheduling.impact import template_change_impact
from frontdesk.scheduling.models import AvailabilityTemplate
from frontdesk.scheduling.setup_forms import (
    AppointmentTypeForm,
    ExceptionForm,
    TemplateEndForm,
    TemplateForm,
    apply_domain_error,
    apply_exception_error,
    apply_template_error,
)
from frontdesk.scheduling.setup_rules import local_today

CONFIGURE = A.SCHEDULE_CONFIGURE
SHOW_CHOICES = ("active", "inactive", "all")


def _user(request: HttpRequest) -> Any:
    return request.user


def _posted(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


def _or_404(fetch: Callable[[], Any]) -> Any:
    try:
        return fetch()
    except NotFound:
        raise Http404 from None


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _form_status(form: Any) -> int:
    return 400 if form.is_bound and form.errors else 200


# --- overview ------------------------------------------------------------------------------------


@requires(CONFIGURE)
@require_GET
def setup_home(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    return render(
        request,
        "scheduling/setup/home.html",
        {
            "type_count": selectors.setup_type_list(user=user).count(),
            "locations": selectors.setup_locations(user=user),
            "exception_count": len(selectors.exception_list(user=user)),
        },
    )


# --- appointment types ---------------------------------------------------------------------------


@requires(CONFIGURE)
@require_GET
def type_list(request: HttpRequest) -> HttpResponse:
    show = request.GET.get("show", "active")
    if show not in SHOW_CHOICES:
        show = "active"
    context = {"types": selectors.setup_type_list(user=_user(request), show=show), "show": show}
    template = (
        "scheduling/setup/_type_table.html"
        if _is_htmx(request)
        else "scheduling/setup/type_list.html"
    )
    return render(request, template, context)


def _type_form_page(
    request: HttpRequest, form: AppointmentTypeForm, title: str, kind: Any = None
) -> HttpResponse:
    return render(
        request,
        "scheduling/setup/type_form.html",
        {"form": form, "title": title, "kind": kind},
        status=_form_status(form),
    )


@requires(CONFIGURE)
@require_http_methods(["GET", "POST"])
def type_create(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = AppointmentTypeForm(_posted(request), providers=selectors.setup_providers(user=user))
    if request.method == "POST" and form.is_valid():
        try:
            kind = services.appointment_type_create(
                actor=user, data=form.service_data(), providers=form.chosen_providers()
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, f"Appointment type {kind.name} added.")
            return redirect("scheduling:setup_types")
    return _type_form_page(request, form, "New appointment type")


@requires(CONFIGURE)
@require_http_methods(["GET", "POST"])
def type_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    kind = _or_404(lambda: selectors.setup_type_get(user=user, type_id=pk))
    form = AppointmentTypeForm(
        _posted(request), instance=kind, providers=selectors.setup_providers(user=user)
    )
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.appointment_type_update(
                actor=user,
                appointment_type=kind,
                data=form.service_data(),
                providers=form.chosen_providers(),
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            if changed:
                messages.success(
                    request,
                    f"Appointment type {kind.name} saved. Booked appointments keep their times.",
                )
            else:
                messages.info(request, "Nothing changed.")
            return redirect("scheduling:setup_types")
    return _type_form_page(request, form, f"Edit appointment type {kind.name}", kind)


@requires(CONFIGURE)
@require_POST
def type_set_active(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    kind = _or_404(lambda: selectors.setup_type_get(user=user, type_id=pk))
    is_active = request.POST.get("is_active") == "1"
    services.appointment_type_set_active(actor=user, appointment_type=kind, is_active=is_active)
    if is_active:
        messages.success(request, f"{kind.name} is offered again.")
    else:
        messages.success(
            request,
            f"{kind.name} is no longer offered for new bookings. Booked appointments are unchanged.",
        )
    show = request.POST.get("show", "active")
    query = f"?show={show}" if show in SHOW_CHOICES else ""
    return redirect(reverse("scheduling:setup_types") + query)


# --- templates -----------------------------------------------------------------------------------


def _pick(
    request: HttpRequest, data: Any, *, fallback: bool = True
) -> tuple[Location, list[Provider], Provider | None]:
    """The location (first in scope by default) and provider asked for.

    ``fallback``: a provider who does not work at the location (the picker just switched location)
    or none given means the location's first provider; without it only the exact one will do.
    """
    user = _user(request)
    locations = selectors.setup_locations(user=user)
    location_id = _int(data.get("location"))
    location = (
        locations.filter(pk=location_id).first() if location_id is not None else locations.first()
    )
    if location is None:
        raise Http404
    providers = list(selectors.setup_providers(user=user, location=location))
    provider_id = _int(data.get("provider"))
    provider = next((p for p in providers if p.pk == provider_id), None)
    if provider is None and (fallback or provider_id is None) and providers:
        provider = providers[0]
    return location, providers, provider


@requires(CONFIGURE)
@require_GET
def template_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    location, providers, provider = _pick(request, request.GET)
    week = (
        selectors.template_week(user=user, provider=provider, location=location)
        if provider is not None
        else None
    )
    context = {
        "locations": selectors.setup_locations(user=user),
        "location": location,
        "providers": providers,
        "provider": provider,
        "week": week,
    }
    template = (
        "scheduling/setup/_templates_panel.html"
        if _is_htmx(request)
        else "scheduling/setup/template_list.html"
    )
    return render(request, template, context)


def _week_url(location_id: int, provider_id: int) -> str:
    return f"{reverse('scheduling:setup_templates')}?location={location_id}&provider={provider_id}"


def _done(
    request: HttpRequest,
    change: services.ScheduleChange,
    *,
    message: str,
    back_url: str,
    back_label: str,
) -> HttpResponse:
    """The page after a template or time-off change: what was done and what is now stranded."""
    rows = selectors.stranded_rows(
        user=_user(request), stranded=change.stranded, view="schedule_setup_change"
    )
    return render(
        request,
        "scheduling/setup/change_done.html",
        {
            "message": message,
            "rows": rows,
            "ranges": change.ranges,
            "back_url": back_url,
            "back_label": back_label,
        },
    )


def _template_form_page(
    request: HttpRequest,
    form: TemplateForm,
    *,
    title: str,
    location: Location,
    provider: Provider,
    template: AvailabilityTemplate | None = None,
    applied: bool = False,
) -> HttpResponse:
    return render(
        request,
        "scheduling/setup/template_form.html",
        {
            "form": form,
            "title": title,
            "location": location,
            "provider": provider,
            "template": template,
            "applied": applied,
            "back_url": _week_url(location.pk, provider.pk),
        },
        status=_form_status(form),
    )


@requires(CONFIGURE)
@require_http_methods(["GET", "POST"])
def template_create(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    data = request.POST if request.method == "POST" else request.GET
    location, _providers, provider = _pick(request, data, fallback=False)
    if provider is None:
        raise Http404
    today = local_today(location)
    initial = {"effective_from": today, "kind": "open", "weekdays": ["0", "1", "2", "3", "4"]}
    form = TemplateForm(
        _posted(request),
        initial=initial,
        types=selectors.setup_type_choices(user=user),
        creating=True,
    )
    if request.method == "POST" and form.is_valid():
        try:
            change = services.template_create(
                actor=user,
                provider=provider,
                location=location,
                weekdays=form.chosen_weekdays(),
                data=form.service_data(),
                appointment_types=list(form.cleaned_data["appointment_types"]),
            )
        except DomainError as exc:
            apply_template_error(form, exc)
        else:
            count = len(change.templates)
            return _done(
                request,
                change,
                message=f"Added {count} weekly window{'s' if count != 1 else ''} for "
                f"{provider.display_name} at {location.name}.",
                back_url=_week_url(location.pk, provider.pk),
                back_label="Back to the weekly pattern",
            )
    return _template_form_page(
        request,
        form,
        title=f"New window for {provider.display_name} at {location.name}",
        location=location,
        provider=provider,
    )


def _template(request: HttpRequest, pk: int) -> AvailabilityTemplate:
    return _or_404(lambda: selectors.template_get(user=_user(request), template_id=pk))  # type: ignore[no-any-return]


@requires(CONFIGURE)
@require_http_methods(["GET", "POST"])
def template_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    template = _template(request, pk)
    location, provider = template.location, template.provider
    applied = services.template_has_applied(template, location)
    current_types = list(template.appointment_types.all())
    types = selectors.setup_type_choices(user=user) | template.appointment_types.all()
    initial = {
        "weekday": template.weekday,
        "kind": template.kind,
        "start_time": template.start_time,
        "end_time": template.end_time,
        "effective_from": template.effective_from,
        "effective_until": template.effective_until,
        "appointment_types": current_types,
        "release_minutes_before": template.release_minutes_before,
        "label": template.label,
        "change_from": local_today(location),
    }
    form = TemplateForm(
        _posted(request), initial=initial, types=types.distinct(), creating=False, applied=applied
    )
    if request.method == "POST" and form.is_valid():
        try:
            change = services.template_update(
                actor=user,
                template=template,
                data=form.service_data(),
                appointment_types=list(form.cleaned_data["appointment_types"]),
                change_from=form.cleaned_data.get("change_from"),
            )
        except DomainError as exc:
            apply_template_error(form, exc)
        else:
            if not change.changed:
                messages.info(request, "Nothing changed.")
                return redirect(_week_url(location.pk, provider.pk))
            if len(change.templates) == 2:
                message = (
                    f"Saved. The old pattern applies until "
                    f"{change.templates[0].effective_until:%-d %b %Y}; the new one from "
                    f"{change.templates[1].effective_from:%-d %b %Y}."
                )
            else:
                message = "Saved."
            return _done(
                request,
                change,
                message=message,
                back_url=_week_url(location.pk, provider.pk),
                back_label="Back to the weekly pattern",
            )
    return _template_form_page(
        request,
        form,
        title=f"Edit window for {provider.display_name} at {location.name}",
        location=location,
        provider=provider,
        template=template,
        applied=applied,
    )


@requires(CONFIGURE)
@require_http_methods(["GET", "POST"])
def template_end(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    template = _template(request, pk)
    location, provider = template.location, template.provider
    today = local_today(location)
    form = TemplateEndForm(
        _posted(request), initial={"last_day": template.effective_until or today}
    )
    if request.method == "POST" and form.is_valid():
        try:
            change = services.template_end(
                actor=user, template=template, last_day=form.cleaned_data["last_day"]
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            return _done(
                request,
                change,
                message=f"The window now ends on {form.cleaned_data['last_day']:%-d %b %Y}.",
                back_url=_week_url(location.pk, provider.pk),
                back_label="Back to the weekly pattern",
            )
    return render(
        request,
        "scheduling/setup/template_end.html",
        {
            "form": form,
            "template": template,
            "back_url": _week_url(location.pk, provider.pk),
        },
        status=_form_status(form),
    )


@requires(CONFIGURE)
@require_http_methods(["GET", "POST"])
def template_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    template = _template(request, pk)
    location, provider = template.location, template.provider
    applied = services.template_has_applied(template, location)
    error = ""
    if request.method == "POST":
        try:
            change = services.template_delete(actor=user, template=template)
        except DomainError as exc:
            error = exc.message
        else:
            return _done(
                request,
                change,
                message="The window was deleted.",
                back_url=_week_url(location.pk, provider.pk),
                back_label="Back to the weekly pattern",
            )
    return render(
        request,
        "scheduling/setup/template_delete.html",
        {
            "template": template,
            "applied": applied,
            "error": error,
            "back_url": _week_url(location.pk, provider.pk),
        },
        status=400 if error else 200,
    )


@requires(CONFIGURE)
@require_GET
def impact_check(request: HttpRequest) -> HttpResponse:
    """Appointments of a provider at a location that the current availability does not allow."""
    user = _user(request)
    location, _providers, provider = _pick(request, request.GET, fallback=False)
    if provider is None:
        raise Http404
    first = max(_date(request.GET.get("from")) or dt.date.min, local_today(location))
    last = _date(request.GET.get("to"))
    span = services.impact_range(provider.pk, location, first, last)
    stranded = (
        template_change_impact(
            provider_id=provider.pk,
            location_id=location.pk,
            date_from=span.first,
            date_to=span.last,
        )
        if span is not None
        else []
    )
    rows = selectors.stranded_rows(user=user, stranded=stranded, view="schedule_setup_check")
    context = {"rows": rows, "ranges": [span] if span else [], "checked": True}
    template = (
        "scheduling/setup/_impact.html" if _is_htmx(request) else "scheduling/setup/impact.html"
    )
    context.update(location=location, provider=provider)
    return render(request, template, context)


# --- time off ------------------------------------------------------------------------------------


@requires(CONFIGURE)
@require_GET
def exception_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    locations = selectors.setup_locations(user=user)
    location_id = _int(request.GET.get("location"))
    location = locations.filter(pk=location_id).first() if location_id is not None else None
    return render(
        request,
        "scheduling/setup/exception_list.html",
        {
            "exceptions": selectors.exception_list(user=user, location=location),
            "locations": locations,
            "location": location,
            "now": dt.datetime.now(dt.UTC),
        },
    )


@requires(CONFIGURE)
@require_http_methods(["GET", "POST"])
def exception_create(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    locations = selectors.setup_locations(user=user)
    initial: dict[str, Any] = {}
    location_id = _int(request.GET.get("location"))
    provider_id = _int(request.GET.get("provider"))
    if location_id is not None:
        initial["location"] = location_id
    if provider_id is not None:
        initial["provider"] = provider_id
    form = ExceptionForm(
        _posted(request),
        initial=initial,
        locations=locations,
        providers=selectors.setup_providers(user=user),
    )
    if request.method == "POST" and form.is_valid():
        try:
            change = services.exception_create(actor=user, **form.service_args())
        except DomainError as exc:
            apply_exception_error(form, exc)
        else:
            return _done(
                request,
                change,
                message="Time off saved. Booked appointments were not moved.",
                back_url=reverse("scheduling:setup_exceptions"),
                back_label="Back to time off",
            )
    return render(
        request,
        "scheduling/setup/exception_form.html",
        {"form": form, "title": "New time off or closure"},
        status=_form_status(form),
    )


@requires(CONFIGURE)
@require_http_methods(["GET", "POST"])
def exception_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove time off that has not started, or end time off under way now."""
    user = _user(request)
    exception = _or_404(lambda: selectors.exception_get(user=user, exception_id=pk))
    now = dt.datetime.now(dt.UTC)
    started = exception.starts_at <= now
    error = ""
    if request.method == "POST":
        try:
            if started:
                change = services.exception_end_now(actor=user, exception=exception)
            else:
                change = services.exception_delete(actor=user, exception=exception)
        except DomainError as exc:
            error = exc.message
        else:
            return _done(
                request,
                change,
                message="Time off ended now." if started else "Time off removed.",
                back_url=reverse("scheduling:setup_exceptions"),
                back_label="Back to time off",
            )
    return render(
        request,
        "scheduling/setup/exception_remove.html",
        {"exception": exception, "started": started, "error": error},
        status=400 if error else 200,
    )

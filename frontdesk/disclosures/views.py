"""The accounting of disclosures of one patient (the privacy officer's screen; an audited read)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from frontdesk.accounts.decorators import requires
from frontdesk.accounts.policy import A
from frontdesk.core.errors import NotFound
from frontdesk.disclosures import selectors
from frontdesk.disclosures.forms import DisclosureFilterForm


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


@requires(A.AUDIT_VIEW)
@require_GET
def patient_disclosures(request: HttpRequest, patient_id: int) -> HttpResponse:
    user: Any = request.user
    try:
        patient = selectors.disclosure_patient_get(user=user, patient_id=patient_id)
    except NotFound:
        raise Http404 from None
    form = DisclosureFilterForm(request.GET or None)
    since = until = None
    if form.is_valid():
        if form.cleaned_data.get("since"):
            since = _start_of(form.cleaned_data["since"])
        if form.cleaned_data.get("until"):
            until = _start_of(form.cleaned_data["until"] + dt.timedelta(days=1))
    disclosures = list(
        selectors.disclosures_for_patient(user=user, patient=patient, since=since, until=until)[
            :1000
        ]
    )
    return render(
        request,
        "disclosures/patient_disclosures.html",
        {"patient": patient, "form": form, "disclosures": disclosures},
    )

"""The operations dashboard (read-only): downtime packet, the clock's tasks, the queue, checks.

For IT administrators and practice managers (``ops.view``); it shows operational metadata only,
never patient data, so it needs no audit row per view.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from frontdesk.accounts.decorators import requires
from frontdesk.accounts.policy import A
from frontdesk.ops.selectors import ops_dashboard


@requires(A.OPS_VIEW)
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    return render(
        request,
        "ops/dashboard.html",
        {
            "dashboard": ops_dashboard(user=user),
            # The staleness page is practice.view (admins have it); downloading is the desk's.
            "can_open_downtime": user.can(A.PRACTICE_VIEW),
        },
    )

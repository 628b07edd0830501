"""The staff home page and the health check."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from frontdesk.accounts.decorators import authenticated, public
from frontdesk.accounts.policy import A
from frontdesk.ops.selectors import ops_dashboard


@authenticated
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The sections of the user's role; for operations staff also the operations summary tiles."""
    user: Any = request.user
    context: dict[str, Any] = {}
    if user.can(A.OPS_VIEW):
        context["ops_tiles"] = ops_dashboard(user=user).tiles
    return render(request, "web/home.html", context)


@public
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})

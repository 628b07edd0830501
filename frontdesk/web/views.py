"""The staff home page and the health check."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from frontdesk.accounts.decorators import authenticated, public


@authenticated
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html")


@public
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})

"""Output encoding, CSP and caching, walked over the URL list (security.md promises 6 and 12).

A hostile patient (markup, script, spreadsheet formulas and CR/LF in every free-text field) and a
hostile staff member are shown by every staff page the URL list holds, each fetched by a role that may
see it: no page carries a raw payload, the patient's page shows it escaped, and the audit CSV export
(which names the hostile staff member) has no cell a spreadsheet would evaluate. Every response
forbids caching and every HTML page carries a CSP that allows no inline script. A new URL joins the
walk automatically (tests/test_policy_matrix.py fails a URL without a sample).
"""

from __future__ import annotations

import csv
import io
from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from frontdesk.accounts.choices import Role
from frontdesk.patients.models import PatientPhone
from tests.factories import (
    CoverageFactory,
    LocationFactory,
    PatientFactory,
    PayerFactory,
    PlanFactory,
    ProviderFactory,
    UserFactory,
    assign,
)
from tests.test_policy_matrix import PROTECTED, ROUTES, Route, _path, _permitted_role

pytestmark = pytest.mark.django_db

IMG = "<img src=x onerror=alert(1)>"
SCRIPT = '"><script>alert(1)</script>'
FORMULA = '=HYPERLINK("http://x")'  # short enough for every column it is put in
# The raw forms that must never reach a page: an element the browser would build.
RAW_MARKUP = ("<img src=x", "<script>alert(1)")


def _hostile_patient() -> Any:
    patient = PatientFactory(
        first_name="Zzhostile",
        last_name="Zzexample",
        middle_name=IMG,
        preferred_name=SCRIPT,
        pronouns=FORMULA,
        previous_last_name="Line\r\nBreak",
        address_line1=IMG,
        address_line2=SCRIPT,
        city=FORMULA,
        employer_name=IMG,
        emergency_contact_name=SCRIPT,
        emergency_contact_relationship=IMG,
        guarantor_name=FORMULA,
        guarantor_address=SCRIPT,
    )
    PatientPhone.objects.create(
        patient=patient, number="+12025550142", digits="2025550142", digits_reversed="2410555202"
    )
    return patient


def _world() -> dict[str, Any]:
    payer = PayerFactory(name=f"Payer {IMG}")
    patient = _hostile_patient()
    return {
        "location": LocationFactory(name=f"Clinic {SCRIPT}"),
        "patient": patient,
        "other_patient": PatientFactory(first_name=IMG),
        "coverage": CoverageFactory(
            patient=patient, payer=payer, member_id=IMG, group_number=FORMULA
        ),
        "payer": payer,
        "plan": PlanFactory(payer=payer, name=SCRIPT),
        "provider": ProviderFactory(last_name=IMG),
    }


def _hostile_client(role: str, location: Any) -> Client:
    user = UserFactory(role=role, first_name=FORMULA, last_name=IMG)
    assign(user, location)
    client = Client()
    client.force_login(user)
    return client


def _body(response: Any) -> str:
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    return raw.decode(errors="replace")


def _is_html(response: Any) -> bool:
    return response.get("Content-Type", "").startswith("text/html")


def _script_src(response: Any) -> str:
    policy = response.get("Content-Security-Policy", "")
    directives = {
        part.strip().split(" ", 1)[0]: part.strip() for part in policy.split(";") if part.strip()
    }
    return directives.get("script-src", directives.get("default-src", ""))


class _InlineCode(HTMLParser):
    """Collects what a CSP without 'unsafe-inline' would block: inline scripts, handlers, styles."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name.lower() for name, _value in attrs}
        # A JSON data block (the API docs page's settings) is not executed, so CSP allows it.
        is_data = dict(attrs).get("type") == "application/json"
        if tag == "script" and "src" not in names and not is_data:
            self.found.append("<script> without src")
        if tag == "style":
            self.found.append("<style>")
        self.found += [f"<{tag} {name}=...>" for name in names if name.startswith("on")]
        self.found += [f"<{tag} style=...>" for name in names if name == "style"]


def _inline_code(body: str) -> list[str]:
    parser = _InlineCode()
    parser.feed(body)
    return parser.found


@pytest.mark.parametrize("route", PROTECTED, ids=lambda r: r.name)
def test_every_page_renders_the_hostile_patient_inert(route: Route) -> None:
    world = _world()
    client = _hostile_client(_permitted_role(route), world["location"])

    response = client.get(_path(route, world))

    body = _body(response)
    if _is_html(response):
        for raw in RAW_MARKUP:
            assert raw not in body, (route.name, raw)
        # The page itself carries no script or style CSP would block (so none is needed).
        assert _inline_code(body) == [], route.name
    for header, value in response.items():
        assert "\r" not in value and "\n" not in value, (route.name, header)


def test_the_patient_page_shows_the_hostile_text_escaped() -> None:
    world = _world()
    client = _hostile_client(Role.FRONT_DESK, world["location"])

    page = client.get(reverse("patients:detail", args=[world["patient"].pk])).content.decode()
    edit = client.get(reverse("patients:edit", args=[world["patient"].pk])).content.decode()
    results = client.post(
        reverse("patients:search_results"), {"q": world["patient"].mrn}
    ).content.decode()

    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in edit
    assert "Zzhostile" in results
    for body in (page, edit, results):
        assert not any(raw in body for raw in RAW_MARKUP)


def test_the_audit_export_has_no_cell_a_spreadsheet_would_evaluate() -> None:
    world = _world()
    viewer = _hostile_client(Role.FRONT_DESK, world["location"])
    viewer.get(reverse("patients:detail", args=[world["patient"].pk]))
    auditor = _hostile_client(Role.PRIVACY_OFFICER, world["location"])

    response = auditor.get(reverse("audit:export"))

    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(text)))
    cells = [cell for row in rows[1:] for cell in row]
    # The hostile staff member's name ("=HYPERLINK(...) <img ...>"), neutralised.
    assert f"'{FORMULA} {IMG}" in cells
    assert [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")] == []


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name)
def test_every_response_forbids_caching_and_html_carries_a_strict_csp(route: Route) -> None:
    world = _world()
    client = (
        Client()
        if getattr(route.view, "is_public", False)
        else _hostile_client(_permitted_role(route), world["location"])
    )

    response = client.get(_path(route, world))

    assert response["Cache-Control"] == "no-store", route.name
    if _is_html(response):
        script_src = _script_src(response)
        assert script_src.startswith("script-src") or script_src.startswith("default-src")
        assert "'unsafe-inline'" not in script_src, route.name
        assert "'unsafe-eval'" not in script_src, route.name


def test_api_responses_forbid_caching() -> None:
    from frontdesk.api.tests.support import key_client_for

    world = _world()
    caller = key_client_for(Role.PRACTICE_MANAGER, world["location"])
    for path in (
        "/api/v1/patients?q=zzhostile",
        f"/api/v1/patients/{world['patient'].pk}",
        f"/api/v1/patients/{world['patient'].pk}/coverages",
        f"/api/v1/coverages/{world['coverage'].pk}",
        "/api/v1/locations",
        "/api/v1/payers",
    ):
        response = caller.get(path)
        assert response.status_code == 200, path
        assert response["Cache-Control"] == "no-store", path


def test_the_api_docs_page_carries_a_strict_csp_and_no_inline_code() -> None:
    client = _hostile_client(Role.ADMIN, LocationFactory())

    response = client.get("/api/v1/docs")

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert "'unsafe-inline'" not in _script_src(response)
    assert _inline_code(response.content.decode()) == []

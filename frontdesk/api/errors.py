"""Every error the API answers, mapped in one place to one JSON shape.

    {"code": "<machine code>", "message": "<safe to show a person>", "fields": {"<field>": ["..."]}}

Domain errors keep their ``code`` and ``http_status``; request validation is a 422 naming each bad field;
authentication 401; a missing or out-of-scope object 404. Messages never echo the input (it may be PHI).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

from frontdesk.api.schemas import ID_PATTERN
from frontdesk.core.errors import DomainError

logger = logging.getLogger("frontdesk.request")


class ErrorOut(Schema):
    """The body of every 4xx answer."""

    code: str
    message: str
    fields: dict[str, list[str]]


class DuplicateCandidateOut(Schema):
    """An existing patient that may be the one being registered (fetch it by id to look closer)."""

    id: str
    score: int
    reasons: list[str]


class PossibleDuplicatesOut(ErrorOut):
    """409 ``possible_duplicates``: registration stopped; resend with ``duplicate_override_reason``."""

    candidates: list[DuplicateCandidateOut]


class PatientMergedOut(ErrorOut):
    """410 ``patient_merged``: the record was merged; ``survivor_id`` is the record to use."""

    survivor_id: str


# What the OpenAPI document lists for every operation besides its success answer.
COMMON_ERRORS: dict[int, type[Schema]] = {
    401: ErrorOut,
    403: ErrorOut,
    422: ErrorOut,
}
READ_ERRORS: dict[int, type[Schema]] = {**COMMON_ERRORS, 404: ErrorOut}
WRITE_ERRORS: dict[int, type[Schema]] = {**READ_ERRORS, 400: ErrorOut, 409: ErrorOut}


def error_body(
    code: str, message: str, fields: dict[str, list[str]] | None = None
) -> dict[str, Any]:
    return {"code": code, "message": message, "fields": dict(fields or {})}


def _field_name(loc: Sequence[Any]) -> str:
    """``("body", "payload", "phones", 0, "number")`` -> ``"phones.0.number"``; ``("query", "q")`` -> ``"q"``."""
    parts = [str(part) for part in loc]
    if parts and parts[0] == "body":
        parts = parts[2:]  # the source and the endpoint's parameter name say nothing to a client
    elif parts and parts[0] in {"query", "path", "header", "cookie", "form"}:
        parts = parts[1:]
    return ".".join(parts) or "body"


def _validation_message(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    if kind == "missing":
        return "This field is required."
    if kind == "extra_forbidden":
        return "This field is not allowed here."
    if kind == "string_pattern_mismatch" and error.get("ctx", {}).get("pattern") == ID_PATTERN:
        return 'Must be an id: a whole number written as a string, e.g. "42".'
    message = str(error.get("msg") or "This value is not valid.")
    # pydantic prefixes messages of custom validators; the rest of the text is ours.
    message = message.removeprefix("Value error, ")
    return message if message.endswith(".") else message + "."


def _duplicate_candidates(exc: Any) -> list[dict[str, Any]]:
    return [
        {
            "id": str(candidate.patient.pk),
            "score": int(candidate.score),
            "reasons": [str(reason) for reason in candidate.reasons],
        }
        for candidate in getattr(exc, "candidates", ())
    ]


def install(api: NinjaAPI) -> None:
    """Register the error handlers on ``api``."""

    def domain_error(request: HttpRequest, exc: Any) -> HttpResponse:
        body = error_body(exc.code, exc.message, exc.fields)
        if exc.code == "possible_duplicates":
            body["candidates"] = _duplicate_candidates(exc)
        survivor_id = getattr(exc, "survivor_id", None)
        if survivor_id is not None:
            body["survivor_id"] = str(survivor_id)
        return api.create_response(request, body, status=exc.http_status)

    def validation_error(request: HttpRequest, exc: Any) -> HttpResponse:
        fields: dict[str, list[str]] = {}
        for error in exc.errors:
            messages = fields.setdefault(_field_name(error.get("loc", ())), [])
            message = _validation_message(error)
            if message not in messages:
                messages.append(message)
        body = error_body(
            "invalid", "The request is not valid; see the messages per field.", fields
        )
        return api.create_response(request, body, status=422)

    def authentication_error(request: HttpRequest, exc: Any) -> HttpResponse:
        message = exc.message if exc.message != "Unauthorized" else "Authentication required."
        response = api.create_response(request, error_body("unauthenticated", message), status=401)
        response["WWW-Authenticate"] = 'Bearer realm="FrontDesk API"'
        return response

    def http_error(request: HttpRequest, exc: Any) -> HttpResponse:
        codes = {400: "bad_request", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}
        code = codes.get(exc.status_code, "error")
        return api.create_response(request, error_body(code, str(exc)), status=exc.status_code)

    def not_found(request: HttpRequest, exc: Any) -> HttpResponse:
        return api.create_response(request, error_body("not_found", "Not found."), status=404)

    def server_error(request: HttpRequest, exc: Any) -> HttpResponse:
        # A bug, not bad input. Answer JSON like every other error; log the type only, never the
        # message (it may carry PHI) -- the same line RequestContextMiddleware writes for views.
        logger.error(
            "unhandled_exception request_id=%s view=%s type=%s",
            getattr(request, "request_id", "-"),
            getattr(getattr(request, "resolver_match", None), "view_name", "-"),
            type(exc).__name__,
        )
        body = error_body(
            "server_error",
            "Something went wrong on our side; quote the X-Request-ID header when reporting it.",
        )
        return api.create_response(request, body, status=500)

    api.add_exception_handler(Exception, server_error)
    api.add_exception_handler(DomainError, domain_error)
    api.add_exception_handler(ValidationError, validation_error)
    api.add_exception_handler(AuthenticationError, authentication_error)
    api.add_exception_handler(HttpError, http_error)
    api.add_exception_handler(Http404, not_found)

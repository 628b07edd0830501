"""The OpenAPI document at /api/v1/openapi.json describes every operation and how to authenticate."""

from __future__ import annotations

import pytest

from frontdesk.api.root import operations

pytestmark = pytest.mark.django_db


@pytest.fixture
def document(client) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    return response.json()


def test_the_document_is_served_where_the_issue_says(document) -> None:
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "FrontDesk API"
    assert document["info"]["version"] == "1.0.0"


def test_every_operation_is_documented(document) -> None:
    documented = {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in {"get", "post", "patch", "put", "delete"}
    }
    assert documented == {(op.method, op.path) for op in operations()}


def test_the_bearer_scheme_is_documented_and_required_everywhere(document) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes["ApiKeyAuth"]["type"] == "http"
    assert schemes["ApiKeyAuth"]["scheme"] == "bearer"
    assert schemes["StaffSessionAuth"] == {
        "type": "apiKey",
        "in": "cookie",
        "name": "sessionid",
        "description": schemes["StaffSessionAuth"]["description"],
    }
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if path == "/api/v1/notifications/sms-inbound":
                continue  # public, signature-authenticated (test_the_sms_webhook_documents_its_signature)
            assert {"ApiKeyAuth": []} in operation["security"], (method, path)
            assert {"401", "403", "422"} <= set(operation["responses"]), (method, path)
            assert operation["operationId"], (method, path)


def test_the_sms_webhook_documents_its_signature(document) -> None:
    operation = document["paths"]["/api/v1/notifications/sms-inbound"]["post"]
    assert "security" not in operation
    assert {"200", "400", "401"} <= set(operation["responses"])
    assert [p["name"] for p in operation["parameters"]] == ["X-FrontDesk-Signature"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["from", "body"]


def test_error_and_id_shapes_are_documented(document) -> None:
    schemas = document["components"]["schemas"]
    assert schemas["ErrorOut"]["required"] == ["code", "message", "fields"]
    assert schemas["PatientOut"]["properties"]["id"]["type"] == "string"
    create = document["paths"]["/api/v1/patients"]["post"]
    conflict = create["responses"]["409"]["content"]["application/json"]["schema"]
    assert conflict == {"$ref": "#/components/schemas/PossibleDuplicatesOut"}
    body = create["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/PatientCreateIn"}
    assert schemas["PatientCreateIn"]["additionalProperties"] is False
    assert set(schemas["PatientCreateIn"]["required"]) == {
        "first_name",
        "last_name",
        "date_of_birth",
    }


def test_the_docs_page_uses_local_assets_only(client) -> None:
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()

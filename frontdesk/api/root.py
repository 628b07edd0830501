"""The JSON API (django-ninja). Each domain app contributes a router from its ``api.py``."""

from __future__ import annotations

from ninja import NinjaAPI

api = NinjaAPI(
    title="FrontDesk API",
    version="1.0.0",
    urls_namespace="api",
    description="FrontDesk's JSON API. Authenticate with `Authorization: Bearer <API key>`.",
    docs_url="/docs",
)

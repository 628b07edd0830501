"""The arrows of docs/architecture.md, checked on the source: an app imports only apps below it.

Every ``import frontdesk.<app>`` / ``from frontdesk.<app> ...`` outside tests and migrations is read
with ``ast`` (imports inside functions too). An import of an app of the same or a higher layer fails
unless it is one of the known crossings listed here, each named in docs/architecture.md.
"""

from __future__ import annotations

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent / "frontdesk"

# Lowest first; apps in one tuple are side by side and may not import each other.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("core", "standards"),
    ("audit",),
    ("accounts",),
    ("practice",),
    ("patients",),
    ("scheduling",),
    ("waitlist", "notifications"),
    ("coding", "disclosures"),
    ("clearinghouse",),  # records the disclosures its exchanges make
    ("eligibility",),
    ("ledger",),
    ("chartprep", "printing", "visits"),
    ("documents",),  # files scanned forms by printing's codes; routes to chartprep's worklists
    ("payments",),
    ("statements",),
    ("billing",),
    ("remittance",),
    ("kiosk",),
    ("web", "api", "fhir", "demo", "ops"),
)
RANK = {app: rank for rank, apps in enumerate(LAYERS) for app in apps}

# The API app's infrastructure (authentication, error mapping, shared schemas) is imported by every
# app's own ``api.py``; the API root imports the apps' routers, not the other way round.
API_INFRASTRUCTURE = {"frontdesk.api.auth", "frontdesk.api.errors", "frontdesk.api.schemas"}

# (importing app, imported app): why it is allowed — see "Known crossings" in docs/architecture.md.
KNOWN_CROSSINGS: dict[tuple[str, str], str] = {
    ("accounts", "practice"): "staff location assignment (to move into practice)",
    ("audit", "accounts"): "the audit screens use the accounts decorators (interface module)",
    ("chartprep", "statements"): "the no-show fee hook, guarded by apps.is_installed",
    ("notifications", "waitlist"): "SMS reply actions feed the waitlist, guarded",
    ("waitlist", "notifications"): "the offers screen lists the messages sent, guarded",
    ("scheduling", "waitlist"): "cancel interfaces offer the freed slot (interface orchestration)",
    ("visits", "chartprep"): "the check-in panel shows readiness (same layer, read only)",
    ("ops", "demo"): "serve --demo loads the demo practice",
    ("web", "ops"): "the home page's operations tiles",
}


def _imports(path: pathlib.Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def _source_files() -> list[pathlib.Path]:
    files = []
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if len(parts) < 2 or "tests" in parts or "migrations" in parts:
            continue
        files.append(path)
    return files


def test_every_app_has_a_layer() -> None:
    apps = {p.name for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert sorted(apps - set(RANK)) == []


def test_imports_point_down() -> None:
    problems: list[str] = []
    for path in _source_files():
        app = path.relative_to(ROOT).parts[0]
        for module in sorted(_imports(path)):
            parts = module.split(".")
            if parts[0] != "frontdesk" or len(parts) < 2 or parts[1] == app:
                continue
            other = parts[1]
            if other not in RANK:
                continue
            if module in API_INFRASTRUCTURE or ".".join(parts[:3]) in API_INFRASTRUCTURE:
                continue
            if RANK[other] < RANK[app] or (app, other) in KNOWN_CROSSINGS:
                continue
            problems.append(f"{path.relative_to(ROOT.parent)} imports {module}")
    assert problems == []


@pytest.mark.parametrize("package", ["standards"])
def test_standards_import_no_django_and_no_app(package: str) -> None:
    offenders = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for module in _imports(path):
            top = module.split(".")[0]
            if top == "django" or (
                top == "frontdesk" and not module.startswith("frontdesk.standards")
            ):
                offenders.append(f"{path.relative_to(ROOT.parent)}: {module}")
    assert offenders == []

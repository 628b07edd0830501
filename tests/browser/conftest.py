"""Browser tests: Playwright (the Python package) driving Debian's Chromium against a live server.

Playwright's own browser download cannot work offline, so the test command installs the `chromium`
package and passes its path in FRONTDESK_CHROMIUM. Without it these tests are skipped with a reason.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.signals import request_finished, request_started

CHROMIUM = os.environ.get("FRONTDESK_CHROMIUM") or shutil.which("chromium") or ""

# Playwright's sync API runs an event loop in this thread; the ORM calls tests make between browser
# steps are ordinary synchronous code, so Django's async-safety guard does not apply.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


# Requests the live server is handling right now. On SQLite the live server's threads and the test
# share one in-memory database: flushing it at the end of a test while a page's background poll is
# still being answered fails ("couldn't be flushed") and leaves rows for the next test. The page
# fixture closes the browser and then waits here until the server is idle.
_idle = threading.Condition()
_in_flight = 0


def _live_server_thread() -> bool:
    # The test client (and everything else in the test) runs in the main thread; only the live
    # server's request threads are counted.
    return threading.current_thread() is not threading.main_thread()


def _request_started(**kwargs: Any) -> None:
    global _in_flight
    if not _live_server_thread():
        return
    with _idle:
        _in_flight += 1


def _request_finished(**kwargs: Any) -> None:
    global _in_flight
    if not _live_server_thread():
        return
    with _idle:
        _in_flight = max(0, _in_flight - 1)
        if _in_flight == 0:
            _idle.notify_all()


request_started.connect(_request_started, dispatch_uid="browser-tests-in-flight-started")
request_finished.connect(_request_finished, dispatch_uid="browser-tests-in-flight-finished")


def wait_for_server_idle(timeout: float = 15.0) -> None:
    """Block until the live server answers no request (or ``timeout`` seconds pass)."""
    with _idle:
        _idle.wait_for(lambda: _in_flight == 0, timeout=timeout)


@pytest.fixture(scope="session", autouse=True)
def _one_request_at_a_time_on_sqlite() -> Iterator[None]:
    """On SQLite the live server's request threads share the test's one in-memory connection, and
    two requests at once collide on it ("cannot open savepoint - SQL statements in progress"): a
    page's background poll while the next page loads, pictures fetched side by side. There the live
    server answers one request at a time, as the one connection can (PostgreSQL keeps Django's
    threaded server: each thread has its own connection)."""
    from django.conf import settings
    from django.core.servers.basehttp import WSGIServer
    from django.test.testcases import LiveServerThread

    if "sqlite" not in settings.DATABASES["default"]["ENGINE"]:
        yield
        return

    class SerialWSGIServer(WSGIServer):
        # Requests are answered in the live server's own thread, which already uses the test's
        # connection (LiveServerThread.run installs the override); a non-threaded server also
        # closes each HTTP connection after its response, so the browser queues nothing on one.
        def __init__(self, *args: Any, connections_override: Any = None, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)

    threaded = LiveServerThread.server_class  # type: ignore[attr-defined]
    LiveServerThread.server_class = SerialWSGIServer  # type: ignore[attr-defined]
    yield
    LiveServerThread.server_class = threaded  # type: ignore[attr-defined]


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    if CHROMIUM:
        return
    skip = pytest.mark.skip(
        reason="no Chromium binary (install Debian's chromium or set FRONTDESK_CHROMIUM)"
    )
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Any]:
    global _in_flight
    with _idle:
        _in_flight = 0  # nothing is in flight between tests (the previous one waited)
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()  # no new requests: polls and pending fetches stop with the pages
    for other in list(browser.contexts):  # a second user's or the tablet's context, if left open
        other.close()
    wait_for_server_idle()  # and the ones already sent are answered before the database is flushed
    assert errors == [], f"JavaScript errors on the page: {errors}"

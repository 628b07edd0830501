from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from frontdesk.clearinghouse import handlers


@pytest.fixture
def drop_box(settings: Any, tmp_path: Any) -> Any:
    """The files transport on a fresh folder (outbox/, inbox/, inbox/processed/)."""
    root = tmp_path / "exchange"
    settings.FRONTDESK_CLEARINGHOUSE = f"files:{root}"
    return root


@pytest.fixture
def simulated(settings: Any, tmp_path: Any) -> Any:
    settings.FRONTDESK_CLEARINGHOUSE = "simulated"
    settings.FRONTDESK_SIMULATED_PAYER_DIR = str(tmp_path / "payer")
    settings.FRONTDESK_SIMULATED_PAYER_DELAY = 0
    settings.FRONTDESK_SIMULATED_PAYER_DOWN = ""
    return tmp_path / "payer"


@pytest.fixture(autouse=True)
def _no_handlers() -> Iterator[None]:
    """Each test registers the handlers it needs; the apps' own ones are set aside meanwhile."""
    saved = dict(handlers._HANDLERS)
    handlers._HANDLERS.clear()
    yield
    handlers._HANDLERS.clear()
    handlers._HANDLERS.update(saved)

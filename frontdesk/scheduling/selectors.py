"""Reads of the scheduling app.

``slot_search`` lives in ``slots.py`` (loading) and ``availability.py`` (pure arithmetic); it is
re-exported here so callers import every scheduling read from one place.
"""

from __future__ import annotations

from frontdesk.scheduling.slots import SlotOption, slot_check, slot_search

__all__ = ["SlotOption", "slot_check", "slot_search"]

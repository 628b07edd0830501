"""Counting misses in a time window (wrong codes, unknown tokens, failed look-ups) in the cache.

The window starts at the first miss and is not extended by later ones; the count is per key, so the
caller chooses what is counted (a client address, a device, a keyed digest of a name: never PHI).
"""

from __future__ import annotations

from django.core.cache import cache


def misses(key: str) -> int:
    """How many misses ``key`` has in its current window (0 when none or the window ran out)."""
    return int(cache.get(key, 0))


def miss_record(key: str, window_seconds: int) -> int:
    """Count one miss under ``key``; returns the new count."""
    if cache.add(key, 1, window_seconds):
        return 1
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.add(key, 1, window_seconds)
        return 1

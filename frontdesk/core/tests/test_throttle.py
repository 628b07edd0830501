"""core.throttle: misses counted per key in a window that starts at the first miss."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from frontdesk.core import throttle


@pytest.fixture(autouse=True)
def _empty_cache():  # type: ignore[no-untyped-def]
    cache.clear()
    yield
    cache.clear()


def test_misses_count_up_per_key() -> None:
    assert throttle.misses("zz-a") == 0
    assert [throttle.miss_record("zz-a", 60) for _ in range(3)] == [1, 2, 3]
    assert throttle.miss_record("zz-b", 60) == 1
    assert (throttle.misses("zz-a"), throttle.misses("zz-b")) == (3, 1)


def test_a_window_that_ran_out_starts_again() -> None:
    throttle.miss_record("zz-a", 60)
    cache.delete("zz-a")  # what the cache does when the window runs out
    assert throttle.misses("zz-a") == 0
    assert throttle.miss_record("zz-a", 60) == 1

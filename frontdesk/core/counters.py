"""Allocating numbers from named counters without races."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from frontdesk.core.models import Counter


def counter_next(name: str, *, start: int = 1) -> int:
    """Return the next value of counter ``name`` (``start`` for a new counter), atomically."""
    with transaction.atomic():
        counter = Counter.objects.select_for_update().filter(pk=name).first()
        if counter is None:
            try:
                with transaction.atomic():
                    Counter.objects.create(name=name, value=start)
                return start
            except IntegrityError:  # created concurrently: lock it and continue
                counter = Counter.objects.select_for_update().get(pk=name)
        counter.value += 1
        counter.save(update_fields=["value"])
        return counter.value

"""The day grid's column bodies as one tag per column.

A busy day has hundreds of appointment blocks and empty slots; written as template markup each
costs about twenty variable lookups and filters (and the loop its context pushes), which was most
of the day view's server time. This tag builds the same markup in one pass, escaping every text
value. Times are
the location's wall times, already computed by ``grid.day_grid``.
"""

from __future__ import annotations

from html import escape as _html_escape
from typing import Any

from django import template
from django.utils.http import urlencode
from django.utils.safestring import SafeString

from frontdesk.scheduling.choices import AppointmentStatus, ConfirmationStatus
from frontdesk.scheduling.grid import BY_ROOM, Block, Column

register = template.Library()

STATUS_LABELS = {str(value): str(label) for value, label in AppointmentStatus.choices}
CONFIRMATION_LABELS = {str(value): str(label) for value, label in ConfirmationStatus.choices}


def _escape(value: Any) -> str:
    """HTML-escape text for content and double-quoted attributes (& < > " ')."""
    return _html_escape(str(value), quote=True)


_MOVABLE = ' data-movable="1" aria-keyshortcuts="M" aria-describedby="sched-move-help"'


@register.simple_tag(takes_context=True)
def column_body(context: Any, column: Column) -> SafeString:
    """A column's blocks (time off, appointments) and, for bookers, its empty bookable times."""
    grid = context["grid"]
    movable_statuses = context.get("movable_statuses", ()) if context.get("can_move") else ()
    show_provider = grid.by == BY_ROOM
    appointment_url = _escape(context["appointment_url"])
    parts = []
    for block in column.blocks:
        if block.appointment is None:
            parts.append(
                f'<div class="{_escape(block.css)} r-{block.row} rs-{block.span}"'
                ' aria-hidden="true"></div>'
            )
        else:
            parts.append(
                _appointment(
                    block,
                    appointment_url,
                    block.appointment.status in movable_statuses,
                    show_provider,
                )
            )
    if context.get("can_book") and column.provider is not None:
        book_url = _escape(context["book_url"])
        for block in column.slots:
            parts.append(_slot(block, book_url, grid.location.pk, column.provider))
    return SafeString("\n".join(parts))


def _appointment(block: Block, appointment_url: str, movable: bool, show_provider: bool) -> str:
    """One appointment: time, "Last, F.", MRN, type, status and confirmation badges."""
    a = block.appointment
    assert a is not None
    provider = f" · {_escape(a.provider_short)}" if show_provider else ""
    # Every text value goes through _escape; the rest are integers and our own class names.
    return (
        f'<button type="button" class="{_escape(block.css)} r-{block.row} rs-{block.span}"'
        f' data-appointment="{int(a.pk)}" data-row="{block.row}" data-span="{block.span}"'
        f"{_MOVABLE if movable else ''}\n"
        f' hx-get="{appointment_url}{int(a.pk)}/" hx-target="#sched-panel">'
        f'<span class="sched-time">{a.local_start:%H:%M}</span>\n'
        f'<span class="sched-patient">{_escape(a.patient_short)}</span>'
        f' <span class="sched-mrn">MRN {_escape(a.mrn)}</span>\n'
        f'<span class="sched-type">{_escape(a.type_name)}{provider}</span>\n'
        f'<span class="badge status-{_escape(a.status)}">'
        f"{_escape(STATUS_LABELS.get(a.status, a.status))}</span>\n"
        f'<span class="badge confirm-{_escape(a.confirmation_status)}">'
        f"{_escape(CONFIRMATION_LABELS.get(a.confirmation_status, a.confirmation_status))}</span>"
        "</button>"
    )


def _slot(block: Block, book_url: str, location_id: int, provider: Any) -> str:
    """An empty time of a provider's column: click (or Enter) opens the booking panel."""
    query = urlencode({"location": location_id, "provider": provider.pk, "start": block.iso})
    return (
        f'<button type="button" class="sched-slot r-{block.row} rs-{block.span}"'
        f' data-start="{_escape(block.iso)}"'
        f' aria-label="Book {_escape(provider.last_name)} at {_escape(block.label)}"'
        f' hx-get="{book_url}?{_escape(query)}" hx-target="#sched-panel">'
        f'<span class="sched-slot-label">{_escape(block.label)}</span></button>'
    )

"""The flow board's cards as one tag per column.

A busy board has hundreds of cards; written as template markup each cost about fifteen variable
lookups and filters, which was most of the board's server time. This tag builds the same markup in
one pass, escaping every text value (the patient's and provider's names come from the database).
"""

from __future__ import annotations

from html import escape as _html_escape
from typing import Any

from django import template
from django.utils.safestring import SafeString

from frontdesk.visits.choices import FlowState
from frontdesk.visits.selectors import BoardColumn

register = template.Library()


def _escape(value: Any) -> str:
    """HTML-escape text for content and double-quoted attributes (& < > " ')."""
    return _html_escape(str(value), quote=True)


@register.simple_tag
def column_cards(column: BoardColumn, card_url: list[str]) -> SafeString:
    """The column's cards: buttons that open the patient's panel, with their ticking clocks."""
    prefix, suffix = _escape(card_url[0]), _escape(card_url[1])
    clock_label = "past start" if column.state == FlowState.EXPECTED else "in state"
    ticks = column.state != FlowState.DONE
    parts: list[str] = []
    for c in column.cards:
        css = f"flow-card lvl-{c.level}" if c.level else "flow-card"
        arrived = f' data-arrived="{c.arrived_ts}"' if c.total_wait is not None else ""
        room = f' <span class="fc-room">{_escape(c.room_name)}</span>' if c.room_name else ""
        wait = (
            f" · total <span data-wait>{c.total_wait}</span> min"
            if c.total_wait is not None
            else ""
        )
        if ticks:
            clock = f"<span data-in-state>{c.minutes_in_state}</span> min {clock_label}{wait}"
        else:
            # Done: the clock stops. Say when the visit ended and how long it took, arrival to done.
            cycle = (c.since_ts - c.arrived_ts) // 60 if c.arrived_ts else None
            clock = f"done {c.since_hm}" + (f" · {cycle} min visit" if cycle is not None else "")
        parts.append(
            f'<li><button type="button" class="{css}" data-card data-since="{c.since_ts}"'
            f"{arrived}{' data-ticks' if ticks else ''}"
            f' hx-get="{prefix}/{c.appointment_id}/{suffix}" hx-target="#flow-panel">'
            f'<span class="fc-name">{_escape(c.patient_short)}</span>'
            f' <span class="fc-time">{c.local_hm}</span>'
            f' <span class="fc-prov">{_escape(c.provider_short)}</span>{room}'
            f' <span class="fc-clock">{clock}</span></button></li>'
        )
    return SafeString("".join(parts))


@register.simple_tag
def today_rows(
    cards: list[Any],
    check_in_url: list[str],
    card_url: list[str],
    undo_url: list[str] | None = None,
) -> SafeString:
    """Today's check-in list: one row per appointment, a Check in button for the expected ones.

    A patient who checked in at the kiosk also gets "Undo arrival" (a reason is required) when
    ``undo_url`` is given: they tapped in on the wrong appointment and are put back to expected.
    """
    labels = dict(FlowState.choices)
    parts: list[str] = []
    for c in cards:
        # FHIR "arrived" without a desk check-in: the patient checked in at the kiosk; the desk still
        # walks the insurance checklist.
        self_checked_in = c.status == "arrived"
        if c.state == FlowState.EXPECTED or self_checked_in:
            action = (
                f'<button type="button" class="primary" hx-get="{_escape(check_in_url[0])}/'
                f'{c.appointment_id}/{_escape(check_in_url[1])}" hx-target="#flow-panel">'
                "Check in</button>"
            )
            if self_checked_in and undo_url is not None:
                reason_id = f"undo-arrival-{c.appointment_id}"
                action += (
                    '<details class="flow-undo-arrival"><summary>Undo arrival</summary>'
                    f'<form hx-post="{_escape(undo_url[0])}/{c.appointment_id}/'
                    f'{_escape(undo_url[1])}" hx-target="#flow-panel">'
                    f'<label for="{reason_id}">Reason</label>'
                    f'<input id="{reason_id}" name="reason" maxlength="200" required>'
                    '<button type="submit">Undo arrival</button></form></details>'
                )
        else:
            action = (
                f'<button type="button" hx-get="{_escape(card_url[0])}/{c.appointment_id}/'
                f'{_escape(card_url[1])}" hx-target="#flow-panel">Details</button>'
            )
        room = f" · {_escape(c.room_name)}" if c.room_name else ""
        if self_checked_in:
            room += ' <span class="badge">self checked in</span>'
        parts.append(
            f'<tr data-appointment="{c.appointment_id}"><td>{c.local_hm}</td>'
            f"<td>{_escape(c.patient_short)}</td><td>{_escape(c.provider_short)}</td>"
            f"<td>{_escape(c.type_name)}</td>"
            f'<td><span class="badge state-{c.state}">{labels[c.state]}</span>{room}</td>'
            f"<td>{action}</td></tr>"
        )
    return SafeString("".join(parts))

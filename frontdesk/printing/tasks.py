"""Background tasks of printing: rebuild the downtime packet."""

from __future__ import annotations

from django_tasks import task

from frontdesk.printing.downtime import downtime_packet_build


@task()
def downtime_packet() -> int:
    """Write a fresh downtime packet; return the number of appointments in it."""
    return int(downtime_packet_build()["appointment_count"])

"""PostgreSQL only: the database itself refuses overlapping active appointments.

Half-open ranges ([starts_at, ends_at)) so back-to-back appointments are fine. Provider, room and equipment
overlap is refused for non-overbook appointments; patient overlap is refused for every active appointment.
On SQLite the booking service checks inside an IMMEDIATE transaction (writers are serialized).
"""

from django.db import migrations

ACTIVE = "('proposed', 'pending', 'booked', 'arrived', 'checked-in', 'fulfilled')"
TABLE = "scheduling_appointment"

CONSTRAINTS = {
    "appointment_no_provider_overlap": (
        "provider_id WITH =",
        f"status IN {ACTIVE} AND NOT is_overbook",
    ),
    "appointment_no_room_overlap": (
        "room_id WITH =",
        f"status IN {ACTIVE} AND NOT is_overbook AND room_id IS NOT NULL",
    ),
    "appointment_no_equipment_overlap": (
        "equipment_id WITH =",
        f"status IN {ACTIVE} AND NOT is_overbook AND equipment_id IS NOT NULL",
    ),
    "appointment_no_patient_overlap": ("patient_id WITH =", f"status IN {ACTIVE}"),
}


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    for name, (column, where) in CONSTRAINTS.items():
        schema_editor.execute(
            f"ALTER TABLE {TABLE} ADD CONSTRAINT {name} EXCLUDE USING gist "
            f"({column}, tstzrange(starts_at, ends_at, '[)') WITH &&) WHERE ({where})"
        )


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in CONSTRAINTS:
        schema_editor.execute(f"ALTER TABLE {TABLE} DROP CONSTRAINT IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]

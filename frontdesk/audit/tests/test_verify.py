"""The chain verifier names the first edited, deleted, inserted or reordered row by its sequence number.

Tampering is done the way a DBA would: raw SQL on the table, with the append-only trigger disabled on
PostgreSQL (the trigger itself is tested in test_append_only.py).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from frontdesk import cli
from frontdesk.audit import chain
from frontdesk.audit.models import AuditChainHead, AuditEvent
from frontdesk.audit.services import audit_record
from frontdesk.audit.tests.conftest import TABLE, make_staff, tampering
from frontdesk.audit.verify import chain_verify

ROWS = 7


def shift_sequences(cursor: Any, *, from_sequence: int, by: int) -> None:
    """Renumber rows from ``from_sequence`` on by ``by`` (two steps: the unique index is checked per row)."""
    cursor.execute(
        f"UPDATE {TABLE} SET sequence = sequence + 1000000 WHERE sequence >= %s", [from_sequence]
    )
    cursor.execute(
        f"UPDATE {TABLE} SET sequence = sequence - 1000000 + %s WHERE sequence >= 1000000", [by]
    )


@pytest.fixture
def log(db):
    user = make_staff("front_desk")
    for number in range(ROWS):
        audit_record(
            actor=user,
            action="read",
            category="demographics",
            patient_id=1000 + number,
            object_type="patient",
            object_id=1000 + number,
            detail={"view": "patient_page", "n": number},
        )
    return user


def assert_broken(sequence: int, kind: str, *, rows_checked: int | None = None) -> None:
    result = chain_verify(batch_size=3)
    assert (result.ok, result.sequence, result.kind) == (False, sequence, kind), result.summary()
    assert result.rows_checked == (sequence - 1 if rows_checked is None else rows_checked)


@pytest.mark.django_db
def test_empty_log_passes():
    result = chain_verify()
    assert (result.ok, result.rows_checked, result.last_sequence) == (True, 0, 0)
    assert result.summary() == "OK: audit chain intact (empty log, 0 rows checked)."


@pytest.mark.parametrize("batch_size", [1, 3, 7, 1000])
def test_intact_chain_passes_in_any_batch_size(log, batch_size):
    result = chain_verify(batch_size=batch_size)
    assert (result.ok, result.rows_checked, result.last_sequence) == (True, 7, 7)
    assert result.sequence is None and result.kind is None


def test_intact_chain_with_ipv6_source_and_unicode_detail_passes(log, settings):
    from frontdesk.core import context

    token = context.bind(context.RequestContext(request_id="r1", source_ip="2001:0DB8:0:0::0001"))
    try:
        audit_record(
            actor=log, action="export", category="audit", detail={"note": "naïve ✓", "k": [1, 2]}
        )
        audit_record(actor=log, action="read", category="audit", detail={"ip": "::ffff:10.0.0.1"})
    finally:
        context.unbind(token)
    result = chain_verify()
    assert (result.ok, result.rows_checked) == (True, 9), result.summary()


def test_edited_content_is_caught_at_its_sequence(log):
    with tampering() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET patient_id = 9999 WHERE sequence = 4")
    assert_broken(4, "edited")


def test_edited_row_hash_is_caught_at_its_sequence(log):
    with tampering() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET row_hash = %s WHERE sequence = 5", ["f" * 64])
    assert_broken(5, "edited")


def test_edited_detail_is_caught(log):
    with tampering() as cursor:
        cursor.execute(
            f"UPDATE {TABLE} SET actor_name = 'Someone Else' WHERE sequence = 2",
        )
    assert_broken(2, "edited")


def test_edited_last_row_is_caught(log):
    with tampering() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET outcome = 'failure' WHERE sequence = 7")
    assert_broken(7, "edited")


def test_deleted_row_is_caught_at_the_gap(log):
    with tampering() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE sequence = 4")
    assert_broken(4, "deleted")


def test_deleted_first_row_is_caught(log):
    with tampering() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE sequence = 1")
    assert_broken(1, "deleted")


def test_deleted_rows_with_later_rows_renumbered_are_caught(log):
    with tampering() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE sequence IN (4, 5)")
        shift_sequences(cursor, from_sequence=6, by=-2)
        cursor.execute("UPDATE audit_auditchainhead SET last_sequence = 5")
    assert list(AuditEvent.objects.values_list("sequence", flat=True)) == [1, 2, 3, 4, 5]
    result = chain_verify(batch_size=2)
    assert (result.ok, result.sequence, result.kind) == (False, 4, "deleted")
    assert "2 row(s) missing" in result.message


def test_truncated_tail_is_caught_by_the_chain_head(log):
    with tampering() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE sequence >= 6")
    result = chain_verify(batch_size=3)
    assert (result.ok, result.sequence, result.kind, result.rows_checked) == (
        False,
        6,
        "deleted",
        5,
    )
    assert "truncated" in result.message


def test_every_row_deleted_is_caught_by_the_chain_head(log):
    with tampering() as cursor:
        cursor.execute(f"DELETE FROM {TABLE}")
    assert_broken(1, "deleted")


def test_inserted_row_with_later_rows_renumbered_is_caught(log):
    genuine_fourth = AuditEvent.objects.get(sequence=4)
    third = AuditEvent.objects.get(sequence=3)
    with tampering() as cursor:
        shift_sequences(cursor, from_sequence=4, by=1)
    forged = {name: getattr(genuine_fourth, name) for name in chain.HASHED_FIELDS}
    forged.update(sequence=4, patient_id=4242, object_id="4242", prev_hash=third.row_hash)
    AuditEvent.objects.create(row_hash=chain.row_hash(b"a guessed key", forged), **forged)
    assert_broken(4, "inserted")


def test_inserted_row_with_a_made_up_link_is_caught(log):
    genuine_fourth = AuditEvent.objects.get(sequence=4)
    with tampering() as cursor:
        shift_sequences(cursor, from_sequence=4, by=1)
        cursor.execute("UPDATE audit_auditchainhead SET last_sequence = 8")
    forged = {name: getattr(genuine_fourth, name) for name in chain.HASHED_FIELDS}
    forged.update(sequence=4, action="update", prev_hash="a" * 64)
    AuditEvent.objects.create(row_hash="b" * 64, **forged)
    assert_broken(4, "inserted")


def test_row_appended_around_the_service_is_caught(log):
    last = AuditEvent.objects.get(sequence=7)
    forged = {name: getattr(last, name) for name in chain.HASHED_FIELDS}
    forged.update(sequence=8, prev_hash=last.row_hash)
    AuditEvent.objects.create(row_hash=chain.row_hash(b"a guessed key", forged), **forged)
    assert_broken(8, "inserted")


def test_reordered_rows_are_caught_at_the_first_moved_position(log):
    with tampering() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET sequence = 1000 WHERE sequence = 4")
        cursor.execute(f"UPDATE {TABLE} SET sequence = 4 WHERE sequence = 5")
        cursor.execute(f"UPDATE {TABLE} SET sequence = 5 WHERE sequence = 1000")
    assert_broken(4, "reordered")


def test_row_moved_further_down_is_caught_as_reordered(log):
    # Row 2 moved to position 6: rows 3..6 move up by one.
    with tampering() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET sequence = 1000 WHERE sequence = 2")
        for sequence in range(3, 7):
            cursor.execute(
                f"UPDATE {TABLE} SET sequence = %s WHERE sequence = %s", [sequence - 1, sequence]
            )
        cursor.execute(f"UPDATE {TABLE} SET sequence = 6 WHERE sequence = 1000")
    assert_broken(2, "reordered")


def test_chain_head_pointing_at_another_hash_is_caught(log):
    AuditChainHead.objects.filter(pk=1).update(last_hash="c" * 64)
    result = chain_verify()
    assert (result.ok, result.sequence, result.kind, result.rows_checked) == (False, 7, "edited", 7)


def test_missing_chain_head_is_reported(log):
    AuditChainHead.objects.all().delete()
    result = chain_verify()
    assert (result.ok, result.sequence, result.kind, result.rows_checked) == (
        False,
        7,
        "deleted",
        7,
    )
    assert "chain head record is missing" in result.message


def test_duplicate_sequence_is_caught_as_inserted(log):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite cannot drop the unique constraint inside a test")
    constraints = connection.introspection.get_constraints(connection.cursor(), TABLE)
    unique = next(
        name
        for name, info in constraints.items()
        if info["unique"] and info["columns"] == ["sequence"] and not info["primary_key"]
    )
    third = AuditEvent.objects.get(sequence=3)
    with tampering() as cursor:
        cursor.execute(f'ALTER TABLE {TABLE} DROP CONSTRAINT "{unique}"')
    copy = {name: getattr(third, name) for name in chain.HASHED_FIELDS}
    AuditEvent.objects.create(row_hash=third.row_hash, **copy)
    assert_broken(3, "inserted", rows_checked=3)


def test_command_prints_ok_and_exits_zero(log, capsys):
    call_command("audit_verify")
    assert capsys.readouterr().out == "OK: audit chain intact, 7 rows checked (sequence 1-7).\n"


def test_command_names_the_first_bad_sequence_and_exits_one(log):
    with tampering() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET action = 'delete' WHERE sequence = 3")
        cursor.execute(f"DELETE FROM {TABLE} WHERE sequence = 6")
    with pytest.raises(CommandError) as caught:
        call_command("audit_verify", "--batch-size", "2")
    assert caught.value.returncode == 1
    assert str(caught.value).startswith("Audit chain broken at sequence 3: edited (")


# The command line closes the database connection when it finishes, which would end the test's
# transaction: this test commits for real (and the table is truncated afterwards).
@pytest.mark.django_db(transaction=True)
def test_frontdesk_audit_verify_exit_codes(log, capsys):
    cli.main(["audit", "verify"])  # returns normally: exit status 0
    assert capsys.readouterr().out == "OK: audit chain intact, 7 rows checked (sequence 1-7).\n"
    with tampering() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE sequence = 2")
    with pytest.raises(SystemExit) as broken:
        cli.main(["audit", "verify"])
    assert broken.value.code == 1
    assert "Audit chain broken at sequence 2: deleted" in capsys.readouterr().err


def test_verify_reads_in_bounded_batches(log):
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        result = chain_verify(batch_size=3)
    assert (result.ok, result.rows_checked) == (True, 7)
    row_queries = [q["sql"] for q in queries.captured_queries if "audit_auditevent" in q["sql"]]
    # 7 rows in batches of 3: 3 + 3 + 1, then the chain head; no query reads the whole table.
    assert len(row_queries) == 3
    assert all(sql.rstrip().endswith("LIMIT 3") for sql in row_queries)
    assert len(queries.captured_queries) == 4


def _tamper(kind: str, position: int) -> None:
    """Apply one DBA-level tampering at ``position`` in the 7-row log."""
    template = AuditEvent.objects.get(sequence=min(position, ROWS))
    with tampering() as cursor:
        if kind == "edited":
            cursor.execute(f"UPDATE {TABLE} SET object_id = 'x' WHERE sequence = %s", [position])
        elif kind == "deleted":
            cursor.execute(f"DELETE FROM {TABLE} WHERE sequence = %s", [position])
        elif kind == "deleted+renumbered":
            cursor.execute(f"DELETE FROM {TABLE} WHERE sequence = %s", [position])
            shift_sequences(cursor, from_sequence=position + 1, by=-1)
            cursor.execute("UPDATE audit_auditchainhead SET last_sequence = %s", [ROWS - 1])
        elif kind == "inserted":
            shift_sequences(cursor, from_sequence=position, by=1)
        elif kind == "reordered":
            cursor.execute(f"UPDATE {TABLE} SET sequence = 1000 WHERE sequence = %s", [position])
            cursor.execute(
                f"UPDATE {TABLE} SET sequence = %s WHERE sequence = %s", [position, position + 1]
            )
            cursor.execute(
                f"UPDATE {TABLE} SET sequence = %s WHERE sequence = 1000", [position + 1]
            )
    if kind == "inserted":
        prev = AuditEvent.objects.filter(sequence=position - 1).values_list("row_hash", flat=True)
        forged = {name: getattr(template, name) for name in chain.HASHED_FIELDS}
        forged.update(sequence=position, prev_hash=prev.first() or chain.GENESIS_HASH)
        AuditEvent.objects.create(row_hash=chain.row_hash(b"not the key", forged), **forged)


SWEEP = (
    [("edited", p) for p in range(1, ROWS + 1)]
    + [("deleted", p) for p in range(1, ROWS + 1)]
    + [("deleted+renumbered", p) for p in range(1, ROWS)]
    + [("inserted", p) for p in range(1, ROWS + 2)]
    + [("reordered", p) for p in range(1, ROWS)]
)


@pytest.mark.parametrize(("tampering_kind", "position"), SWEEP)
def test_every_tampering_at_every_position_is_named_exactly(log, tampering_kind, position):
    _tamper(tampering_kind, position)
    expected_kind = tampering_kind.split("+")[0]
    for batch_size in (1, 2, 1000):
        result = chain_verify(batch_size=batch_size)
        assert (result.ok, result.sequence, result.kind) == (
            False,
            position,
            expected_kind,
        ), result.summary()

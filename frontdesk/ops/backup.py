"""Consistent backups and verified restores of the database and the stored files.

A backup is a directory (or the same directory packed as ``.tar.gz``)::

    manifest.json        when, which FrontDesk, which database, row counts per table, audit chain head,
                         the exact sum of every money column (ledger sums),
                         SHA-256 of the database copy and of every stored file, key fingerprints
    database.sqlite3     SQLite: a copy made with SQLite's online backup API (consistent while in use)
    database.pgdump      PostgreSQL: ``pg_dump --format=custom`` of the same snapshot the counts came from
    files/...            the stored files (MEDIA_ROOT), same relative paths

Keys are NOT in the backup (a stolen backup must not carry the keys that decrypt it): keep
``FRONTDESK_SECRET_KEY``, ``FRONTDESK_AUDIT_KEY`` and ``FRONTDESK_ENCRYPTION_KEYS`` (or the data
directory's key files) somewhere else. The manifest holds fingerprints so a restore can tell you when
the keys of the target installation differ.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import connections, transaction
from django.db.utils import load_backend
from django.utils import timezone

import frontdesk
from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.ops.integrity import audit_chain_report, chain_head

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
FILES_DIR = "files"
# Tables Django fills by itself on ``migrate``: a database holding only these counts as empty.
BOOKKEEPING_TABLES = frozenset({"django_migrations", "django_content_type", "auth_permission"})
_CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore could not be done or did not verify; the message says what to do."""


@dataclass
class RestoreReport:
    """What a restore found when it checked the restored database and files against the manifest."""

    manifest: dict[str, Any]
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


# --- helpers ---------------------------------------------------------------------------------------
def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _fingerprint(secret: str) -> str:
    return hashlib.sha256(f"frontdesk-key-fingerprint:{secret}".encode()).hexdigest()[:16]


def _key_fingerprints() -> dict[str, Any]:
    return {
        "audit_key": _fingerprint(settings.AUDIT_HMAC_KEY),
        "encryption_keys": [_fingerprint(key) for key in settings.FIELD_ENCRYPTION_KEYS],
    }


def is_archive(path: Path) -> bool:
    return path.name.endswith((".tar.gz", ".tgz"))


@contextlib.contextmanager
def database_alias(database: dict[str, Any]) -> Iterator[str]:
    """Open ``database`` (a complete DATABASES entry) under a temporary alias for the ORM to use.

    The connection lives only in this thread's connection handler and is closed on exit; it is not
    added to the configured aliases, so nothing else (routers, checks) ever sees it.
    """
    alias = f"frontdesk_ops_{uuid.uuid4().hex[:8]}"
    wrapper = load_backend(database["ENGINE"]).DatabaseWrapper(dict(database), alias)
    connections[alias] = wrapper
    try:
        yield alias
    finally:
        wrapper.close()
        del connections[alias]


def _vendor(database: dict[str, Any]) -> str:
    engine = database["ENGINE"]
    if engine.endswith("sqlite3"):
        return "sqlite"
    if "postgresql" in engine:
        return "postgresql"
    raise BackupError(f"Backups support SQLite and PostgreSQL, not {engine}.")


def _table_counts(alias: str) -> dict[str, int]:
    connection = connections[alias]
    with connection.cursor() as cursor:
        tables = sorted(connection.introspection.table_names(cursor))
        counts = {}
        for table in tables:
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608 - introspected names, quoted
            counts[table] = int(cursor.fetchone()[0])
    return counts


def money_columns() -> list[tuple[str, str]]:
    """Every (table, column) that holds money (a ``MoneyField``), found from the installed models."""
    from django.apps import apps

    from frontdesk.core.money import MoneyField

    found = set()
    for model in apps.get_models():
        for model_field in model._meta.concrete_fields:
            if isinstance(model_field, MoneyField):
                found.add((model._meta.db_table, model_field.column))
    return sorted(found)


def _money_sums(execute: Any, tables: dict[str, int]) -> dict[str, str]:
    """``{"table.column": "total"}`` summed in whole cents (exact on SQLite's floats too)."""
    sums = {}
    for table, column in money_columns():
        if table not in tables:
            continue
        row = execute(
            f'SELECT SUM(ROUND("{column}" * 100)) FROM "{table}"'  # noqa: S608 - model metadata
        )
        cents = int(row[0]) if row and row[0] is not None else 0
        sign = "-" if cents < 0 else ""
        sums[f"{table}.{column}"] = f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"
    return sums


def _sqlite_counts(path: Path) -> tuple[dict[str, int], tuple[int, str], dict[str, str]]:
    """Row counts, the audit chain head and the money sums of a SQLite file, read from the file."""
    con = sqlite3.connect(path)
    try:
        names = [
            row[0]
            for row in con.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                "ORDER BY name"
            )
        ]
        counts = {
            name: int(con.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0])  # noqa: S608 - names from sqlite_master
            for name in names
        }
        head = (0, "0" * 64)
        if "audit_auditchainhead" in counts:
            row = con.execute(
                "SELECT last_sequence, last_hash FROM audit_auditchainhead WHERE id = 1"
            ).fetchone()
            if row is not None:
                head = (int(row[0]), str(row[1]))
        money = _money_sums(lambda sql: con.execute(sql).fetchone(), counts)
    finally:
        con.close()
    return counts, head, money


def _non_empty(counts: dict[str, int]) -> list[str]:
    return [name for name, rows in counts.items() if rows and name not in BOOKKEEPING_TABLES]


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(
            f"{name} was not found on PATH. Install the PostgreSQL client tools that match the "
            "server's major version (Debian/Ubuntu: apt-get install postgresql-client)."
        )
    return found


def _pg_connection_args(database: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    args: list[str] = []
    if database.get("HOST"):
        args += ["--host", str(database["HOST"])]
    if database.get("PORT"):
        args += ["--port", str(database["PORT"])]
    if database.get("USER"):
        args += ["--username", str(database["USER"])]
    env = dict(os.environ)
    if database.get("PASSWORD"):
        env["PGPASSWORD"] = str(database["PASSWORD"])
    sslmode = (database.get("OPTIONS") or {}).get("sslmode")
    if sslmode:
        env["PGSSLMODE"] = str(sslmode)
    return args, env


def _run_pg(cmd: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tool = Path(cmd[0]).name
        raise BackupError(
            f"{tool} failed (exit {result.returncode}): {result.stderr.strip()[:2000]}"
        )


def _media_root() -> Path | None:
    """The local directory holding stored files, or None when files live elsewhere (S3)."""
    if isinstance(default_storage, FileSystemStorage):
        return Path(settings.MEDIA_ROOT)
    return None


# --- backup ----------------------------------------------------------------------------------------
def backup_create(*, destination: Path, using: str = "default") -> dict[str, Any]:
    """Write a backup of database ``using`` and the stored files to ``destination``; return the manifest.

    ``destination`` is a new (or empty) directory, or a path ending in ``.tar.gz``.
    """
    destination = Path(destination)
    if is_archive(destination):
        if destination.exists():
            raise BackupError(f"{destination} already exists; choose a new file name.")
        with tempfile.TemporaryDirectory(prefix="frontdesk-backup-") as staging:
            archived = backup_create(destination=Path(staging) / "backup", using=using)
            destination.parent.mkdir(parents=True, exist_ok=True)
            partial = destination.with_name(destination.name + ".partial")
            with tarfile.open(partial, "w:gz") as archive:
                archive.add(Path(staging) / "backup", arcname="frontdesk-backup")
            partial.replace(destination)
        return archived
    if destination.exists() and any(destination.iterdir()):
        raise BackupError(f"{destination} is not empty; back up into a new directory.")
    destination.mkdir(parents=True, exist_ok=True)

    database = connections[using].settings_dict
    vendor = _vendor(database)
    if vendor == "sqlite":
        tables, head, money = _backup_sqlite(using, destination / SQLITE_FILE)
        db_file = SQLITE_FILE
    else:
        tables, head, money = _backup_postgresql(database, destination / PG_FILE)
        db_file = PG_FILE

    files: dict[str, str] = {}
    media_root = _media_root()
    if media_root is not None and media_root.is_dir():
        for source in sorted(path for path in media_root.rglob("*") if path.is_file()):
            relative = source.relative_to(media_root).as_posix()
            target = destination / FILES_DIR / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
            files[relative] = sha256_file(target)

    manifest: dict[str, Any] = {
        "format": FORMAT,
        "created_at": timezone.now().isoformat(),
        "frontdesk_version": frontdesk.__version__,
        "database": {
            "vendor": vendor,
            "file": db_file,
            "sha256": sha256_file(destination / db_file),
        },
        "tables": tables,
        "audit_chain": {"head_sequence": head[0], "head_hash": head[1]},
        "money": money,
        "storage": "local" if media_root is not None else "external",
        "files": files,
        "keys": _key_fingerprints(),
    }
    (destination / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    if using == "default":
        with transaction.atomic():
            audit_record(
                actor=None,
                actor_name="system (backup)",
                action=AuditAction.EXPORT,
                category=AuditCategory.CONFIGURATION,
                object_type="backup",
                detail={
                    "event": "backup_created",
                    "vendor": vendor,
                    "tables": len(tables),
                    "files": len(files),
                    "audit_head_sequence": head[0],
                },
            )
    return manifest


def _backup_sqlite(
    using: str, target: Path
) -> tuple[dict[str, int], tuple[int, str], dict[str, str]]:
    connection = connections[using]
    connection.ensure_connection()
    source = connection.connection
    copy = sqlite3.connect(target)
    try:
        # The online backup API copies a consistent snapshot even while other processes write.
        source.backup(copy)
    finally:
        copy.close()
    return _sqlite_counts(target)


def _backup_postgresql(
    database: dict[str, Any], target: Path
) -> tuple[dict[str, int], tuple[int, str], dict[str, str]]:
    pg_dump = _pg_tool("pg_dump")
    args, env = _pg_connection_args(database)
    with database_alias(database) as alias, transaction.atomic(using=alias):
        # One REPEATABLE READ snapshot for the counts, the chain head and pg_dump itself, so the
        # manifest describes exactly the rows in the dump even while FrontDesk keeps writing.
        with connections[alias].cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
        tables = _table_counts(alias)
        head = chain_head(using=alias)
        money = _pg_money_sums(alias, tables)
        _run_pg(
            [
                pg_dump,
                *args,
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--snapshot={snapshot}",
                f"--file={target}",
                str(database["NAME"]),
            ],
            env,
        )
    return tables, head, money


def _pg_money_sums(alias: str, tables: dict[str, int]) -> dict[str, str]:
    with connections[alias].cursor() as cursor:

        def execute(sql: str) -> Any:
            cursor.execute(sql)
            return cursor.fetchone()

        return _money_sums(execute, tables)


# --- restore ---------------------------------------------------------------------------------------
def _extract(archive: tarfile.TarFile, target: Path) -> None:
    """Unpack a backup archive, refusing links and paths that would land outside ``target``."""
    if hasattr(tarfile, "data_filter"):  # Python 3.11.4+: the standard library's safe filter
        try:
            archive.extractall(target, filter="data")
        except tarfile.FilterError as exc:
            raise BackupError(f"The archive holds an unsafe entry; refusing it ({exc}).") from exc
        return
    root = target.resolve()
    for member in archive.getmembers():
        destination = (target / member.name).resolve()
        if not (member.isfile() or member.isdir()) or not destination.is_relative_to(root):
            raise BackupError(f"The archive holds an unsafe entry ({member.name!r}); refusing it.")
    archive.extractall(target)  # noqa: S202 - every member was checked above


def _read_manifest(source: Path) -> dict[str, Any]:
    path = source / MANIFEST
    if not path.is_file():
        raise BackupError(f"{source} is not a FrontDesk backup: {MANIFEST} is missing.")
    manifest: dict[str, Any] = json.loads(path.read_text())
    if manifest.get("format") != FORMAT:
        raise BackupError(f"Unsupported backup format {manifest.get('format')!r}.")
    return manifest


def _is_safe_relative(name: str) -> bool:
    """A stored file's name as the manifest lists it: relative, and never climbing out with ``..``."""
    path = PurePosixPath(name)
    return bool(name) and not path.is_absolute() and "\\" not in name and ".." not in path.parts


def _check_backup_intact(source: Path, manifest: dict[str, Any]) -> None:
    # The manifest's names become paths under MEDIA_ROOT on restore: a crafted one such as
    # "../secret-key" would otherwise overwrite files outside it.
    unsafe = [name for name in manifest["files"] if not _is_safe_relative(name)]
    if unsafe:
        raise BackupError(f"The backup lists an unsafe file name ({unsafe[0]!r}); refusing it.")
    db = manifest["database"]
    if not _is_safe_relative(db["file"]) or "/" in db["file"]:
        raise BackupError(f"The backup lists an unsafe file name ({db['file']!r}); refusing it.")
    if sha256_file(source / db["file"]) != db["sha256"]:
        raise BackupError("The backup's database file does not match its manifest (damaged copy).")
    for relative, digest in manifest["files"].items():
        path = source / FILES_DIR / relative
        if not path.is_file() or sha256_file(path) != digest:
            raise BackupError(f"The backup's stored file {relative} is missing or damaged.")


def backup_restore(
    *,
    source: Path,
    database: dict[str, Any] | None = None,
    media_root: Path | None = None,
    force: bool = False,
) -> RestoreReport:
    """Restore the backup at ``source`` into ``database`` and ``media_root``, then verify it.

    Defaults are the configured database and MEDIA_ROOT. Refuses to overwrite a database that holds
    data, or stored files that differ, unless ``force``. The report lists every mismatch found.
    """
    source = Path(source)
    if is_archive(source):
        with tempfile.TemporaryDirectory(prefix="frontdesk-restore-") as staging:
            with tarfile.open(source, "r:gz") as archive:
                _extract(archive, Path(staging))
            return backup_restore(
                source=Path(staging) / "frontdesk-backup",
                database=database,
                media_root=media_root,
                force=force,
            )
    manifest = _read_manifest(source)
    _check_backup_intact(source, manifest)
    into_default = database is None
    database = dict(connections["default"].settings_dict if database is None else database)
    if media_root is None:
        media_root = _media_root()
    vendor = _vendor(database)
    if vendor != manifest["database"]["vendor"]:
        raise BackupError(
            f"This backup is of a {manifest['database']['vendor']} database; the configured "
            f"database is {vendor}. Restore into the same kind of database."
        )
    if manifest["files"] and media_root is None:
        raise BackupError("Stored files are configured on external storage; restore them there.")

    _refuse_overwrite(source, manifest, database, media_root, force=force)
    if vendor == "sqlite":
        _restore_sqlite(source / SQLITE_FILE, database, into_default=into_default)
    else:
        _restore_postgresql(source / PG_FILE, database, force=force)
    if media_root is not None:
        for relative in manifest["files"]:
            target = media_root / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / FILES_DIR / relative, target)

    report = backup_verify(manifest=manifest, database=database, media_root=media_root)
    if into_default and report.ok:
        with transaction.atomic():
            audit_record(
                actor=None,
                actor_name="system (restore)",
                action=AuditAction.UPDATE,
                category=AuditCategory.CONFIGURATION,
                object_type="backup",
                detail={
                    "event": "backup_restored",
                    "backup_created_at": manifest["created_at"],
                    "audit_head_sequence": manifest["audit_chain"]["head_sequence"],
                },
            )
    return report


def _refuse_overwrite(
    source: Path,
    manifest: dict[str, Any],
    database: dict[str, Any],
    media_root: Path | None,
    *,
    force: bool,
) -> None:
    if force:
        return
    name = str(database["NAME"])
    counts: dict[str, int] = {}
    if _vendor(database) == "postgresql" or "mode=memory" in name or Path(name).is_file():
        with database_alias(database) as alias:
            counts = _table_counts(alias)
    holding = _non_empty(counts)
    if holding:
        raise BackupError(
            f"The target database already holds data ({len(holding)} tables with rows, e.g. "
            f"{', '.join(holding[:3])}). Use --force to replace it."
        )
    if media_root is not None:
        for relative, digest in manifest["files"].items():
            existing = media_root / relative
            if existing.exists() and sha256_file(existing) != digest:
                raise BackupError(
                    f"Stored file {relative} exists with different content. Use --force to replace it."
                )


def _restore_sqlite(backup_file: Path, database: dict[str, Any], *, into_default: bool) -> None:
    name = str(database["NAME"])
    if name == ":memory:" or "mode=memory" in name:
        raise BackupError("Cannot restore into an in-memory SQLite database.")
    target = Path(name)
    target.parent.mkdir(parents=True, exist_ok=True)
    if into_default:
        connections["default"].close()
    source = sqlite3.connect(backup_file)
    destination = sqlite3.connect(target)
    try:
        # Page-by-page copy through SQLite itself: replaces the content and keeps WAL files coherent.
        source.backup(destination)
    finally:
        destination.close()
        source.close()


def _restore_postgresql(backup_file: Path, database: dict[str, Any], *, force: bool) -> None:
    pg_restore = _pg_tool("pg_restore")
    args, env = _pg_connection_args(database)
    if force:
        # Drop everything, so the result is exactly the backup (no tables left over from a newer
        # schema). ``--clean`` alone would only drop the objects that are in the dump.
        with database_alias(database) as alias, connections[alias].cursor() as cursor:
            cursor.execute("DROP SCHEMA IF EXISTS public CASCADE")
            cursor.execute("CREATE SCHEMA public")
    _run_pg(
        [
            pg_restore,
            *args,
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={database['NAME']}",
            str(backup_file),
        ],
        env,
    )


def backup_verify(
    *, manifest: dict[str, Any], database: dict[str, Any], media_root: Path | None
) -> RestoreReport:
    """Compare a restored database and stored files with the backup's manifest."""
    report = RestoreReport(manifest=manifest)
    expected: dict[str, int] = manifest["tables"]
    with database_alias(database) as alias:
        actual = _table_counts(alias)
        for table in sorted(set(expected) | set(actual)):
            if expected.get(table) != actual.get(table):
                report.problems.append(
                    f"table {table}: {actual.get(table)} rows, the backup had {expected.get(table)}"
                )
        chain = audit_chain_report(using=alias)
        if "money" in manifest:  # backups made before money sums were recorded have none
            if connections[alias].vendor == "postgresql":
                money = _pg_money_sums(alias, actual)
            else:
                with connections[alias].cursor() as cursor:

                    def execute(sql: str) -> Any:
                        cursor.execute(sql)
                        return cursor.fetchone()

                    money = _money_sums(execute, actual)
            for column in sorted(set(manifest["money"]) | set(money)):
                if manifest["money"].get(column) != money.get(column):
                    report.problems.append(
                        f"money column {column} sums to {money.get(column)}, the backup had "
                        f"{manifest['money'].get(column)}"
                    )
    head = manifest["audit_chain"]
    if not chain.intact:
        hint = ""
        if manifest["keys"]["audit_key"] != _key_fingerprints()["audit_key"]:
            hint = (
                " (this installation's audit key differs from the one the backup was made with: "
                "set FRONTDESK_AUDIT_KEY to the original key)"
            )
        report.problems.append(
            f"audit chain does not verify at sequence {chain.first_bad_sequence}: {chain.problem}{hint}"
        )
    if (chain.head_sequence, chain.head_hash) != (head["head_sequence"], head["head_hash"]):
        report.problems.append(
            f"audit chain head is {chain.head_sequence}, the backup had {head['head_sequence']}"
        )
    if media_root is not None:
        for relative, digest in manifest["files"].items():
            path = media_root / relative
            if not path.is_file():
                report.problems.append(f"stored file {relative} is missing")
            elif sha256_file(path) != digest:
                report.problems.append(f"stored file {relative} does not match its SHA-256")
    fingerprints = _key_fingerprints()
    if manifest["keys"]["encryption_keys"] and not set(manifest["keys"]["encryption_keys"]) & set(
        fingerprints["encryption_keys"]
    ):
        report.problems.append(
            "none of the encryption keys the backup was made with is configured here "
            "(FRONTDESK_ENCRYPTION_KEYS): encrypted fields and files would be unreadable"
        )
    return report

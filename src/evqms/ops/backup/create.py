"""Writing a backup: keys first, then a consistent database snapshot, then the kept files, the
manifest last (the order is why the archive is consistent: see evqms.ops.backup)."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
from pathlib import Path, PurePosixPath

from evqms import __version__
from evqms.errors import InputError, RuleViolation
from evqms.i18n import _
from evqms.ops.backup.archive import (
    FORMAT,
    FORMAT_VERSION,
    HOME_PREFIX,
    MANIFEST,
    PATIENT_KEY,
    PGDUMP_MEMBER,
    SQLITE_MEMBER,
    SQLITE_NAME,
    BackupError,
    add_bytes,
    add_file,
    home_files,
)
from evqms.ops.backup.postgres import _tool_major, snapshot_postgres
from evqms.ops.backup.sqlite import snapshot_sqlite, sqlite_facts


def default_output() -> Path:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return Path(f"evqms-backup-{stamp}.tar")


def create_backup(output: Path) -> dict:
    """Write the archive (atomically, mode 600: it holds the keys) and return its manifest."""
    from django.conf import settings

    home = Path(settings.EVQMS_HOME).resolve()
    output = Path(output).resolve()
    _check_output(output, home)
    output.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".evqms-backup-", dir=output.parent))
    partial = output.with_name(f".{output.name}.partial")
    try:
        # 1. keys and checkpoints, before the snapshot (see evqms.ops.backup)
        keys, _files = home_files(home)
        (work / "keys").mkdir()
        for rel in keys:
            shutil.copy2(home / rel, work / "keys" / rel.name)
        # 2. the database
        snap, database, audit, patients = _snapshot_database(work)
        required = _required_keys(patients, keys, home)
        # 3. the archive: database, keys, kept files (read now, after the snapshot), manifest last
        facts = {"database": database, "audit": audit, "patients": patients, "required_keys": required}
        manifest = _write_archive(partial, facts, snap=snap, keys_dir=work / "keys", keys=keys, home=home)
        os.replace(partial, output)
        return manifest
    finally:
        partial.unlink(missing_ok=True)
        shutil.rmtree(work, ignore_errors=True)


def _check_output(output: Path, home: Path) -> None:
    if output.is_relative_to(home):
        raise InputError(
            _("a backup kept inside EVQMS_HOME ({home}) is lost with it: write it elsewhere").format(
                home=home
            ),
            where=str(output),
        )
    if output.exists():
        raise InputError(_("the file exists already; backups are never overwritten"), where=str(output))


def _snapshot_database(work: Path) -> tuple[Path, dict, dict | None, int]:
    """A consistent copy of the database in `work`: (file, its manifest entry, the audit head it
    holds (None for a dump: read when it is verified), the number of patients)."""
    from django.db import connection

    db = connection.settings_dict
    database: dict = {"engine": connection.vendor}
    if connection.vendor == "sqlite":
        snap = work / SQLITE_NAME
        snapshot_sqlite(Path(db["NAME"]), snap)
        facts = sqlite_facts(snap)
        if facts["integrity"] != "ok":
            raise BackupError(
                _("the database copy fails SQLite's integrity check: {reason}").format(
                    reason=facts["integrity"]
                )
            )
        database.update(member=SQLITE_MEMBER, sqlite_version=sqlite3.sqlite_version)
        return snap, database, {"events": facts["events"], "head": facts["head"]}, facts["patients"]
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        server_major = connection.pg_version // 10000
        snap = work / "evqms.pgdump"
        tool = snapshot_postgres(db, server_major, snap)
        database.update(member=PGDUMP_MEMBER, server_major=server_major, pg_dump_major=_tool_major(tool))
        # Patients are never deleted: a count taken after the dump is at least the dump's.
        with connection.cursor() as cur:
            cur.execute("SELECT COUNT(*) FROM clinical_patient")
            patients = cur.fetchone()[0]
        return snap, database, None, patients
    raise BackupError(  # pragma: no cover - settings offer only these two
        _("cannot back up a {engine} database").format(engine=connection.vendor)
    )


def _required_keys(patients: int, keys: list[PurePosixPath], home: Path) -> list[str]:
    """The keys a restore needs; a registered patient without the patient key stops the backup."""
    required = [PATIENT_KEY] if patients else []
    key_names = {rel.name for rel in keys}
    for name in required:
        if name not in key_names:
            raise RuleViolation(
                _(
                    "{n} patients are registered but the patient key {path} is missing: without it no "
                    "patient can be recognised again. Restore the key before backing up."
                ).format(n=patients, path=home / name)
            )
    return required


def _write_archive(
    partial: Path, facts: dict, *, snap: Path, keys_dir: Path, keys: list[PurePosixPath], home: Path
) -> dict:
    """The tar file: the database, the keys copied before it, the kept files read now (after the
    snapshot), then the manifest (`facts` and every member's entry), synced to disk; the manifest."""
    entries = []
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with (
        os.fdopen(fd, "wb") as raw,
        tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        entries.append({**add_file(tar, facts["database"]["member"], snap), "kind": "database"})
        for rel in keys:
            entries.append({**add_file(tar, HOME_PREFIX + rel.name, keys_dir / rel.name), "kind": "key"})
        _keys, files = home_files(home)
        for rel in files:
            try:
                entries.append({**add_file(tar, HOME_PREFIX + str(rel), home / rel), "kind": "file"})
            except FileNotFoundError:  # removed since the listing (an orphan cleaned up): not data
                continue
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "evqms_version": __version__,
            **facts,
            "entries": entries,
        }
        add_bytes(tar, MANIFEST, json.dumps(manifest, indent=1, sort_keys=True).encode("utf-8"))
        raw.flush()
        os.fsync(raw.fileno())
    return manifest

"""Restoring an archive into an empty installation: refused, with nothing written, when the
archive is incomplete or altered, lacks a key, or the target is not empty."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from evqms.errors import RuleViolation
from evqms.i18n import _
from evqms.ops.backup.archive import PATIENT_KEY, SQLITE_NAME, Problem, unpack
from evqms.ops.backup.postgres import _empty_pg, pg_is_empty, pg_patient_count, pg_restore
from evqms.ops.backup.verify import check_installation


def _is_empty_home(home: Path) -> bool:
    """Nothing but folders (and collected static files, which are made again) under home."""
    if not home.exists():
        return True
    for _dirpath, _dirs, files in os.walk(home):
        rel = Path(_dirpath).relative_to(home)
        if rel.parts[:1] == ("static",):
            continue
        if files:
            return False
    return True


def restore_archive(archive: Path, *, home: Path, database_url: str | None) -> tuple[dict, list[Problem]]:
    """Restore into an empty EVQMS_HOME (and an empty database on PostgreSQL); refuse anything
    incomplete before writing. Returns the manifest and the findings of the checks run afterwards."""
    home = Path(home).resolve()
    if not _is_empty_home(home):
        raise RuleViolation(
            _(
                "EVQMS_HOME {home} is not empty: restore only into an empty folder (nothing is overwritten)"
            ).format(home=home)
        )
    if database_url and not pg_is_empty(database_url):
        raise RuleViolation(
            _("the database of DATABASE_URL is not empty: restore only into an empty database")
        )
    home.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".evqms-restore-", dir=home.parent))
    try:
        unpacked = unpack(archive, staging)
        if not unpacked.ok:
            raise RuleViolation(
                _("the archive is incomplete or altered; nothing was restored: {problems}").format(
                    problems="; ".join(f"{p.path}: {p.message}" for p in unpacked.problems)
                )
            )
        manifest = unpacked.manifest
        engine = manifest["database"]["engine"]
        if engine == "sqlite" and database_url:
            raise RuleViolation(_("this archive holds a SQLite database: unset DATABASE_URL to restore it"))
        if engine == "postgresql" and not database_url:
            raise RuleViolation(
                _("this archive holds a PostgreSQL dump: set DATABASE_URL to an empty database to restore it")
            )
        if engine == "sqlite":
            shutil.move(unpacked.database, unpacked.home / SQLITE_NAME)
        else:
            pg_restore(unpacked.database, database_url, manifest["database"].get("pg_dump_major"))
            if pg_patient_count(database_url) and not (unpacked.home / PATIENT_KEY).exists():
                _empty_pg(database_url)
                raise RuleViolation(_("the database has patients but the archive has no patient key"))
        unpacked.home.mkdir(mode=0o700, exist_ok=True)
        for dirpath, _dirs, _files in os.walk(unpacked.home):
            os.chmod(dirpath, 0o700)
        if home.exists():
            for child in unpacked.home.iterdir():
                if child.name == "static" and (home / "static").exists():
                    continue
                os.replace(child, home / child.name)
        else:
            os.replace(unpacked.home, home)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return manifest, check_installation(home, database_url)

"""Verifying an archive: unpacked into a scratch folder (and a scratch PostgreSQL database), then
checked by the same `evqms audit verify` and `evqms files verify` a user runs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from evqms.i18n import _
from evqms.ops.backup.archive import SQLITE_MEMBER, SQLITE_NAME, BackupError, Problem, unpack
from evqms.ops.backup.postgres import pg_restore, scratch_database


def _evqms_json(args: list[str], env: dict) -> tuple[int, dict | None, str]:
    run = subprocess.run([sys.executable, "-m", "evqms.cli", *args], env=env, capture_output=True, text=True)
    try:
        return run.returncode, json.loads(run.stdout), run.stderr.strip()
    except ValueError:
        return run.returncode, None, (run.stderr or run.stdout).strip()


def _installation_env(home: Path, database_url: str | None) -> dict:
    """The environment of an `evqms` child run against another installation."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "EVQMS_TESTING"))}
    env.update(EVQMS_HOME=str(home), EVQMS_MODE="local", EVQMS_LANG=os.environ.get("EVQMS_LANG", "en"))
    env.setdefault("EVQMS_SECRET_KEY", "evqms-backup-check-" + "x" * 40)  # never written to the home
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def check_installation(home: Path, database_url: str | None) -> list[Problem]:
    return _check_installation(home, database_url)[0]


def _check_installation(home: Path, database_url: str | None) -> tuple[list[Problem], dict | None]:
    """`evqms audit verify` and `evqms files verify` against an installation (a fresh process, so the
    checks are exactly those a user runs, checkpoints included); the findings, and what verify says
    of the audit chain (its head hash among it)."""
    env = _installation_env(home, database_url)
    problems = []
    code, audit, err = _evqms_json(["audit", "verify", "--format", "json"], env)
    if code != 0 or not audit or not audit.get("ok"):
        detail = (audit or {}).get("message") or (audit or {}).get("problem") or err
        problems.append(
            Problem("audit", "audit", _("the audit trail does not verify: {reason}").format(reason=detail))
        )
    code, data, err = _evqms_json(["files", "verify", "--format", "json"], env)
    if code != 0 or data is None:
        bad = [f.get("path") for k in ("altered", "missing") for f in (data or {}).get(k, [])]
        problems.append(
            Problem(
                "files",
                "files",
                _("kept files do not verify: {reason}").format(reason=", ".join(map(str, bad)) or err),
            )
        )
    return problems, audit


def verify_archive(archive: Path, *, database_url: str | None = None) -> tuple[dict | None, list[Problem]]:
    """Integrity, manifest and, in a scratch copy, the audit chain and kept files of the archive."""
    with tempfile.TemporaryDirectory(prefix="evqms-verify-") as tmp:
        unpacked = unpack(archive, Path(tmp))
        if not unpacked.ok:
            return unpacked.manifest, unpacked.problems
        manifest = unpacked.manifest
        if manifest["database"]["member"] == SQLITE_MEMBER:
            shutil.move(unpacked.database, unpacked.home / SQLITE_NAME)
            problems, audit = _check_installation(unpacked.home, None)
        else:
            if not database_url:
                raise BackupError(
                    _(
                        "verifying a PostgreSQL archive restores it into a scratch database: set DATABASE_URL "
                        "to a server where this role may create databases"
                    )
                )
            with scratch_database(database_url) as url:
                pg_restore(unpacked.database, url, manifest["database"].get("pg_dump_major"))
                problems, audit = _check_installation(unpacked.home, url)
        expected = manifest.get("audit")
        # verify's head hash is the last event's once the chain replays to its end (not when a link
        # is broken, which is a finding already): asking `evqms audit export-head` would start one
        # more process for the same hash.
        replayed = (audit or {}).get("problem") not in ("missing", "reordered", "edited")
        head_hash = (audit or {}).get("head_hash") if replayed else None
        if expected and expected.get("head") and head_hash and head_hash != expected["head"]["hash"]:
            problems.append(
                Problem("audit", "audit", _("the database's audit head differs from the manifest's"))
            )
        return manifest, problems

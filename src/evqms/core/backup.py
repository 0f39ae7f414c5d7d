"""Online backup and restore of one installation: one tar archive with everything needed.

An archive holds
- `database/evqms.sqlite3` (SQLite's backup API: a consistent snapshot while others write) or
  `database/evqms.pgdump` (`pg_dump --format=custom`, one snapshot transaction);
- `home/...`: every file under EVQMS_HOME except the live database, test databases and the
  collected static files. Files directly in EVQMS_HOME are keys and secrets (the patient pseudonym
  key, the audit checkpoint file and its key, the local secret key): they are taken by that rule,
  not from a list, so a key added later is backed up too;
- `manifest.json` (last): the SHA-256 and size of every other member, the keys a restore needs,
  and the audit head of the archived database.

Order matters for consistency. Keys and checkpoints are read first, then the database snapshot,
then the kept files: a checkpoint then never names events the snapshot lacks, and a kept file is
written before the transaction that refers to it commits, so every file the snapshot names exists.
A copy of the live SQLite file or a tar of a live EVQMS_HOME has neither property.
"""

from __future__ import annotations

import datetime as dt
import glob
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from evqms.errors import EvqmsError, InputError, RuleViolation
from evqms.i18n import _

FORMAT = "evqms-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database/evqms.sqlite3"
PGDUMP_MEMBER = "database/evqms.pgdump"
HOME_PREFIX = "home/"
SQLITE_NAME = "evqms.sqlite3"
PATIENT_KEY = "patient_key"
_CHUNK = 1 << 20


class BackupError(EvqmsError):
    """The environment stops a backup or restore (no matching pg_dump, an unreachable server)."""


# ---------------------------------------------------------------- what is in EVQMS_HOME


def _skipped(rel: PurePosixPath) -> bool:
    """Files under EVQMS_HOME that are not data: the live database (taken through the backup API),
    test databases, collected static files (collectstatic makes them again) and unfinished writes."""
    name = rel.name
    if rel.parts[0] == "static":
        return True
    if re.fullmatch(r"(test-)?evqms\.sqlite3(-wal|-shm|-journal)?", name) and len(rel.parts) == 1:
        return True
    if name.startswith("test-evqms.sqlite3"):
        return True
    return name.endswith((".partial", ".tmp")) and name.startswith(".")


def home_files(home: Path) -> tuple[list[PurePosixPath], list[PurePosixPath]]:
    """(keys, files): regular files directly in EVQMS_HOME, and those in its folders."""
    keys, files = [], []
    if not home.is_dir():
        return keys, files
    for dirpath, dirnames, filenames in os.walk(home):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if not path.is_file() or path.is_symlink():
                continue
            rel = PurePosixPath(path.relative_to(home).as_posix())
            if _skipped(rel):
                continue
            (keys if len(rel.parts) == 1 else files).append(rel)
    return keys, files


# ---------------------------------------------------------------- database snapshots


def snapshot_sqlite(source: Path, target: Path) -> None:
    """SQLite's online backup: a consistent copy while other connections keep writing (WAL)."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=60)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)  # all pages in one step: one read transaction, one snapshot
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file in the archive
    finally:
        dst.close()
        src.close()


def sqlite_facts(path: Path) -> dict:
    """Integrity, audit head and patient count of a SQLite database file."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        integrity = con.execute("PRAGMA integrity_check").fetchone()[0]
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        events, head = 0, None
        if "audit_auditevent" in tables:
            row = con.execute("SELECT seq, hash FROM audit_auditevent ORDER BY seq DESC LIMIT 1").fetchone()
            if row:
                events = con.execute("SELECT COUNT(*) FROM audit_auditevent").fetchone()[0]
                head = {"seq": row[0], "hash": row[1]}
        patients = 0
        if "clinical_patient" in tables:
            patients = con.execute("SELECT COUNT(*) FROM clinical_patient").fetchone()[0]
    finally:
        con.close()
    return {"integrity": integrity, "events": events, "head": head, "patients": patients}


def _pg_env(db: dict) -> dict:
    env = dict(os.environ)
    for var, key in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER"), ("PGPASSWORD", "PASSWORD")):
        if db.get(key):
            env[var] = str(db[key])
    env["PGDATABASE"] = str(db["NAME"])
    return env


def _tool_major(path: str) -> int | None:
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30).stdout
    except OSError:
        return None
    match = re.search(r"(\d+)(?:\.\d+)?", out)
    return int(match.group(1)) if match else None


def find_pg_tool(name: str, server_major: int) -> str:
    """The pg_dump/pg_restore to use with a server of this major version: the same major, else the
    nearest newer one (an older pg_dump refuses a newer server; a newer one reads older servers)."""
    candidates = []
    if os.environ.get("EVQMS_PG_BIN"):
        candidates.append(str(Path(os.environ["EVQMS_PG_BIN"]) / name))
    candidates += sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if shutil.which(name):
        candidates.append(shutil.which(name))
    found = {}
    for path in candidates:
        major = _tool_major(path) if os.access(path, os.X_OK) else None
        if major is not None:
            found.setdefault(major, path)
    usable = sorted(m for m in found if m >= server_major)
    if not usable:
        raise BackupError(
            _(
                "no {tool} for PostgreSQL {major} or newer was found (found: {found}); install the "
                "PostgreSQL client of the server's version or set EVQMS_PG_BIN to its bin folder"
            ).format(tool=name, major=server_major, found=", ".join(map(str, sorted(found))) or "-")
        )
    return found[usable[0]]


def snapshot_postgres(db: dict, server_major: int, target: Path) -> str:
    tool = find_pg_tool("pg_dump", server_major)
    result = subprocess.run(
        [tool, "--format=custom", "--file", str(target)],
        env=_pg_env(db),
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise BackupError(_("pg_dump failed: {reason}").format(reason=result.stderr.strip()))
    return tool


# ---------------------------------------------------------------- writing an archive


class _HashingReader:
    def __init__(self, fh):
        self.fh = fh
        self.sha = hashlib.sha256()

    def read(self, size=-1):
        data = self.fh.read(size)
        self.sha.update(data)
        return data


def _add(tar: tarfile.TarFile, name: str, path: Path) -> dict:
    info = tarfile.TarInfo(name)
    info.size = path.stat().st_size
    info.mtime = int(path.stat().st_mtime)
    info.mode = 0o600
    with path.open("rb") as fh:
        reader = _HashingReader(fh)
        tar.addfile(info, reader)
    return {"path": name, "sha256": reader.sha.hexdigest(), "size": info.size}


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> dict:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(dt.datetime.now(dt.UTC).timestamp())
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))
    return {"path": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}


def default_output() -> Path:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return Path(f"evqms-backup-{stamp}.tar")


def create_backup(output: Path) -> dict:
    """Write the archive (atomically, mode 600: it holds the keys) and return its manifest."""
    from django.conf import settings
    from django.db import connection

    from evqms import __version__

    home = Path(settings.EVQMS_HOME).resolve()
    output = Path(output).resolve()
    if output.is_relative_to(home):
        raise InputError(
            _("a backup kept inside EVQMS_HOME ({home}) is lost with it: write it elsewhere").format(
                home=home
            ),
            where=str(output),
        )
    if output.exists():
        raise InputError(_("the file exists already; backups are never overwritten"), where=str(output))
    output.parent.mkdir(parents=True, exist_ok=True)
    db = connection.settings_dict
    work = Path(tempfile.mkdtemp(prefix=".evqms-backup-", dir=output.parent))
    partial = output.with_name(f".{output.name}.partial")
    try:
        # 1. keys and checkpoints, before the snapshot (see the module's docstring)
        keys, _files = home_files(home)
        (work / "keys").mkdir()
        for rel in keys:
            shutil.copy2(home / rel, work / "keys" / rel.name)
        # 2. the database
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
            audit = {"events": facts["events"], "head": facts["head"]}
            patients = facts["patients"]
        elif connection.vendor == "postgresql":
            connection.ensure_connection()
            server_major = connection.pg_version // 10000
            snap = work / "evqms.pgdump"
            tool = snapshot_postgres(db, server_major, snap)
            database.update(member=PGDUMP_MEMBER, server_major=server_major, pg_dump_major=_tool_major(tool))
            audit = None  # read from the dump when it is verified
            # Patients are never deleted: a count taken after the dump is at least the dump's.
            with connection.cursor() as cur:
                cur.execute("SELECT COUNT(*) FROM clinical_patient")
                patients = cur.fetchone()[0]
        else:  # pragma: no cover - settings offer only these two
            raise BackupError(_("cannot back up a {engine} database").format(engine=connection.vendor))
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
        # 3. the archive: database, keys, kept files (read now, after the snapshot), manifest last
        entries = []
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with (
            os.fdopen(fd, "wb") as raw,
            tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar,
        ):
            entries.append({**_add(tar, database["member"], snap), "kind": "database"})
            for rel in keys:
                entries.append({**_add(tar, HOME_PREFIX + rel.name, work / "keys" / rel.name), "kind": "key"})
            _keys, files = home_files(home)
            for rel in files:
                try:
                    entries.append({**_add(tar, HOME_PREFIX + str(rel), home / rel), "kind": "file"})
                except FileNotFoundError:  # removed since the listing (an orphan cleaned up): not data
                    continue
            manifest = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "evqms_version": __version__,
                "database": database,
                "audit": audit,
                "patients": patients,
                "required_keys": required,
                "entries": entries,
            }
            _add_bytes(tar, MANIFEST, json.dumps(manifest, indent=1, sort_keys=True).encode("utf-8"))
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(partial, output)
        return manifest
    finally:
        partial.unlink(missing_ok=True)
        shutil.rmtree(work, ignore_errors=True)


# ---------------------------------------------------------------- reading an archive


@dataclass
class Problem:
    code: str  # altered, missing, unexpected, unreadable, manifest, key, database, audit, files
    path: str
    message: str

    def as_dict(self) -> dict:
        return {"code": self.code, "path": self.path, "message": self.message}


@dataclass
class Unpacked:
    root: Path  # members unpacked here: root/database/..., root/home/...
    manifest: dict | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def home(self) -> Path:
        return self.root / "home"

    @property
    def database(self) -> Path | None:
        member = (self.manifest or {}).get("database", {}).get("member")
        return self.root / member if member else None


def _safe_name(name: str) -> bool:
    p = PurePosixPath(name)
    return (
        not p.is_absolute()
        and ".." not in p.parts
        and (name == MANIFEST or name in (SQLITE_MEMBER, PGDUMP_MEMBER) or name.startswith(HOME_PREFIX))
    )


def unpack(archive: Path, root: Path) -> Unpacked:
    """Unpack into root (files 600, folders 700) and check every member against the manifest."""
    archive = Path(archive)
    if not archive.is_file():
        raise InputError(_("file not found"), where=str(archive))
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    result = Unpacked(root, None)
    seen: dict[str, dict] = {}
    try:
        with tarfile.open(archive, mode="r:*") as tar:
            for member in tar:
                name = member.name
                if not member.isfile() or not _safe_name(name) or name in seen:
                    result.problems.append(
                        Problem("unexpected", name, _("not a member an evqms backup contains"))
                    )
                    continue
                target = root / name
                target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                sha = hashlib.sha256()
                src = tar.extractfile(member)
                fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                with os.fdopen(fd, "wb") as out:
                    while chunk := src.read(_CHUNK):
                        sha.update(chunk)
                        out.write(chunk)
                seen[name] = {"sha256": sha.hexdigest(), "size": member.size}
    except (tarfile.TarError, EOFError, OSError) as exc:
        result.problems.append(
            Problem(
                "unreadable",
                str(archive),
                _("the archive cannot be read to its end: {reason}").format(reason=exc),
            )
        )
    if MANIFEST not in seen:
        result.problems.append(Problem("manifest", MANIFEST, _("the archive has no manifest")))
        return result
    try:
        manifest = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
        if manifest.get("format") != FORMAT or not isinstance(manifest.get("entries"), list):
            raise ValueError(_("not an evqms backup manifest"))
        if manifest.get("format_version") != FORMAT_VERSION:
            raise ValueError(
                _("format version {v} is not {ours}").format(
                    v=manifest.get("format_version"), ours=FORMAT_VERSION
                )
            )
    except (ValueError, UnicodeDecodeError) as exc:
        result.problems.append(Problem("manifest", MANIFEST, str(exc)))
        return result
    result.manifest = manifest
    listed = set()
    for entry in manifest["entries"]:
        name = entry.get("path", "")
        listed.add(name)
        got = seen.get(name)
        if got is None:
            result.problems.append(
                Problem("missing", name, _("listed in the manifest but not in the archive"))
            )
        elif got["sha256"] != entry.get("sha256") or got["size"] != entry.get("size"):
            result.problems.append(
                Problem("altered", name, _("its SHA-256 differs from the manifest's (altered or damaged)"))
            )
    for name in sorted(set(seen) - listed - {MANIFEST}):
        result.problems.append(Problem("unexpected", name, _("in the archive but not in the manifest")))
    db_member = manifest.get("database", {}).get("member")
    if db_member not in listed:
        result.problems.append(Problem("database", str(db_member), _("the archive has no database")))
    for key in manifest.get("required_keys", []):
        if HOME_PREFIX + key not in seen:
            result.problems.append(
                Problem("key", HOME_PREFIX + key, _("the archive lacks a key its database needs"))
            )
    if db_member == SQLITE_MEMBER and SQLITE_MEMBER in seen:
        facts = sqlite_facts(root / SQLITE_MEMBER)
        if facts["integrity"] != "ok":
            result.problems.append(
                Problem(
                    "database",
                    SQLITE_MEMBER,
                    _("fails SQLite's integrity check: {reason}").format(reason=facts["integrity"]),
                )
            )
        elif facts["patients"] and not (root / "home" / PATIENT_KEY).exists():
            result.problems.append(
                Problem(
                    "key",
                    HOME_PREFIX + PATIENT_KEY,
                    _("the database has {n} patients but the archive has no patient key").format(
                        n=facts["patients"]
                    ),
                )
            )
    return result


# ---------------------------------------------------------------- checks through the evqms command


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


# ---------------------------------------------------------------- PostgreSQL helpers (no Django)


def _pg_connect(url: str):
    import psycopg

    return psycopg.connect(url, autocommit=True)


def pg_is_empty(url: str) -> bool:
    with _pg_connect(url) as con:
        row = con.execute(
            "SELECT COUNT(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' "
            "AND c.relkind IN ('r', 'p', 'v', 'm', 'S')"
        ).fetchone()
    return row[0] == 0


def pg_server_major(url: str) -> int:
    with _pg_connect(url) as con:
        return int(con.execute("SHOW server_version_num").fetchone()[0]) // 10000


def pg_restore(dump: Path, url: str, dump_major: int | None) -> None:
    tool = find_pg_tool("pg_restore", max(dump_major or 0, pg_server_major(url)))
    url, env = _password_to_env(url)
    run = subprocess.run(
        # One transaction: a failed restore leaves the database empty, as it was. The restoring
        # role owns what it creates (the owner role of a two-role installation); grants are kept.
        [tool, "--single-transaction", "--exit-on-error", "--no-owner", "--dbname", url, str(dump)],
        capture_output=True,
        text=True,
        env=env,
    )
    if run.returncode != 0:
        raise BackupError(_("pg_restore failed: {reason}").format(reason=run.stderr.strip()))


def _password_to_env(url: str) -> tuple[str, dict]:
    """The URL without its password, and an environment carrying it as PGPASSWORD: a child's
    command line is readable by every account on the machine (ps), its environment is not."""
    from urllib.parse import unquote, urlsplit, urlunsplit

    parts = urlsplit(url)
    env = dict(os.environ)
    if parts.password is None:
        return url, env
    userinfo, hostport = parts.netloc.rsplit("@", 1)
    env["PGPASSWORD"] = unquote(parts.password)
    return urlunsplit(parts._replace(netloc=f"{userinfo.split(':', 1)[0]}@{hostport}")), env


def pg_patient_count(url: str) -> int:
    with _pg_connect(url) as con:
        return con.execute("SELECT COUNT(*) FROM clinical_patient").fetchone()[0]


class scratch_database:
    """A throw-away PostgreSQL database next to `url`'s, for verifying a dump."""

    def __init__(self, url: str):
        import secrets
        from urllib.parse import urlsplit, urlunsplit

        parts = urlsplit(url)
        self.name = f"evqms_verify_{secrets.token_hex(6)}"
        self.admin_url = url
        self.url = urlunsplit(parts._replace(path="/" + self.name))

    def __enter__(self) -> str:
        try:
            with _pg_connect(self.admin_url) as con:
                con.execute(f'CREATE DATABASE "{self.name}"')
        except Exception as exc:
            raise BackupError(
                _(
                    "verifying a PostgreSQL archive needs a scratch database; creating one failed: {reason}"
                ).format(reason=exc)
            ) from exc
        return self.url

    def __exit__(self, *exc):
        with _pg_connect(self.admin_url) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        return False


# ---------------------------------------------------------------- verify and restore


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


def _empty_pg(url: str) -> None:
    with _pg_connect(url) as con:
        con.execute("DROP SCHEMA public CASCADE")
        con.execute("CREATE SCHEMA public")

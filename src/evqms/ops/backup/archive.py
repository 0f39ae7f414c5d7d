"""The archive format: what an evqms backup holds, how a member is written with its SHA-256, and
how an archive is unpacked and checked member by member against its manifest."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import re
import tarfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from evqms.errors import EvqmsError, InputError
from evqms.i18n import _
from evqms.ops.backup.sqlite import sqlite_facts

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


class _HashingReader:
    def __init__(self, fh):
        self.fh = fh
        self.sha = hashlib.sha256()

    def read(self, size=-1):
        data = self.fh.read(size)
        self.sha.update(data)
        return data


def add_file(tar: tarfile.TarFile, name: str, path: Path) -> dict:
    info = tarfile.TarInfo(name)
    info.size = path.stat().st_size
    info.mtime = int(path.stat().st_mtime)
    info.mode = 0o600
    with path.open("rb") as fh:
        reader = _HashingReader(fh)
        tar.addfile(info, reader)
    return {"path": name, "sha256": reader.sha.hexdigest(), "size": info.size}


def add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> dict:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(dt.datetime.now(dt.UTC).timestamp())
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))
    return {"path": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}


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
    seen = _extract(archive, root, result.problems)
    if MANIFEST not in seen:
        result.problems.append(Problem("manifest", MANIFEST, _("the archive has no manifest")))
        return result
    try:
        manifest = _read_manifest(root / MANIFEST)
    except (ValueError, UnicodeDecodeError) as exc:
        result.problems.append(Problem("manifest", MANIFEST, str(exc)))
        return result
    result.manifest = manifest
    listed = _compare_with_manifest(manifest, seen, result.problems)
    _check_database_and_keys(manifest, listed, seen, root, result.problems)
    return result


def _extract(archive: Path, root: Path, problems: list[Problem]) -> dict[str, dict]:
    """Every member an evqms backup may hold, written under root and hashed as it is written:
    {name: {sha256, size}}. Anything else, and an archive cut short, is a problem."""
    seen: dict[str, dict] = {}
    try:
        with tarfile.open(archive, mode="r:*") as tar:
            for member in tar:
                name = member.name
                if not member.isfile() or not _safe_name(name) or name in seen:
                    problems.append(Problem("unexpected", name, _("not a member an evqms backup contains")))
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
        problems.append(
            Problem(
                "unreadable",
                str(archive),
                _("the archive cannot be read to its end: {reason}").format(reason=exc),
            )
        )
    return seen


def _read_manifest(path: Path) -> dict:
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT or not isinstance(manifest.get("entries"), list):
        raise ValueError(_("not an evqms backup manifest"))
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ValueError(
            _("format version {v} is not {ours}").format(
                v=manifest.get("format_version"), ours=FORMAT_VERSION
            )
        )
    return manifest


def _compare_with_manifest(manifest: dict, seen: dict[str, dict], problems: list[Problem]) -> set[str]:
    """Each listed member present with its SHA-256 and size, nothing unlisted; the listed names."""
    listed = set()
    for entry in manifest["entries"]:
        name = entry.get("path", "")
        listed.add(name)
        got = seen.get(name)
        if got is None:
            problems.append(Problem("missing", name, _("listed in the manifest but not in the archive")))
        elif got["sha256"] != entry.get("sha256") or got["size"] != entry.get("size"):
            problems.append(
                Problem("altered", name, _("its SHA-256 differs from the manifest's (altered or damaged)"))
            )
    for name in sorted(set(seen) - listed - {MANIFEST}):
        problems.append(Problem("unexpected", name, _("in the archive but not in the manifest")))
    return listed


def _check_database_and_keys(
    manifest: dict, listed: set[str], seen: dict[str, dict], root: Path, problems: list[Problem]
) -> None:
    """A database is there, and every key it needs; a SQLite copy passes its integrity check."""
    db_member = manifest.get("database", {}).get("member")
    if db_member not in listed:
        problems.append(Problem("database", str(db_member), _("the archive has no database")))
    for key in manifest.get("required_keys", []):
        if HOME_PREFIX + key not in seen:
            problems.append(
                Problem("key", HOME_PREFIX + key, _("the archive lacks a key its database needs"))
            )
    if db_member == SQLITE_MEMBER and SQLITE_MEMBER in seen:
        facts = sqlite_facts(root / SQLITE_MEMBER)
        if facts["integrity"] != "ok":
            problems.append(
                Problem(
                    "database",
                    SQLITE_MEMBER,
                    _("fails SQLite's integrity check: {reason}").format(reason=facts["integrity"]),
                )
            )
        elif facts["patients"] and not (root / "home" / PATIENT_KEY).exists():
            problems.append(
                Problem(
                    "key",
                    HOME_PREFIX + PATIENT_KEY,
                    _("the database has {n} patients but the archive has no patient key").format(
                        n=facts["patients"]
                    ),
                )
            )

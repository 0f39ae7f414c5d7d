"""PostgreSQL's side of a backup: pg_dump and pg_restore of the server's major version, and the
connections a restore and a verification need (psycopg, no Django)."""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
from pathlib import Path

from evqms.i18n import _
from evqms.ops.backup.archive import BackupError


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


def _empty_pg(url: str) -> None:
    with _pg_connect(url) as con:
        con.execute("DROP SCHEMA public CASCADE")
        con.execute("CREATE SCHEMA public")

"""Two PostgreSQL roles: the owner migrates, the application only reads and writes rows.

Triggers keep the audit and signature tables append-only, but the owner of a table can drop its
triggers, truncate it, or switch the test suite's purge on. So in production the application
connects as a role that owns nothing: it may SELECT/INSERT everywhere and UPDATE/DELETE ordinary
tables, but has no UPDATE, DELETE or TRUNCATE on the append-only tables (every table guarded by
`evqms_append_only()`), no TRUNCATE or TRIGGER anywhere, and cannot alter the schema. The owner
role (DATABASE_OWNER_URL) runs the migrations and then `grant_app_role` again, so tables added by
a migration are granted the same way.
"""

from __future__ import annotations

import os
import subprocess
import sys

from django.conf import settings
from django.db import connection

CHAIN_HEAD = "audit_chainhead"  # the app advances it (a trigger checks each step), never deletes it


def _quote(cur, name: str) -> str:
    cur.execute("SELECT quote_ident(%s)", [name])
    return cur.fetchone()[0]


def append_only_tables(cur) -> list[str]:
    cur.execute(
        """
        SELECT DISTINCT c.relname FROM pg_trigger t
        JOIN pg_class c ON c.oid = t.tgrelid
        JOIN pg_proc p ON p.oid = t.tgfoid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE p.proname = 'evqms_append_only' AND NOT t.tgisinternal AND n.nspname = current_schema()
        ORDER BY 1
        """
    )
    return [r[0] for r in cur.fetchall()]


def grant_app_role(role: str, *, create: bool = False, password: str | None = None, conn=None) -> list[str]:
    """Grant `role` row access only (run as the owner); returns the append-only tables it cannot change."""
    conn = conn or connection
    if conn.vendor != "postgresql":
        raise RuntimeError("database roles exist on PostgreSQL only")
    with conn.cursor() as cur:
        r = _quote(cur, role)
        cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cur.fetchone() is None:
            if not create:
                raise LookupError(role)
            cur.execute(f"CREATE ROLE {r} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT")
        if password:
            cur.execute(f"ALTER ROLE {r} PASSWORD %s", [password])
        cur.execute("SELECT current_database(), current_schema()")
        database, schema = cur.fetchone()
        db, sc = _quote(cur, database), _quote(cur, schema)
        cur.execute(f"GRANT CONNECT ON DATABASE {db} TO {r}")
        cur.execute(f"REVOKE CREATE ON SCHEMA {sc} FROM {r}")
        cur.execute(f"GRANT USAGE ON SCHEMA {sc} TO {r}")
        cur.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA {sc} FROM {r}")
        cur.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {sc} TO {r}")
        cur.execute(f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA {sc} TO {r}")
        guarded = append_only_tables(cur)
        for table in guarded:
            cur.execute(f"REVOKE UPDATE, DELETE ON {sc}.{_quote(cur, table)} FROM {r}")
        if CHAIN_HEAD in guarded:
            cur.execute(f"GRANT UPDATE ON {sc}.{CHAIN_HEAD} TO {r}")
        # The app reads which migrations ran; only the owner records them.
        cur.execute("SELECT to_regclass('django_migrations') IS NOT NULL")
        if cur.fetchone()[0]:
            cur.execute(f"REVOKE INSERT, UPDATE, DELETE ON {sc}.django_migrations FROM {r}")
    return guarded


def app_connects_as_owner() -> bool | None:
    """True when this process's database role owns (or is a superuser over) the audit tables."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cur:
        cur.execute(
            "SELECT pg_has_role(current_user, c.relowner, 'MEMBER') FROM pg_class c "
            "WHERE c.relname = 'audit_auditevent' AND c.relnamespace = current_schema()::regnamespace"
        )
        row = cur.fetchone()
    return bool(row and row[0])


def migrate(verbosity: int = 0) -> None:
    """Apply migrations; with DATABASE_OWNER_URL set, as the owner in a child process, then grant
    the application's role (the user of DATABASE_URL). This process keeps the application's role
    only, and the owner's URL is dropped from the environment it hands on (e.g. to gunicorn)."""
    from django.core.management import call_command

    owner_url = settings.DATABASE_OWNER_URL
    if not owner_url or connection.vendor != "postgresql":
        call_command("migrate", interactive=False, verbosity=verbosity)
        return
    app_role = settings.DATABASES["default"]["USER"]
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_OWNER_URL"}
    env["DATABASE_URL"] = owner_url
    base = [sys.executable, "-c", "from evqms.cli import main; raise SystemExit(main())"]
    subprocess.run([*base, "manage", "migrate", "--no-input", f"-v{verbosity}"], env=env, check=True)
    subprocess.run([*base, "audit", "grant-app-role", app_role], env=env, check=True)
    os.environ.pop("DATABASE_OWNER_URL", None)

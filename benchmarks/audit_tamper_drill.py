"""Drill: tamper with the audit trail the way an owner of the database can, then ask
`evqms audit verify` whether it notices. Prints one line per case: caught / NOT CAUGHT.

Each case gets a fresh EVQMS_HOME and database: 30 events (checkpoints every 10), one signature
and its invalidation are written through evqms in a child process, the tamper is done with plain
SQL past the triggers (sqlite3 or psycopg as the owner) or on the files, and `evqms audit verify`
runs as a user would. On PostgreSQL it also tries the same as the application's role, which the
database must refuse.

Run:  .venv/bin/python benchmarks/audit_tamper_drill.py [--postgres postgres://postgres@127.0.0.1:5432]
Exit 1 when a case is not caught.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

EVENTS = 30
EVERY = 10
EVQMS = [sys.executable, "-c", "import sys; from evqms.cli import main; sys.exit(main())"]

SETUP = """
import django, os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "evqms.settings")
django.setup()
from django.core.management import call_command
from django.db import transaction
call_command("migrate", interactive=False, verbosity=0)
from evqms.accounts.services import create_user
from evqms.audit.models import Signature
from evqms.audit import services
qa = create_user(actor=None, username="qa", password="a-long-password-42",
                 role_names=["qa_reviewer"], printed_name="Q. A.")
with transaction.atomic():
    services.write_signature(signer=qa, meaning="release", object_type="lot", object_id="L-1", record={"lot": "L-1"})
with transaction.atomic():
    services.invalidate_signature(actor=qa, signature=Signature.objects.get(), reason="drill")
for i in range(int(sys.argv[1])):
    with transaction.atomic():
        services.record_event(actor=None, action="drill.change", object_type="thing", object_id=i, after={"i": i})
"""

TRIGGERS_SQLITE = (
    "audit_auditevent_no_update audit_auditevent_no_delete audit_signature_no_update audit_signature_no_delete "
    "audit_signatureinvalidation_no_update audit_signatureinvalidation_no_delete "
    "audit_chainhead_genesis_only audit_chainhead_advance_only audit_chainhead_no_delete"
).split()
TRIGGERS_PG = [
    (f"{t}_{n}", t)
    for t in ("audit_auditevent", "audit_signature", "audit_signatureinvalidation", "audit_chainhead")
    for n in ("append_only", "no_truncate", "guard")
]


class Backend:
    def __init__(self, kind: str, home: Path, base_url: str | None, template: Backend | None = None):
        """A fresh home and database; a copy of `template`'s (set up once: migrating is slow)."""
        self.kind, self.home, self.base_url = kind, home, base_url
        if template is not None:
            shutil.rmtree(home)
            shutil.copytree(template.home, home)
        self.env = {**os.environ, "EVQMS_HOME": str(home), "EVQMS_AUDIT_CHECKPOINT_EVERY": str(EVERY)}
        self.env.pop("EVQMS_AUDIT_CHECKPOINTS", None)
        self.env.pop("DATABASE_URL", None)
        self.env.pop("DATABASE_OWNER_URL", None)
        if kind == "postgresql":
            self.dbname = f"evqms_drill_{uuid.uuid4().hex[:8]}"
            copy = f" TEMPLATE {template.dbname}" if template is not None else ""
            self.admin(f"CREATE DATABASE {self.dbname}{copy}", db="postgres")
            self.env["DATABASE_URL"] = f"{base_url}/{self.dbname}"

    def admin(self, sql: str, db: str | None = None, user: str | None = None):
        import psycopg

        url = f"{self.base_url}/{db or self.dbname}"
        with psycopg.connect(url, autocommit=True, **({"user": user} if user else {})) as conn:
            cur = conn.execute(sql)
            return cur.fetchall() if sql.lstrip().upper().startswith("SELECT") else None

    def sql(self, *statements: str):
        """Plain SQL as the owner of the tables, past the triggers."""
        if self.kind == "sqlite":
            db = sqlite3.connect(self.home / "evqms.sqlite3")
            for name in TRIGGERS_SQLITE:
                db.execute(f"DROP TRIGGER IF EXISTS {name}")
            for s in statements:
                db.execute(s)
            db.commit()
            db.close()
        else:
            drops = [f"DROP TRIGGER IF EXISTS {n} ON {t}" for n, t in TRIGGERS_PG]
            for s in [*drops, *statements]:
                self.admin(s)

    def scalar(self, sql: str):
        if self.kind == "sqlite":
            db = sqlite3.connect(self.home / "evqms.sqlite3")
            value = db.execute(sql).fetchone()[0]
            db.close()
            return value
        return self.admin(sql)[0][0]

    def close(self):
        if self.kind == "postgresql":
            self.admin(f"DROP DATABASE IF EXISTS {self.dbname} WITH (FORCE)", db="postgres")
        shutil.rmtree(self.home, ignore_errors=True)


def setup(b: Backend, events: int = EVENTS) -> None:
    subprocess.run([sys.executable, "-c", SETUP, str(events)], env=b.env, check=True)


def verify(b: Backend, *extra: str) -> tuple[bool, str]:
    done = subprocess.run([*EVQMS, "audit", "verify", *extra], env=b.env, capture_output=True, text=True)
    text = (done.stdout.strip() or done.stderr.strip()).splitlines()
    return done.returncode != 0, text[0] if text else ""


def checkpoint_file(b: Backend) -> Path:
    return b.home / "audit-checkpoints.log"


# --- the cases: each tampers, returns nothing; verify decides -----------------------------------


def delete_newest_events(b):
    last = b.scalar("SELECT max(seq) FROM audit_auditevent")
    b.sql(f"DELETE FROM audit_auditevent WHERE seq > {last - 3}")


def delete_newest_and_set_head_back(b):
    last = b.scalar("SELECT max(seq) FROM audit_auditevent")
    keep = last - 8  # past the latest checkpoint
    digest = b.scalar(f"SELECT hash FROM audit_auditevent WHERE seq = {keep}")
    b.sql(
        f"DELETE FROM audit_auditevent WHERE seq > {keep}",
        f"UPDATE audit_chainhead SET seq = {keep}, hash = '{digest}'",
    )


def delete_signature_row(b):
    b.sql("DELETE FROM audit_signatureinvalidation", "DELETE FROM audit_signature")


def alter_signature_row(b):
    b.sql("UPDATE audit_signature SET reason = 'another reason'")


def drop_triggers_and_truncate(b):
    if b.kind == "sqlite":
        b.sql("DELETE FROM audit_auditevent", "DELETE FROM audit_chainhead")
    else:
        b.sql("TRUNCATE audit_auditevent, audit_chainhead")


def edit_chainhead(b):
    b.sql("UPDATE audit_chainhead SET seq = seq - 2")


def replace_checkpoint_file(b):
    older = b.home / "older.log"
    path = checkpoint_file(b)
    lines = path.read_text().splitlines(keepends=True) if path.exists() else []
    older.write_text("".join(lines[:1]))  # as it was after the first checkpoint
    shutil.copy(older, path)


def forge_checkpoint_line(b):
    path = checkpoint_file(b)
    if path.exists():
        last = path.read_text().splitlines()[-1]
        with path.open("a") as fh:
            fh.write(last.replace("seq=", "seq=9") + "\n")


def delete_checkpoint_file(b):
    checkpoint_file(b).unlink(missing_ok=True)


CASES = [
    ("delete the 3 newest events", delete_newest_events),
    ("delete the newest events and set the stored head back", delete_newest_and_set_head_back),
    ("delete a signature row (and its invalidation)", delete_signature_row),
    ("alter a signature row", alter_signature_row),
    ("drop the triggers and truncate the events and head", drop_triggers_and_truncate),
    ("edit audit_chainhead", edit_chainhead),
    ("replace the checkpoint file with an older copy", replace_checkpoint_file),
    ("append a forged checkpoint line", forge_checkpoint_line),
    ("delete the checkpoint file", delete_checkpoint_file),
]


def app_role_cases(b: Backend) -> list[tuple[str, bool, str]]:
    """PostgreSQL: the same attempts as the application's role are refused by the database."""
    import psycopg

    role = f"{b.dbname}_app"
    grant = subprocess.run(
        [*EVQMS, "audit", "grant-app-role", role, "--create"], env=b.env, capture_output=True, text=True
    )
    if grant.returncode != 0:
        return [("grant the application's role", False, grant.stderr.strip()[:120])]
    out = []
    attempts = [
        "DELETE FROM audit_auditevent WHERE seq > 25",
        "UPDATE audit_auditevent SET reason = 'x'",
        "TRUNCATE audit_auditevent CASCADE",
        "DELETE FROM audit_signature",
        "DROP TRIGGER audit_auditevent_append_only ON audit_auditevent",
        "UPDATE audit_chainhead SET seq = seq - 2",
        "SELECT set_config('evqms.allow_purge', 'on', false); DELETE FROM audit_auditevent",
    ]
    try:
        for sql in attempts:
            try:
                with psycopg.connect(f"{b.base_url}/{b.dbname}", user=role, autocommit=True) as conn:
                    conn.execute(sql)
                out.append((f"app role: {sql}", False, "allowed"))
            except psycopg.Error as exc:
                out.append((f"app role: {sql}", True, str(exc).splitlines()[0]))
    finally:
        b.admin(f'DROP OWNED BY "{role}"')
        b.admin(f'DROP ROLE "{role}"', db="postgres")
    return out


def run(kind: str, base_url: str | None) -> int:
    missed = 0
    print(f"== {kind}")
    template = Backend(kind, Path(tempfile.mkdtemp(prefix="evqms-drill-")), base_url)
    try:
        setup(template)
        for title, refused, why in app_role_cases(template) if kind == "postgresql" else ():
            missed += 0 if refused else 1
            print(
                f"  {'refused' if refused else 'ALLOWED':<11} {title}\n              {why[:150]}", flush=True
            )
        for title, tamper in CASES:
            missed += case(kind, base_url, template, title, tamper)
    finally:
        template.close()
    return missed


def case(kind, base_url, template, title, tamper) -> int:
    b = Backend(kind, Path(tempfile.mkdtemp(prefix="evqms-drill-")), base_url, template)
    try:
        before, _ = verify(b)
        tamper(b)
        caught, line = verify(b)
    finally:
        b.close()
    flag = "caught" if caught and not before else "NOT CAUGHT"
    print(f"  {flag:<11} {title}\n              {line[:150]}", flush=True)
    return 0 if caught and not before else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--postgres", help="server URL without a database, e.g. postgres://postgres@127.0.0.1:5432"
    )
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    missed = 0
    if args.only != "postgresql":
        missed += run("sqlite", None)
    if args.postgres and args.only != "sqlite":
        missed += run("postgresql", args.postgres.rstrip("/"))
    print(f"not caught: {missed}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())

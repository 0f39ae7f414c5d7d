"""SQLite's side of a backup: the online backup API's consistent copy, and what a copy holds."""

from __future__ import annotations

import sqlite3
from pathlib import Path


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

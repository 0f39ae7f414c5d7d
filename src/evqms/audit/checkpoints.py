"""Checkpoints of the audit chain kept outside the database.

Whoever can write to the database can delete the newest events and set the stored head back, and
the chain would still be consistent. So the head (sequence number, hash, time) is also appended,
with an HMAC-SHA256 made with a key that is not in the database, to a file in EVQMS_HOME every N
events and on the first write of each day, and can be copied off the machine (a hook command, or
`evqms audit checkpoint --print`). `evqms audit verify` then checks the chain against the latest
checkpoint: a chain shorter than it, or with another hash at its sequence number, is broken.

Each checkpoint is also an `audit.checkpoint` event in the chain, so a checkpoint file that was
replaced by an older copy or emptied is named by the chain itself.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import os
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from evqms.core import keyfile

log = logging.getLogger(__name__)

ACTION = "audit.checkpoint"
MAGIC = "evqms-audit-checkpoint"
VERSION = "v1"
HOOK_TIMEOUT_S = 30


def enabled() -> bool:
    return bool(getattr(settings, "AUDIT_CHECKPOINTS", True))


def every() -> int:
    return max(1, int(getattr(settings, "AUDIT_CHECKPOINT_EVERY", 100)))


def file_path() -> Path:
    configured = getattr(settings, "AUDIT_CHECKPOINT_FILE", None)
    return Path(configured) if configured else Path(settings.EVQMS_HOME) / "audit-checkpoints.log"


def key_path() -> Path:
    configured = getattr(settings, "AUDIT_CHECKPOINT_KEY_FILE", None)
    return Path(configured) if configured else Path(settings.EVQMS_HOME) / "audit-checkpoint.key"


def hook_command() -> str:
    return getattr(settings, "AUDIT_CHECKPOINT_HOOK", "") or ""


def load_key(*, create: bool) -> bytes | None:
    """The MAC key; made on first use when `create` (evqms.core.keyfile). Without `create`, a
    missing or empty key file gives None: verify reports the checkpoints it cannot check."""
    if create:
        return bytes.fromhex(keyfile.read_or_create(key_path()))
    try:
        text = keyfile.read(key_path())
    except keyfile.DamagedKey:
        return None
    return bytes.fromhex(text) if text else None


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    at: dt.datetime
    mac: str
    line_no: int = 0

    @property
    def at_text(self) -> str:
        return _at_text(self.at)

    def line(self) -> str:
        return f"{MAGIC} {VERSION} seq={self.seq} hash={self.hash} at={self.at_text} mac={self.mac}"

    def mac_ok(self, key: bytes) -> bool:
        return hmac.compare_digest(self.mac, compute_mac(key, self.seq, self.hash, self.at))

    def to_dict(self) -> dict:
        return {"seq": self.seq, "hash": self.hash, "at": self.at_text}


def _at_text(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def compute_mac(key: bytes, seq: int, digest: str, at: dt.datetime) -> str:
    message = f"{VERSION}|{seq}|{digest}|{_at_text(at)}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def make(seq: int, digest: str, at: dt.datetime) -> Checkpoint:
    key = load_key(create=True)
    return Checkpoint(seq, digest, at, compute_mac(key, seq, digest, at))


def parse_line(text: str, line_no: int = 0) -> Checkpoint:
    """One checkpoint line; ValueError when it is not one (the MAC is checked separately)."""
    parts = text.strip().split()
    if len(parts) != 6 or parts[0] != MAGIC or parts[1] != VERSION:
        raise ValueError("not an evqms checkpoint line")
    fields = dict(p.split("=", 1) for p in parts[2:] if "=" in p)
    if set(fields) != {"seq", "hash", "at", "mac"}:
        raise ValueError("not an evqms checkpoint line")
    seq = int(fields["seq"])
    at = dt.datetime.fromisoformat(fields["at"].replace("Z", "+00:00"))
    if at.tzinfo is None or seq < 0 or len(fields["hash"]) != 64 or len(fields["mac"]) != 64:
        raise ValueError("not an evqms checkpoint line")
    return Checkpoint(seq, fields["hash"], at, fields["mac"], line_no)


def read_lines() -> list[tuple[int, str]] | None:
    """(line number, text) of every non-empty line, or None when there is no checkpoint file."""
    path = file_path()
    try:
        raw = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return None
    return [(n, text) for n, text in enumerate(raw.splitlines(), start=1) if text.strip()]


def latest_line() -> str | None:
    lines = read_lines()
    return lines[-1][1].strip() if lines else None


def append(checkpoint: Checkpoint) -> None:
    """Append one line (created 0600, only ever appended to), then hand it to the hook."""
    path = file_path()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (checkpoint.line() + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    run_hook(checkpoint.line())


# The newest committed checkpoint this process has seen, per database: (seq, local date of its
# time). Checkpoints only accumulate, so while the head is fewer than `every()` events past it and
# it is of today, none is due: the audited write then skips the query that would say so.
_known: dict[tuple, tuple[int, dt.date]] = {}


def _db_key() -> tuple:
    from django.db import connection

    return (connection.alias, connection.settings_dict.get("NAME"))


def known_not_due(head_seq: int, today: dt.date) -> bool:
    """True when a committed checkpoint proves that none is due before event `head_seq + 1`."""
    key = _db_key()
    known = _known.get(key)
    if known is None:
        return False
    seq, day = known
    if head_seq < seq:  # the chain is shorter than when we looked (a restored or new database)
        _known.pop(key, None)
        return False
    return head_seq - seq < every() and day == today


def known_today(today: dt.date) -> int | None:
    """The sequence number of the newest committed checkpoint this process knows, when it is of
    `today`; the head's number is then checked against it as `known_not_due` does (`head >= it`
    and `head - it < every()`), by the database under the head's lock."""
    known = _known.get(_db_key())
    return known[0] if known is not None and known[1] == today else None


def remember(seq: int, day: dt.date) -> None:
    """Note a checkpoint seen (or written) in the current transaction, once that commits: a rolled
    back one must not stand in for a checkpoint."""
    from django.db import transaction

    key = _db_key()

    def note():
        known = _known.get(key)
        if known is None or seq >= known[0]:
            _known[key] = (seq, day)

    transaction.on_commit(note)


def run_hook(line: str) -> bool:
    """Copy the checkpoint off the machine: the configured command gets the line on stdin.

    A failing hook does not undo the checkpoint (it is committed and written); it is logged."""
    command = hook_command()
    if not command:
        return True
    try:
        done = subprocess.run(
            shlex.split(command),
            input=line + "\n",
            text=True,
            capture_output=True,
            timeout=HOOK_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.error("audit checkpoint hook %r failed: %s", command, exc)
        return False
    if done.returncode != 0:
        log.error("audit checkpoint hook %r exited %s: %s", command, done.returncode, done.stderr.strip())
        return False
    return True

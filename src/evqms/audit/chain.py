"""The hash chain: how an event's hash is computed, and how the chain is verified."""

from __future__ import annotations

import json
from dataclasses import dataclass

from evqms.core.canonical import canonical_json, sha256_hex

GENESIS = "0" * 64


def event_hash(
    *,
    seq,
    occurred_at,
    actor_id,
    actor_name,
    action,
    object_type,
    object_id,
    before: str,
    after: str,
    reason: str,
    prev_hash: str,
) -> str:
    payload = {
        "seq": seq,
        "occurred_at": occurred_at,
        "actor_id": actor_id,
        "actor_name": actor_name,
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id),
        "before": before,
        "after": after,
        "reason": reason,
        "prev_hash": prev_hash,
    }
    return sha256_hex(canonical_json(payload))


def hash_of_row(row) -> str:
    return event_hash(
        seq=row.seq,
        occurred_at=row.occurred_at,
        actor_id=row.actor_id,
        actor_name=row.actor_name,
        action=row.action,
        object_type=row.object_type,
        object_id=row.object_id,
        before=row.before,
        after=row.after,
        reason=row.reason,
        prev_hash=row.prev_hash,
    )


@dataclass
class VerifyResult:
    ok: bool
    events: int
    head_hash: str
    broken_seq: int | None = None
    problem: str | None = None  # an English key; the CLI translates it

    def to_dict(self) -> dict:
        return {
            "ok": self.ok,
            "events": self.events,
            "head_hash": self.head_hash,
            "broken_seq": self.broken_seq,
            "problem": self.problem,
        }


def verify_rows(rows, expect_head: str | None = None) -> VerifyResult:
    """Replay the chain over rows in sequence order; name the first broken link."""
    prev = GENESIS
    expected_seq = 1
    count = 0
    for row in rows:
        count += 1
        if row.seq != expected_seq:
            problem = "missing" if row.seq > expected_seq else "reordered"
            return VerifyResult(False, count, prev, expected_seq, problem)
        if row.prev_hash != prev:
            return VerifyResult(False, count, prev, row.seq, "reordered")
        for text in (row.before, row.after):
            if text:
                try:
                    json.loads(text)
                except ValueError:
                    return VerifyResult(False, count, prev, row.seq, "edited")
        if hash_of_row(row) != row.hash:
            return VerifyResult(False, count, prev, row.seq, "edited")
        prev = row.hash
        expected_seq += 1
    if expect_head and expect_head != prev:
        return VerifyResult(False, count, prev, None, "head-mismatch")
    return VerifyResult(True, count, prev)

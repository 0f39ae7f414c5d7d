"""The hash chain: how an event's hash is computed, and how the chain is verified."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

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


def signature_row_hash(sig) -> str:
    """The hash of a signature row as stored: its audit event carries it, so a deleted or altered
    signature row no longer matches the tamper-evident chain."""
    return sha256_hex(
        canonical_json(
            {
                "id": sig.pk,
                "signer_id": sig.signer_id,
                "printed_name": sig.printed_name,
                "signed_at": sig.signed_at,
                "meaning": sig.meaning,
                "reason": sig.reason,
                "object_type": sig.object_type,
                "object_id": str(sig.object_id),
                "record_hash": sig.record_hash,
                "record": sig.record,
            }
        )
    )


def invalidation_row_hash(inv) -> str:
    return sha256_hex(
        canonical_json(
            {
                "id": inv.pk,
                "signature_id": inv.signature_id,
                "invalidated_by_id": inv.invalidated_by_id,
                "invalidated_at": inv.invalidated_at,
                "reason": inv.reason,
            }
        )
    )


@dataclass
class Finding:
    """One thing wrong with the trail: `problem` is an English key the CLI and pages translate,
    `detail` the values its message names (sequence numbers, signature ids, times)."""

    problem: str
    seq: int | None = None
    detail: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"problem": self.problem, "seq": self.seq, **self.detail}


@dataclass
class VerifyResult:
    ok: bool
    events: int
    head_hash: str
    broken_seq: int | None = None
    problem: str | None = None  # the first finding's key; the CLI translates it
    findings: list[Finding] = field(default_factory=list)
    last_seq: int = 0
    checkpoint: dict | None = None  # the latest valid checkpoint: seq, hash, at

    def add(self, problem: str, seq: int | None = None, **detail) -> None:
        if not self.findings:
            self.broken_seq, self.problem = seq, problem
        self.findings.append(Finding(problem, seq, detail))
        self.ok = False

    def to_dict(self) -> dict:
        return {
            "ok": self.ok,
            "events": self.events,
            "head_hash": self.head_hash,
            "broken_seq": self.broken_seq,
            "problem": self.problem,
            "findings": [f.to_dict() for f in self.findings],
            "checkpoint": self.checkpoint,
        }


def verify_rows(rows, expect_head: str | None = None, visit=None) -> VerifyResult:
    """Replay the chain over rows in sequence order; name the first broken link.

    `visit(row)` sees every row that links correctly (the checks of signatures and checkpoints
    collect what they need on the one pass)."""
    prev = GENESIS
    expected_seq = 1
    count = 0
    for row in rows:
        count += 1
        if row.seq != expected_seq:
            problem = "missing" if row.seq > expected_seq else "reordered"
            return _broken(count, prev, expected_seq, problem)
        if row.prev_hash != prev:
            return _broken(count, prev, row.seq, "reordered")
        for text in (row.before, row.after):
            if text:
                try:
                    json.loads(text)
                except ValueError:
                    return _broken(count, prev, row.seq, "edited")
        if hash_of_row(row) != row.hash:
            return _broken(count, prev, row.seq, "edited")
        if visit is not None:
            visit(row)
        prev = row.hash
        expected_seq += 1
    result = VerifyResult(True, count, prev, last_seq=expected_seq - 1)
    if expect_head and expect_head != prev:
        result.add("head-mismatch")
    return result


def _broken(count: int, prev: str, seq: int, problem: str) -> VerifyResult:
    result = VerifyResult(True, count, prev, last_seq=seq - 1)
    result.add(problem, seq)
    return result

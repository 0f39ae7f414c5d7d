"""The hash chain: how an event's hash is computed, and how the chain is verified."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field

from evqms.core.canonical import canonical_json, sha256_hex

GENESIS = "0" * 64

# An event row as verification reads it: the hashed fields in `event_hash`'s order, then the hash.
ROW_FIELDS = (
    "seq",
    "occurred_at",
    "actor_id",
    "actor_name",
    "action",
    "object_type",
    "object_id",
    "before",
    "after",
    "reason",
    "prev_hash",
    "hash",
)
_json_str = json.encoder.encode_basestring  # the string encoder of json.dumps(ensure_ascii=False)
_UTC = dt.UTC


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


def at_text(occurred_at) -> str | None:
    """canonical_json's text of an event time (aware, in UTC, microseconds, 'Z'); None for anything
    else (a naive time, not a time), which `event_hash` then judges."""
    if type(occurred_at) is not dt.datetime or occurred_at.tzinfo is None:
        return None
    return occurred_at.astimezone(_UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def row_hash(seq, at, actor_id, actor_name, action, object_type, object_id, before, after, reason, prev_hash):
    """`event_hash` of a row as read from the database, without the generic canonical encoder.

    `at` is the time as `at_text` gives it. The JSON is written out in canonical_json's key
    order with json's own string encoder, so it is byte for byte what `event_hash` hashes (a test
    holds the two together); a value of another type goes through `event_hash` itself.
    """
    if (
        type(seq) is not int
        or type(at) is not str
        or not (actor_id is None or type(actor_id) is int)
        or type(actor_name) is not str
        or type(action) is not str
        or type(object_type) is not str
        or type(object_id) is not str
        or type(before) is not str
        or type(after) is not str
        or type(reason) is not str
        or type(prev_hash) is not str
    ):
        return None
    before_prev, before_seq = hashed_text_around(
        at, actor_id, actor_name, action, object_type, object_id, before, after, reason
    )
    text = f"{before_prev}{_json_str(prev_hash)}{before_seq}{seq}}}"
    return hashlib.sha256(text.encode()).hexdigest()


def hashed_text_around(at, actor_id, actor_name, action, object_type, object_id, before, after, reason):
    """The text `row_hash` hashes but for the previous hash (a JSON string) and the sequence number,
    which only the chain head gives: (the text before the previous hash, the text between it and
    the number); the number is followed by "}". PostgreSQL joins them under the head's lock
    (`services._append_in_one_statement`)."""
    return (
        f'{{"action":{_json_str(action)},"actor_id":{"null" if actor_id is None else actor_id},'
        f'"actor_name":{_json_str(actor_name)},"after":{_json_str(after)},"before":{_json_str(before)},'
        f'"object_id":{_json_str(object_id)},"object_type":{_json_str(object_type)},'
        f'"occurred_at":{_json_str(at)},"prev_hash":',
        f',"reason":{_json_str(reason)},"seq":',
    )


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


def verify_rows(rows, expect_head: str | None = None, visit=None, time_text=None) -> VerifyResult:
    """Replay the chain over rows in sequence order; name the first broken link.

    A row is a tuple in `ROW_FIELDS` order. Its time is a datetime, or text: the canonical text
    itself (`at_text`), or what `time_text(value)` turns into it (None when it cannot).
    `visit(row)` sees every row that links correctly (the checks of signatures and checkpoints
    collect what they need on the one pass)."""
    prev = GENESIS
    expected_seq = 1
    count = 0
    loads = json.loads
    for row in rows:
        (
            seq,
            at,
            actor_id,
            actor_name,
            action,
            object_type,
            object_id,
            before,
            after,
            reason,
            prev_hash,
            digest,
        ) = row
        count += 1
        if seq != expected_seq:
            problem = "missing" if seq > expected_seq else "reordered"
            return _broken(count, prev, expected_seq, problem)
        if prev_hash != prev:
            return _broken(count, prev, seq, "reordered")
        try:
            if before:
                loads(before)
            if after:
                loads(after)
        except (ValueError, TypeError):
            return _broken(count, prev, seq, "edited")
        text = time_text(at) if time_text is not None else at if type(at) is str else at_text(at)
        computed = text is not None and row_hash(
            seq, text, actor_id, actor_name, action, object_type, object_id, before, after, reason, prev_hash
        )
        if not computed:  # a value of an unexpected type: the generic encoder decides (or refuses)
            computed = event_hash(
                seq=seq,
                occurred_at=at,
                actor_id=actor_id,
                actor_name=actor_name,
                action=action,
                object_type=object_type,
                object_id=object_id,
                before=before,
                after=after,
                reason=reason,
                prev_hash=prev_hash,
            )
        if computed != digest:
            return _broken(count, prev, seq, "edited")
        if visit is not None:
            visit(row)
        prev = digest
        expected_seq += 1
    result = VerifyResult(True, count, prev, last_seq=expected_seq - 1)
    if expect_head and expect_head != prev:
        result.add("head-mismatch")
    return result


def _broken(count: int, prev: str, seq: int, problem: str) -> VerifyResult:
    result = VerifyResult(True, count, prev, last_seq=seq - 1)
    result.add(problem, seq)
    return result

"""An event as an inspector reads it: before and after side by side, field by field, the changed
fields marked, nested values written out; whatever was stored (huge, not JSON, not an object,
deeply nested) is shown as text rather than failing."""

from __future__ import annotations

import json
from dataclasses import dataclass

from evqms.audit import keys
from evqms.audit.chain import event_hash
from evqms.audit.models import SIGNATURE_MEANINGS, AuditEvent, Signature
from evqms.core.timefmt import display_local, iso_local

MISSING = object()
# Nested objects are flattened into dotted names to this depth; deeper ones are shown as JSON.
FLATTEN_DEPTH = 6


@dataclass(frozen=True)
class FieldRow:
    name: str
    before: str
    after: str
    in_before: bool
    in_after: bool

    @property
    def changed(self) -> bool:
        return self.in_before != self.in_after or self.before != self.after

    @property
    def state(self) -> str:
        if not self.in_before and self.in_after:
            return "added"
        if self.in_before and not self.in_after:
            return "removed"
        return "changed" if self.changed else "same"


def parse_stored(text: str):
    """The stored JSON as a value; MISSING for "" (no before/after); the text itself when it is not
    JSON that can be read (a deeply nested value raises RecursionError in json)."""
    if text is None or text == "":
        return MISSING
    try:
        return json.loads(text)
    except (ValueError, RecursionError, TypeError):
        return text


def value_text(value) -> str:
    if value is MISSING:
        return ""
    if isinstance(value, dict | list):
        try:
            return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True)
        except (ValueError, RecursionError, TypeError):
            return repr(value)[:100_000]
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _flatten(value, prefix: str = "", depth: int = 0) -> dict:
    if not isinstance(value, dict) or depth >= FLATTEN_DEPTH or (depth and not value):
        return {prefix: value}
    out = {}
    for name, item in value.items():
        out.update(_flatten(item, f"{prefix}.{name}" if prefix else str(name), depth + 1))
    return out


def compare(before_text: str, after_text: str) -> list[FieldRow]:
    """One row per field of before and after (nested fields by dotted name), in name order; a
    value that is not an object is one row named "(value)"."""
    before, after = parse_stored(before_text), parse_stored(after_text)
    objects = all(v is MISSING or isinstance(v, dict) for v in (before, after))
    if not objects:
        return [
            FieldRow(
                "(value)", value_text(before), value_text(after), before is not MISSING, after is not MISSING
            )
        ]
    flat_before = {} if before is MISSING else _flatten(before)
    flat_after = {} if after is MISSING else _flatten(after)
    rows = []
    for name in sorted(set(flat_before) | set(flat_after)):
        b, a = flat_before.get(name, MISSING), flat_after.get(name, MISSING)
        rows.append(FieldRow(name, value_text(b), value_text(a), b is not MISSING, a is not MISSING))
    return rows


@dataclass(frozen=True)
class SignatureView:
    signature: Signature | None
    signature_id: object
    meaning: str
    signed_at: str
    invalidated: bool


def signature_of(event: AuditEvent) -> SignatureView | None:
    """The signature a `signature.*` event recorded (None for other events); its row may be gone."""
    if not event.action.startswith("signature."):
        return None
    after = parse_stored(event.after)
    sid = after.get("signature_id") if isinstance(after, dict) else None
    if not isinstance(sid, int) or isinstance(sid, bool) or not 0 < sid < 2**63:
        return SignatureView(None, sid, "", "", False)
    sig = Signature.objects.filter(pk=sid).select_related("invalidation").first()
    if sig is None:
        return SignatureView(None, sid, "", "", False)
    return SignatureView(
        sig,
        sid,
        str(SIGNATURE_MEANINGS.get(sig.meaning, sig.meaning)),
        display_local(sig.signed_at, seconds=True),
        hasattr(sig, "invalidation"),
    )


def hash_recomputes(event: AuditEvent) -> bool:
    """Whether the event's stored hash is the hash of its stored fields (this event alone; the
    whole chain is verified on the trail page)."""
    try:
        return (
            event_hash(
                seq=event.seq,
                occurred_at=event.occurred_at,
                actor_id=event.actor_id,
                actor_name=event.actor_name,
                action=event.action,
                object_type=event.object_type,
                object_id=event.object_id,
                before=event.before,
                after=event.after,
                reason=event.reason,
                prev_hash=event.prev_hash,
            )
            == event.hash
        )
    except (TypeError, ValueError):
        return False


@dataclass(frozen=True)
class EventRow:
    """An event in a list: its record named by business key where the record still exists."""

    event: AuditEvent
    type_label: str
    name: str
    url: str
    when: str


def rows_for(events) -> list[EventRow]:
    """The page's events with their records' names (one query per kind of record on the page)."""
    events = list(events)
    names = keys.names_for((e.object_type, e.object_id) for e in events)
    out = []
    for e in events:
        name = names.get((e.object_type, e.object_id), "")
        out.append(
            EventRow(
                e,
                keys.type_label(e.object_type),
                name,
                keys.record_url(e.object_type, name),
                display_local(e.occurred_at, seconds=True),
            )
        )
    return out


def _stored(text: str):
    value = parse_stored(text)
    return None if value is MISSING else value


def event_json(row: EventRow) -> dict:
    """An event as the API and `evqms audit search --format json` give it."""
    e = row.event
    return {
        "seq": e.seq,
        "occurred_at": iso_local(e.occurred_at),
        "actor": e.actor_name,
        "action": e.action,
        "object_type": e.object_type,
        "object_id": e.object_id,
        "record": row.name,
        "reason": e.reason,
        "before": _stored(e.before),
        "after": _stored(e.after),
        "prev_hash": e.prev_hash,
        "hash": e.hash,
    }

"""Reads of the audit trail and signatures, and the audit trail's dashboard card."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from django.db import connection
from django.db.models import TextField
from django.db.models.expressions import RawSQL

from evqms.audit import checkpoints
from evqms.audit.chain import (
    ROW_FIELDS,
    VerifyResult,
    at_text,
    invalidation_row_hash,
    signature_row_hash,
    verify_rows,
)
from evqms.audit.models import AuditEvent, ChainHead, Signature, SignatureInvalidation
from evqms.core.canonical import canonical_hash
from evqms.i18n import _


def verify_chain(expect_head: str | None = None, external_checkpoints: list[str] = ()) -> VerifyResult:
    """Replay the chain, then hold it against what it must agree with: the stored head, the
    checkpoints outside the database, and the signature rows.

    What can only grow is read first (head, checkpoint file, signatures), the events last, so an
    event appended meanwhile by another user is never mistaken for a missing one."""
    head = ChainHead.objects.filter(pk=1).values_list("seq", "hash").first()
    file_lines = checkpoints.read_lines()
    sig_rows = {s.pk: s for s in Signature.objects.all()}
    inv_rows = {i.signature_id: i for i in SignatureInvalidation.objects.all()}
    parsed, bad_lines = _parse_checkpoints(file_lines, external_checkpoints)
    wanted = {cp.seq for cp in parsed} | ({head[0]} if head else set())
    seen_hash: dict[int, str] = {}
    cp_events: dict[int, str] = {}
    sig_events: dict[int, tuple[int, dict]] = {}
    inv_events: dict[int, tuple[int, dict]] = {}

    def visit(row):
        seq, action, digest = row[0], row[4], row[11]
        if seq in wanted:
            seen_hash[seq] = digest
        if action == checkpoints.ACTION:
            cp_events[seq] = digest
        elif action.startswith("signature."):
            after = json.loads(row[8]) if row[8] else {}
            if not isinstance(after, dict) or "signature_id" not in after:
                return
            target = inv_events if action == "signature.invalidate" else sig_events
            target.setdefault(after["signature_id"], (seq, after))

    rows, time_text = _event_rows()
    result = verify_rows(rows, expect_head=expect_head, visit=visit, time_text=time_text)
    if result.problem in ("missing", "reordered", "edited"):
        return result  # the rest compares against a chain that is already broken
    _check_stored_head(result, head, seen_hash)
    _check_checkpoints(result, file_lines, parsed, bad_lines, seen_hash, cp_events)
    _check_signatures(result, sig_rows, inv_rows, sig_events, inv_events)
    return result


# Rows fetched per round trip (a server-side cursor on PostgreSQL: memory stays flat at any size).
VERIFY_CHUNK = 10_000


def _event_rows():
    """Every event as a `ROW_FIELDS` tuple in sequence order, and how to read its time as text.

    Plain tuples, not model instances, and the time as text, not a datetime made by Django's
    converter per row: PostgreSQL writes the canonical text itself (`to_char`, microseconds,
    UTC); SQLite's stored text is read by `datetime.fromisoformat` (`_sqlite_time_text`)."""
    fields = list(ROW_FIELDS)
    qs = AuditEvent.objects.order_by("seq")
    time_text = None
    if connection.vendor == "postgresql":
        sql = "to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
        qs, fields[1] = qs.annotate(at_text=RawSQL(sql, (), output_field=TextField())), "at_text"
    elif connection.vendor == "sqlite":
        qs, fields[1] = qs.annotate(at_raw=RawSQL("occurred_at", (), output_field=TextField())), "at_raw"
        time_text = _sqlite_time_text
    # Any other database: Django's datetimes, turned into text by the chain.
    return qs.values_list(*fields).iterator(chunk_size=VERIFY_CHUNK), time_text


def _sqlite_time_text(raw):
    """The canonical text of a time as SQLite stores it ('2024-01-01 00:00:00.000001', UTC)."""
    try:
        value = dt.datetime.fromisoformat(raw)
    except (TypeError, ValueError):  # not ISO text: whatever Django's own converter makes of it
        try:
            value = connection.ops.convert_datetimefield_value(raw, None, connection)
        except (TypeError, ValueError, AttributeError):  # unreadable: hashed as nothing, so found edited
            return None
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=connection.timezone)  # Django's make_aware, the connection's zone
    return at_text(value)


def _check_stored_head(result: VerifyResult, head, seen_hash) -> None:
    last = result.last_seq
    if head is None:
        if last:
            result.add("stored-head-missing", None, events=last)
        return
    seq, digest = head
    if seq > last:
        result.add("stored-head-ahead", last + 1, first=last + 1, last=seq)
    elif seq < last:
        now = events_recorded()
        if now < last:  # not an append that landed while we read
            result.add("stored-head-behind", seq + 1, head=now, last=last)
        elif seen_hash.get(seq) != digest:
            result.add("stored-head-differs", seq, head=seq)
    elif digest != result.head_hash:
        result.add("stored-head-differs", seq, head=seq)


def _parse_checkpoints(file_lines, external):
    key = checkpoints.load_key(create=False)
    parsed, bad = [], []
    sources = [("file", n, text) for n, text in (file_lines or [])]
    sources += [("given", n, text) for n, text in enumerate(external, start=1)]
    for source, n, text in sources:
        try:
            cp = checkpoints.parse_line(text, n)
        except ValueError:
            bad.append((source, n, "format"))
            continue
        if key is None:
            bad.append((source, n, "no-key"))
        elif not cp.mac_ok(key):
            bad.append((source, n, "mac"))
        else:
            parsed.append(cp)
    return parsed, bad


def _check_checkpoints(result, file_lines, parsed, bad_lines, seen_hash, cp_events) -> None:
    last = result.last_seq
    for source, n, why in bad_lines:
        problem = "checkpoint-key-missing" if why == "no-key" else "checkpoint-bad"
        result.add(problem, None, line=n, source=source, path=str(checkpoints.file_path()))
    if file_lines is None:
        if cp_events:
            result.add(
                "checkpoint-file-missing",
                max(cp_events),
                count=len(cp_events),
                path=str(checkpoints.file_path()),
            )
    else:
        in_file = {(cp.seq, cp.hash) for cp in parsed}
        if any(item not in in_file for item in cp_events.items()):
            # A checkpoint committed while we read: its line is written just after the commit.
            again, _bad = _parse_checkpoints(checkpoints.read_lines(), ())
            in_file |= {(cp.seq, cp.hash) for cp in again}
        for seq, digest in sorted(cp_events.items()):
            if (seq, digest) not in in_file:
                result.add("checkpoint-line-missing", seq, path=str(checkpoints.file_path()))
                break
    if not parsed:
        return
    latest = max(parsed, key=lambda cp: (cp.seq, cp.at))
    result.checkpoint = {**latest.to_dict(), "since": max(0, last - latest.seq)}
    if latest.seq > last:
        result.add("checkpoint-ahead", last + 1, first=last + 1, last=latest.seq, at=latest.at)
    for cp in sorted(parsed, key=lambda cp: cp.seq):
        if cp.seq <= last and seen_hash.get(cp.seq) != cp.hash:
            result.add("checkpoint-differs", cp.seq, at=cp.at)
            break


def _check_signatures(result, sig_rows, inv_rows, sig_events, inv_events) -> None:
    for sid, (seq, after) in sorted(sig_events.items()):
        sig = sig_rows.get(sid) or Signature.objects.filter(pk=sid).first()
        if sig is None:
            result.add("signature-missing", seq, signature=sid)
        elif "row_hash" in after:
            if after["row_hash"] != signature_row_hash(sig):
                result.add("signature-altered", seq, signature=sid)
        elif (after.get("printed_name"), after.get("meaning"), after.get("record_hash")) != (
            sig.printed_name,
            sig.meaning,
            sig.record_hash,
        ):  # events written before rows were hashed whole name these three
            result.add("signature-altered", seq, signature=sid)
    for sid in sorted(set(sig_rows) - set(sig_events)):
        result.add("signature-unrecorded", None, signature=sid)
    for sid, (seq, after) in sorted(inv_events.items()):
        inv = inv_rows.get(sid) or SignatureInvalidation.objects.filter(signature_id=sid).first()
        if inv is None:
            result.add("invalidation-missing", seq, signature=sid)
        elif "row_hash" in after and after["row_hash"] != invalidation_row_hash(inv):
            result.add("invalidation-altered", seq, signature=sid)
    for sid in sorted(set(inv_rows) - set(inv_events)):
        result.add("invalidation-unrecorded", None, signature=sid)


def head_hash() -> tuple[int, str]:
    last = AuditEvent.objects.order_by("-seq").only("seq", "hash").first()
    if last is None:
        from evqms.audit.chain import GENESIS

        return 0, GENESIS
    return last.seq, last.hash


def chain_head_row() -> ChainHead | None:
    return ChainHead.objects.filter(pk=1).first()


def events_recorded() -> int:
    """The stored head's sequence number: the number of events, as the chain starts at 1 with no
    gap (`verify` proves it), without counting a table that only grows."""
    return ChainHead.objects.filter(pk=1).values_list("seq", flat=True).first() or 0


def events(
    *,
    object_type: str | None = None,
    object_id: str | None = None,
    actor: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    action: str | None = None,
):
    qs = AuditEvent.objects.select_related("actor").order_by("-seq")
    if object_type:
        qs = qs.filter(object_type=object_type)
    if object_id:
        qs = qs.filter(object_id=object_id)
    if actor:
        qs = qs.filter(actor_name=actor)
    if action:
        qs = qs.filter(action__startswith=action)
    if since:
        qs = qs.filter(occurred_at__date__gte=since)
    if until:
        qs = qs.filter(occurred_at__date__lte=until)
    return qs


@dataclass(frozen=True)
class SignatureStatus:
    signature: Signature
    invalidated: bool
    applies_to_current: (
        bool  # False: the record changed after signing; the signature covers an earlier version
    )

    @property
    def valid(self) -> bool:
        return not self.invalidated and self.applies_to_current


def signatures_for(object_type: str, object_id, current_record: dict | None = None) -> list[SignatureStatus]:
    current = canonical_hash(current_record) if current_record is not None else None
    sigs = Signature.objects.filter(object_type=object_type, object_id=str(object_id)).select_related(
        "invalidation", "signer"
    )
    out = []
    for sig in sigs:
        invalidated = hasattr(sig, "invalidation")
        out.append(SignatureStatus(sig, invalidated, current is None or sig.record_hash == current))
    return out


def dashboard_card(user) -> dict | None:
    if not user.has_perm("audit.view"):
        return None
    return {
        "title": _("Audit trail"),
        "value": events_recorded(),
        "caption": _("events recorded"),
        "url_name": "audit:trail",
    }

"""Writes to the audit trail and signatures. Every service in evqms calls `record_event` inside
its own transaction, so a rolled-back change leaves no event."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.contrib.auth import authenticate
from django.db import connection, transaction
from django.utils import timezone

from evqms.audit import checkpoints
from evqms.audit.chain import GENESIS, ROW_FIELDS, at_text, event_hash, hashed_text_around, row_hash
from evqms.audit.models import SIGNATURE_MEANINGS, AuditEvent, ChainHead, Signature, SignatureInvalidation
from evqms.audit.records import signature_invalidation_record, signature_record
from evqms.core.canonical import canonical_hash, canonical_json
from evqms.core.db import lock_for_update
from evqms.core.timefmt import local_date
from evqms.errors import InputError, RuleViolation
from evqms.i18n import _

SYSTEM_ACTOR = "system"


def _utc_now() -> dt.datetime:
    # Microsecond precision survives both databases, so the stored time hashes the same on replay.
    return timezone.now().astimezone(dt.UTC)


def record_event(
    *,
    actor,
    action: str,
    object_type: str,
    object_id,
    before: dict | None = None,
    after: dict | None = None,
    reason: str = "",
) -> AuditEvent:
    """Append one event to the chain. Must run inside the caller's transaction."""
    if not connection.in_atomic_block:
        raise RuntimeError("record_event must be called inside transaction.atomic()")
    if _one_round_trip():
        event = _append_in_one_statement(
            actor=actor,
            action=action,
            object_type=object_type,
            object_id=object_id,
            before=before,
            after=after,
            reason=reason,
        )
        if event is not None:
            return event
    head = _locked_head()
    if checkpoints.enabled():
        why = _checkpoint_due(head)
        if why:
            _append_checkpoint(head, why)
    return _append(
        head,
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        before=before,
        after=after,
        reason=reason,
    )


def _locked_head() -> ChainHead:
    # Every audited write runs this, and on PostgreSQL the others wait for its lock until commit:
    # one plain statement, not a get_or_create queryset (the ORM's Python cost was the larger part).
    table, pk = _quoted(ChainHead, "pk")
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT seq, hash FROM {table} WHERE {pk} = %s{lock}", [1])
        row = cursor.fetchone()
    if row is None:
        head, created = lock_for_update(ChainHead.objects.filter(pk=1)).get_or_create(
            pk=1, defaults={"seq": 0, "hash": GENESIS}
        )
        if created:  # lock the fresh row too, for the rest of this transaction (PostgreSQL)
            head = lock_for_update(ChainHead.objects.filter(pk=1)).get()
        return head
    head = ChainHead(pk=1, seq=row[0], hash=row[1])
    head._state.adding, head._state.db = False, connection.alias
    return head


def _quoted(model, *names) -> tuple[str, ...]:
    """The model's table and the named fields' columns, quoted for this database."""
    quote = connection.ops.quote_name
    meta = model._meta
    return (
        quote(meta.db_table),
        *(quote(meta.pk.column if n == "pk" else meta.get_field(n).column) for n in names),
    )


def _event_content(occurred_at, *, actor, action, object_type, object_id, before, after, reason) -> dict:
    """The hashed fields of an event that do not depend on the chain head, in `ROW_FIELDS` order
    (from the time to the reason)."""
    return dict(
        occurred_at=occurred_at,
        actor_id=actor.pk if actor is not None else None,
        actor_name=actor.get_username() if actor is not None else SYSTEM_ACTOR,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        before=canonical_json(before) if before is not None else "",
        after=canonical_json(after) if after is not None else "",
        reason=reason or "",
    )


def _event_fields(head: ChainHead, **event) -> dict:
    """The hashed fields of the event that follows `head` (`record_event` and `record_events`)."""
    return dict(seq=head.seq + 1, **_event_content(_utc_now(), **event), prev_hash=head.hash)


def _append(head: ChainHead, *, actor, action, object_type, object_id, before, after, reason) -> AuditEvent:
    fields = _event_fields(
        head,
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        before=before,
        after=after,
        reason=reason,
    )
    occurred_at = fields["occurred_at"]
    digest = event_hash(**fields)
    # Two plain statements instead of save() and update(): the same rows and the same triggers,
    # without the ORM's per-call Python cost while the head is locked.
    table, pk, *columns = _quoted(AuditEvent, "pk", *ROW_FIELDS)
    head_table, head_pk = _quoted(ChainHead, "pk")
    row = {**fields, "occurred_at": connection.ops.adapt_datetimefield_value(occurred_at), "hash": digest}
    values = [row[name] for name in ROW_FIELDS]
    returning = connection.features.can_return_columns_from_insert
    insert = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})" + (
        f" RETURNING {pk}" if returning else ""
    )
    # The database lets the head advance only by one, to this event's hash (migration 0003).
    update = f"UPDATE {head_table} SET seq = %s, hash = %s WHERE {head_pk} = %s"
    with connection.cursor() as cursor:
        if _one_round_trip():
            # Both statements in one round trip while the other writers wait for the head lock; two
            # commands still, so the head's trigger sees the event as when they are sent apart.
            cursor.execute(f"{insert}; {update}", [*values, fields["seq"], digest, 1])
            event_id = cursor.fetchone()[0]
        else:
            cursor.execute(insert, values)
            event_id = cursor.fetchone()[0] if returning else connection.ops.last_insert_id(cursor, table, pk)
            cursor.execute(update, [fields["seq"], digest, 1])
    event = AuditEvent(pk=event_id, **fields, hash=digest)
    event._state.adding, event._state.db = False, connection.alias
    head.seq, head.hash = event.seq, event.hash
    return event


def _append_in_one_statement(*, actor, action, object_type, object_id, before, after, reason):
    """PostgreSQL: lock the head, insert the event and move the head in one round trip, so the
    lock that every audited write waits for is held for that round trip and the commit only.

    The event's hashed text is written out before the lock but for the previous hash and the
    sequence number (`chain.hashed_text_around`); the database joins them with the locked head's
    and hashes the text (sha256) in the insert. The same chain, the same triggers. Returns None,
    having written nothing, when the database inserts no event: no head yet, or a checkpoint may
    be due (none known of today in this process, or the head `every()` past it); `record_event`
    then goes the way that reads the head first. The event's time is taken before the lock, so
    two events written at once may carry times out of their sequence order by the wait for it
    (milliseconds); the sequence is the chain's order, as before.
    """
    occurred_at = _utc_now()
    checkpoint_seq = checkpoints.known_today(local_date(occurred_at)) if checkpoints.enabled() else None
    if checkpoints.enabled() and checkpoint_seq is None:
        return None
    fields = _event_content(
        occurred_at,
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        before=before,
        after=after,
        reason=reason,
    )
    content = [fields[name] for name in ROW_FIELDS[2:-2]]  # the actor's id to the reason
    before_prev, before_seq = hashed_text_around(at_text(occurred_at), *content)
    table, pk, *columns = _quoted(AuditEvent, "pk", *ROW_FIELDS)
    head_table, head_pk, head_seq, head_hash = _quoted(ChainHead, "pk", "seq", "hash")
    seq_column, hash_column = columns[0], columns[-1]
    values = [connection.ops.adapt_datetimefield_value(occurred_at), *content]
    due, due_values = "", []
    if checkpoint_seq is not None:  # `checkpoints.known_not_due`, asked of the locked head
        due, due_values = (
            " WHERE h.seq >= %s AND h.seq - %s < %s",
            [checkpoint_seq] * 2 + [checkpoints.every()],
        )
    insert = (
        f"WITH h AS (SELECT {head_seq} AS seq, {head_hash} AS hash FROM {head_table} "
        f"WHERE {head_pk} = %s FOR UPDATE) "
        f"INSERT INTO {table} ({', '.join(columns)}) "
        f"SELECT h.seq + 1, {', '.join(['%s'] * len(values))}, h.hash, "
        f"encode(sha256(convert_to(%s || '\"' || h.hash || '\"' || %s || (h.seq + 1)::text || '}}', "
        f"'UTF8')), 'hex') FROM h{due} RETURNING {pk}, {seq_column}, {columns[-2]}, {hash_column}"
    )
    # The head moves to the event just inserted, if any (a second command: its guard sees the event).
    move = (
        f"UPDATE {head_table} SET {head_seq} = e.{seq_column}, {head_hash} = e.{hash_column} "
        f"FROM {table} e WHERE {head_table}.{head_pk} = %s AND e.{seq_column} = {head_table}.{head_seq} + 1"
    )
    with connection.cursor() as cursor:
        cursor.execute(f"{insert}; {move}", [1, *values, before_prev, before_seq, *due_values, 1])
        row = cursor.fetchone()
    if row is None:
        return None
    event_id, seq, prev_hash, digest = row
    if digest != row_hash(seq, at_text(occurred_at), *content, prev_hash):
        # The database hashed other bytes than verification will (its encoding is not UTF-8?):
        # refuse the write rather than store an event the chain would report as edited.
        raise RuntimeError("the database computed another audit event hash than evqms does")
    event = AuditEvent(pk=event_id, seq=seq, prev_hash=prev_hash, hash=digest, **fields)
    event._state.adding, event._state.db = False, connection.alias
    return event


def _one_round_trip() -> bool:
    """PostgreSQL with client-side parameter binding (Django's default for psycopg 3) takes
    several statements in one execute; server-side binding and SQLite take one."""
    options = connection.settings_dict.get("OPTIONS") or {}
    return connection.vendor == "postgresql" and not options.get("server_side_binding")


def _checkpoint_due(head: ChainHead) -> str:
    """Why a checkpoint is due before the next event ("" when none is)."""
    today = local_date(_utc_now())
    if checkpoints.known_not_due(head.seq, today):  # a query less on most writes, under the lock
        return ""
    last = (
        AuditEvent.objects.filter(action=checkpoints.ACTION)
        .order_by("-seq")
        .values_list("seq", "occurred_at")
        .first()
    )
    if last is None:
        return "first"
    checkpoints.remember(last[0], local_date(last[1]))
    if head.seq - last[0] >= checkpoints.every():
        return f"every {checkpoints.every()} events"
    if local_date(last[1]) != today:
        return "first write of the day"
    return ""


def _append_checkpoint(head: ChainHead, why: str) -> checkpoints.Checkpoint:
    """A checkpoint event, and its line in the checkpoint file once the transaction commits (a
    rolled-back transaction leaves neither: the file only ever names committed events)."""
    event = _append(
        head,
        actor=None,
        action=checkpoints.ACTION,
        object_type="audit",
        object_id="chain",
        before=None,
        after={"checkpointed_seq": head.seq, "every": checkpoints.every()},
        reason=why,
    )
    checkpoint = checkpoints.make(event.seq, event.hash, event.occurred_at)
    transaction.on_commit(lambda: checkpoints.append(checkpoint), robust=True)
    checkpoints.remember(event.seq, local_date(event.occurred_at))
    return checkpoint


def record_events(*, actor, events: Iterable[dict]) -> int:
    """Append `events` in order, each a dict of `record_event`'s arguments but the actor, exactly
    as that many `record_event` calls would: the same rows, hashes, chain order and checkpoints.
    The head is locked once and the events between checkpoints are written in bulk (an import of
    thousands of rows). Returns how many were appended; must run inside the caller's transaction."""
    if not connection.in_atomic_block:
        raise RuntimeError("record_events must be called inside transaction.atomic()")
    events = list(events)
    if not events:
        return 0
    head = _locked_head()
    newest = _newest_checkpoint() if checkpoints.enabled() else None
    pending: list[dict] = []
    for event in events:
        if checkpoints.enabled():
            why = _checkpoint_reason(head.seq, newest, local_date(_utc_now()))
            if why:  # where record_event would put it: after the events before it
                _write_events(pending)
                pending = []
                checkpoint = _append_checkpoint(head, why)
                newest = (checkpoint.seq, local_date(checkpoint.at))
        fields = _event_fields(head, actor=actor, **{"before": None, "after": None, "reason": "", **event})
        fields["hash"] = event_hash(**fields)
        head.seq, head.hash = fields["seq"], fields["hash"]
        pending.append(fields)
    _write_events(pending)
    return len(events)


def _newest_checkpoint() -> tuple[int, dt.date] | None:
    last = (
        AuditEvent.objects.filter(action=checkpoints.ACTION)
        .order_by("-seq")
        .values_list("seq", "occurred_at")
        .first()
    )
    return None if last is None else (last[0], local_date(last[1]))


def _checkpoint_reason(head_seq: int, newest: tuple[int, dt.date] | None, today: dt.date) -> str:
    """`_checkpoint_due`'s rule, given the newest checkpoint (seq, local date) already read."""
    if newest is None:
        return "first"
    if head_seq - newest[0] >= checkpoints.every():
        return f"every {checkpoints.every()} events"
    if newest[1] != today:
        return "first write of the day"
    return ""


def _write_events(rows: list[dict]) -> None:
    """Insert events built by `record_events`, then move the stored head through each in turn: its
    guard lets it advance one event at a time, to that event's hash (migration 0003)."""
    if not rows:
        return
    AuditEvent.objects.bulk_create([AuditEvent(**row) for row in rows])
    quote = connection.ops.quote_name
    table, pk = quote(ChainHead._meta.db_table), quote(ChainHead._meta.pk.column)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET seq = %s, hash = %s WHERE {pk} = %s",
            [(row["seq"], row["hash"], 1) for row in rows],
        )


@transaction.atomic
def write_checkpoint(*, actor=None, reason: str = "requested") -> checkpoints.Checkpoint:
    """A checkpoint now (`evqms audit checkpoint`, e.g. daily from cron)."""
    head = _locked_head()
    checkpoint = _append_checkpoint(head, reason or "requested")
    return checkpoint


class SignatureRefused(RuleViolation):
    """Wrong password, locked account, or a separation-of-duties breach."""


def check_signing_password(
    *, request, signer, password: str, prohibited: Iterable[tuple[int, str]] = ()
) -> None:
    """Separation of duties, then the re-entered password.

    Call this BEFORE opening the transaction that writes the signature: a wrong password is a
    failed login attempt that django-axes records, and a rollback must not erase that record.
    `prohibited` lists (user id, why) pairs that may not sign.
    """
    for user_id, why in prohibited:
        if user_id == signer.pk:
            raise SignatureRefused(why)
    checked = authenticate(request, username=signer.get_username(), password=password or "")
    if checked is None or checked.pk != signer.pk:
        raise SignatureRefused(_("The password is wrong or the account is locked: not signed."))


def write_signature(
    *, signer, meaning: str, object_type: str, object_id, record: dict, reason: str = ""
) -> Signature:
    """Write a signature whose password was checked by `check_signing_password` (inside the caller's transaction)."""
    if meaning not in SIGNATURE_MEANINGS:
        raise InputError(_("unknown signature meaning {meaning}").format(meaning=meaning), where="meaning")
    signature = Signature.objects.create(
        signer=signer,
        printed_name=signer.signature_name(),
        signed_at=_utc_now(),
        meaning=meaning,
        reason=reason,
        object_type=object_type,
        object_id=str(object_id),
        record_hash=canonical_hash(record),
        record=canonical_json(record),
    )
    record_event(
        actor=signer,
        action=f"signature.{meaning}",
        object_type=object_type,
        object_id=object_id,
        after=signature_record(signature),
        reason=reason,
    )
    return signature


def sign(
    *,
    request,
    signer,
    password: str,
    meaning: str,
    object_type: str,
    object_id,
    record: dict,
    reason: str = "",
    prohibited: Iterable[tuple[int, str]] = (),
) -> Signature:
    """Sign `record` (exactly what is signed: the app's `<model>_record`) with a freshly re-entered password."""
    if meaning not in SIGNATURE_MEANINGS:
        raise InputError(_("unknown signature meaning {meaning}").format(meaning=meaning), where="meaning")
    check_signing_password(request=request, signer=signer, password=password, prohibited=prohibited)
    with transaction.atomic():
        return write_signature(
            signer=signer,
            meaning=meaning,
            object_type=object_type,
            object_id=object_id,
            record=record,
            reason=reason,
        )


@transaction.atomic
def invalidate_signature(*, actor, signature: Signature, reason: str) -> SignatureInvalidation:
    if not reason.strip():
        raise InputError(_("a reason is required to invalidate a signature"), where="reason")
    if SignatureInvalidation.objects.filter(signature=signature).exists():
        raise RuleViolation(_("this signature is already invalidated"))
    inv = SignatureInvalidation.objects.create(
        signature=signature, invalidated_by=actor, invalidated_at=_utc_now(), reason=reason
    )
    record_event(
        actor=actor,
        action="signature.invalidate",
        object_type=signature.object_type,
        object_id=signature.object_id,
        before={"signature_id": signature.pk, "valid": True},
        after=signature_invalidation_record(inv),
        reason=reason,
    )
    return inv


EXPORT_ACTION = "audit.export"


@transaction.atomic
def record_export(
    *, actor, export_format: str, filters: dict, events: int, head_seq: int, head_hash: str, verified=None
) -> AuditEvent:
    """The export of a view of the trail is itself an event: who took which events out, and
    against which head of the chain (`verified`: the verification result at export time, or None
    when it was not run, as for a CSV)."""
    from evqms.errors import PermissionDenied

    if actor is None or not actor.has_perm("audit.view"):
        who = getattr(actor, "username", None) or _("anonymous")
        raise PermissionDenied(_("{user} may not do this ({perm})").format(user=who, perm="audit.view"))
    if export_format not in ("csv", "pdf", "json"):
        raise InputError(_("unknown export format {format}").format(format=export_format), where="format")
    after = {
        "format": export_format,
        "filter": filters,
        "events": events,
        "head_seq": head_seq,
        "head_hash": head_hash,
    }
    if verified is not None:
        after["chain_intact"] = bool(verified)
    return record_event(
        actor=actor, action=EXPORT_ACTION, object_type="audit", object_id="trail", after=after
    )

"""Reads of the audit trail and signatures."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from evqms.audit.chain import VerifyResult, verify_rows
from evqms.audit.models import AuditEvent, ChainHead, Signature
from evqms.core.canonical import canonical_hash


def verify_chain(expect_head: str | None = None) -> VerifyResult:
    rows = AuditEvent.objects.order_by("seq").iterator(chunk_size=2000)
    return verify_rows(rows, expect_head=expect_head)


def head_hash() -> tuple[int, str]:
    last = AuditEvent.objects.order_by("-seq").only("seq", "hash").first()
    if last is None:
        from evqms.audit.chain import GENESIS

        return 0, GENESIS
    return last.seq, last.hash


def chain_head_row() -> ChainHead | None:
    return ChainHead.objects.filter(pk=1).first()


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

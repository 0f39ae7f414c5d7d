"""The audited projections of signatures: what a signature's (or its invalidation's) audit event
keeps. The row hash ties the event to the stored row, so verify names a row deleted or altered later."""

from __future__ import annotations

from evqms.audit.chain import invalidation_row_hash, signature_row_hash
from evqms.audit.models import Signature, SignatureInvalidation


def signature_record(signature: Signature) -> dict:
    return {
        "signature_id": signature.pk,
        "printed_name": signature.printed_name,
        "meaning": signature.meaning,
        "record_hash": signature.record_hash,
        "row_hash": signature_row_hash(signature),
    }


def signature_invalidation_record(invalidation: SignatureInvalidation) -> dict:
    return {
        "signature_id": invalidation.signature_id,
        "valid": False,
        "invalidation_id": invalidation.pk,
        "row_hash": invalidation_row_hash(invalidation),
    }

"""Controlled documents: upload (a new version per new content) and approval."""

from __future__ import annotations

import hashlib

from django.db import transaction
from django.utils import timezone

from evqms.accounts.rules import require
from evqms.audit.services import check_signing_password, record_event, write_signature
from evqms.core import keptfiles
from evqms.core.canonical import sha256_hex
from evqms.core.db import lock_for_update
from evqms.core.inputs import required_text
from evqms.dossier import models as m
from evqms.dossier import records
from evqms.dossier.services._common import EDITABLE, _choice
from evqms.dossier.services._versions import supersede
from evqms.errors import InputError, RuleViolation
from evqms.i18n import _


@keptfiles.removed_on_error  # a refused upload leaves no file
@transaction.atomic
def upload_document(
    *, actor, code: str, title: str, kind: str, content: bytes, original_name: str
) -> m.Document:
    """Store a file unchanged with its sha256. New content under an existing code is a new version."""
    require(actor, "dossier.upload_document")
    code = required_text(code, "code")
    if len(code) > 60:
        raise InputError(_("at most 60 characters"), where="code")
    _choice(kind, m.Document.KINDS, "kind")
    if not content:
        raise InputError(_("the file is empty"), where="file")
    required_text(original_name, "file")
    digest = sha256_hex(content)
    existing = list(lock_for_update(m.Document.objects.filter(code=code)).order_by("-version"))
    if existing and existing[0].sha256 == digest:
        raise RuleViolation(
            _("this file is identical to version {version} of {code}").format(
                version=existing[0].version, code=code
            )
        )
    if any(d.status == EDITABLE for d in existing):
        raise RuleViolation(
            _("{code} already has a draft version: approve it before uploading another").format(code=code)
        )
    version = existing[0].version + 1 if existing else 1
    doc = m.Document(
        code=code,
        version=version,
        title=required_text(title, "title"),
        kind=kind,
        status="draft",
        uploaded_by=actor,
        uploaded_at=timezone.now(),
    )
    own_name = keptfiles.original_name(original_name)
    kept = keptfiles.keep(doc.file, own_name, content, stored_as=f"{code}-v{version}-{own_name}")
    doc.original_name, doc.sha256 = kept.original_name, kept.sha256
    doc.save(force_insert=True)
    record_event(
        actor=actor,
        action="document.upload",
        object_type="document",
        object_id=doc.pk,
        after=records.document_record(doc),
    )
    return doc


def approve_document(*, request, actor, document: m.Document, password: str, reason: str = "") -> m.Document:
    require(actor, "dossier.approve_document")
    check_signing_password(
        request=request,
        signer=actor,
        password=password,
        prohibited=[(document.uploaded_by_id, _("the uploader may not approve the document"))],
    )
    with transaction.atomic():
        locked = lock_for_update(m.Document.objects.filter(pk=document.pk)).get()
        if locked.status != EDITABLE:
            raise RuleViolation(_("only a draft can be approved"))
        if _file_sha256(locked) != locked.sha256:
            raise RuleViolation(_("the stored file no longer matches its sha256: not approved"))
        signature = write_signature(
            signer=actor,
            meaning="approval",
            object_type="document",
            object_id=locked.pk,
            record=records.document_signed_record(locked),
            reason=reason,
        )
        supersede(
            m.Document.objects.filter(code=locked.code, status="approved").exclude(pk=locked.pk),
            actor,
            "document",
            records.document_record,
        )
        before = records.document_record(locked)
        locked.status = "approved"
        locked.save(update_fields=["status"])
        record_event(
            actor=actor,
            action="document.approve",
            object_type="document",
            object_id=locked.pk,
            before=before,
            after={**records.document_record(locked), "signature_id": signature.pk},
            reason=reason,
        )
    return locked


def _file_sha256(doc: m.Document) -> str:
    digest = hashlib.sha256()
    with doc.file.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()

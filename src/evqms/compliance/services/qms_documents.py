"""Documents linked to QMS elements, and the signed comparability record of a changed process."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from evqms.accounts.rules import require
from evqms.audit.services import check_signing_password, record_event, write_signature
from evqms.compliance.models import QMS_ELEMENTS, ComparabilityRecord, QMSElementDocument
from evqms.compliance.services._common import check_choice
from evqms.errors import InputError, RuleViolation
from evqms.i18n import _


@transaction.atomic
def link_qms_document(
    *, actor, element: str, document, review_due: dt.date | None = None
) -> QMSElementDocument:
    require(actor, "compliance.manage_qms_links")
    check_choice(element, QMS_ELEMENTS, "element")
    link, created = QMSElementDocument.objects.get_or_create(
        element=element,
        document=document,
        defaults={"review_due": review_due, "linked_by": actor, "linked_at": timezone.now()},
    )
    if not created:
        raise RuleViolation(_("this document is already linked to that element"))
    record_event(
        actor=actor,
        action="qms_document.link",
        object_type="qms_document_link",
        object_id=link.pk,
        after={"element": element, "document": str(document), "review_due": review_due},
    )
    return link


def approve_comparability(
    *, request, actor, process, summary: str, password: str, document=None
) -> ComparabilityRecord:
    require(actor, "compliance.manage_qms_links")
    if not summary.strip():
        raise InputError(_("the summary is required"), where="summary")
    if process.version < 2:
        raise RuleViolation(_("the first process version has nothing to be compared with"))
    check_signing_password(request=request, signer=actor, password=password)
    with transaction.atomic():
        # read again: the change request may have been linked since the caller loaded the version
        process = type(process).objects.select_related("product", "change_request").get(pk=process.pk)
        if ComparabilityRecord.objects.filter(process=process).exists():
            raise RuleViolation(_("this process version already has a comparability record"))
        record = {
            "product": process.product.code,
            "process_version": process.version,
            "summary": summary.strip(),
            "document": str(document) if document else "",
        }
        if process.change_request_id:  # the change it assesses (only when there is one)
            record["change_request"] = process.change_request.number
        signature = write_signature(
            signer=actor, meaning="approval", object_type="process", object_id=process.pk, record=record
        )
        comparability = ComparabilityRecord.objects.create(
            process=process,
            summary=summary.strip(),
            document=document,
            approved_at=signature.signed_at,
            approval_signature=signature,
            change_request_id=process.change_request_id,
        )
        record_event(
            actor=actor,
            action="comparability.approve",
            object_type="comparability",
            object_id=comparability.pk,
            after={**record, "signature_id": signature.pk},
        )
    return comparability

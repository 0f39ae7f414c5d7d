"""The quality system's records in the evidence snapshot: the risk register's latest version, the
attestations still valid, and the documents linked to QMS elements."""

from __future__ import annotations

from evqms.compliance.models import Attestation, QMSElementDocument
from evqms.compliance.selectors import current_register
from evqms.compliance.snapshot.ids import attribute_id, local_date, parameter_ref, qms_document_id
from evqms.guidance import evidence as ev


def risk_register(product) -> ev.RiskRegister | None:
    register = current_register(product)
    if register is None:
        return None
    items = []
    for item in register.items.prefetch_related(
        "control_attributes__specification", "control_parameters__step"
    ).order_by("id"):
        controls = sorted(attribute_id(a) for a in item.control_attributes.all())
        controls += sorted(parameter_ref(p) for p in item.control_parameters.all())
        items.append(
            ev.RiskItem(
                id=item.code,
                stage=item.stage,
                hazard=item.hazard,
                cause=item.cause,
                effect=item.effect,
                severity=item.severity,
                occurrence=item.occurrence,
                detectability=item.detectability,
                controls=controls,
                residual_risk=item.residual_risk,
                status=item.status,
            )
        )
    signature = register.approval_signature
    approved = register.status == "approved" and signature is not None
    return ev.RiskRegister(
        id=register.code,
        version=str(register.version),
        status="approved" if approved else "draft",
        approved_on=local_date(register.approved_at) if approved else None,
        approved_by=signature.printed_name if approved else "",
        items=items,
        none_identified=[
            ev.NoneIdentified(stage=stage, reason=reason)
            for stage, reason in sorted((register.none_identified or {}).items())
        ],
    )


def attestations(product) -> list[ev.Attestation]:
    return [
        ev.Attestation(
            id=a.code,
            item=a.item_id,
            role=a.role,
            signer=a.signature.printed_name,
            signed_on=local_date(a.signed_at),
            statement=a.statement,
            cites=list(a.cites),
        )
        for a in Attestation.objects.filter(product=product)
        .select_related("signature")
        .order_by("signed_at", "id")
        if not hasattr(a.signature, "invalidation")
    ]


def qms_documents() -> list[ev.QMSDocument]:
    out = []
    for link in QMSElementDocument.objects.select_related("document").order_by("element", "document__code"):
        doc = link.document
        out.append(
            ev.QMSDocument(
                id=qms_document_id(doc.code, doc.version),
                element=link.element,
                title=doc.title,
                version=str(doc.version),
                status="approved"
                if doc.status == "approved"
                else ("retired" if doc.status == "superseded" else "draft"),
                effective_on=local_date(doc.uploaded_at),
                review_due=link.review_due,
            )
        )
    return out

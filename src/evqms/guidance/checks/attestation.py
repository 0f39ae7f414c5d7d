"""Items no data can decide: a signed attestation from the right role, not older than what it cites."""

from __future__ import annotations

import datetime as dt

from evqms.guidance.checks.base import MET, NEEDS_ATTESTATION, CheckContext, CheckResult, check, ref
from evqms.guidance.evidence import EvidenceSnapshot
from evqms.guidance.text import bi, label

ROLES = {
    "responsible_physician": label("the responsible physician", "責任医師"),
    "quality_manager": label("the quality manager", "品質責任者"),
    "manufacturing_manager": label("the manufacturing manager", "製造責任者"),
}


def record_dates(snap: EvidenceSnapshot) -> dict[str, dt.date | None]:
    """The date each citable record last changed, keyed 'kind:id' (kinds as attestations cite them)."""
    dates: dict[str, dt.date | None] = {f"product:{snap.product.id}": snap.product.updated_on}
    if snap.risk_register:
        dates[f"risk_register:{snap.risk_register.id}"] = snap.risk_register.approved_on
    for spec in snap.specifications:
        dates[f"specification:{spec.id}"] = spec.effective_on
    for process in snap.processes:
        dates[f"process:{process.version}"] = process.effective_on
    for doc in snap.qms_documents:
        dates[f"qms_document:{doc.id}"] = doc.effective_on
    for lot in snap.lots:
        dates[f"lot:{lot.id}"] = lot.release.released_on if lot.release else lot.manufactured_on
    for assay in snap.studies.potency_assays:
        dates[f"study:{assay.id}"] = None
    for group in (snap.studies.biodistribution, snap.studies.dose_response, snap.studies.other):
        for study in group:
            dates[f"study:{study.id}"] = study.completed_on
    return dates


@check("attestation")
def attestation(
    snap: EvidenceSnapshot, ctx: CheckContext, role: str, must_cite: list | None = None
) -> CheckResult:
    who = ROLES.get(role, label(role, role))
    signed = sorted(
        (a for a in snap.attestations if a.item == ctx.item_id and a.role == role),
        key=lambda a: a.signed_on,
    )
    ask = bi(
        "Ask {who} to sign an attestation for {item} citing the current evidence.", who=who, item=ctx.item_id
    )
    if not signed:
        return CheckResult(NEEDS_ATTESTATION, [bi("No signed attestation by {who}.", who=who)], [], [ask])
    latest = signed[-1]
    evidence = [ref("attestation", latest.id)]
    if (
        role == "responsible_physician"
        and latest.signer.strip() != snap.product.responsible_physician.strip()
    ):
        return CheckResult(
            NEEDS_ATTESTATION,
            [
                bi(
                    "Attestation {id} is signed by {signer}, not by the responsible physician {name}.",
                    id=latest.id,
                    signer=latest.signer,
                    name=snap.product.responsible_physician,
                )
            ],
            evidence,
            [ask],
        )
    dates = record_dates(snap)  # unknown citations were rejected when the snapshot was checked
    kinds = {c.split(":", 1)[0] for c in latest.cites}
    missing = [k for k in (must_cite or []) if k not in kinds]
    if missing:
        return CheckResult(
            NEEDS_ATTESTATION,
            [bi("Attestation {id} does not cite the {kinds}.", id=latest.id, kinds=", ".join(missing))],
            evidence,
            [ask],
        )
    stale = [c for c in latest.cites if dates.get(c) and dates[c] > latest.signed_on]
    if stale:
        return CheckResult(
            NEEDS_ATTESTATION,
            [
                bi(
                    "Attestation {id} (signed {date}) is older than the evidence it cites: {refs}.",
                    id=latest.id,
                    date=latest.signed_on,
                    refs=", ".join(stale),
                )
            ],
            evidence + [c.replace(":", " ", 1) for c in stale],
            [ask],
        )
    return CheckResult(
        MET,
        [
            bi(
                "Attested by {signer} on {date}, citing {refs}.",
                signer=latest.signer,
                date=latest.signed_on,
                refs=", ".join(latest.cites) or "-",
            )
        ],
        evidence + [c.replace(":", " ", 1) for c in latest.cites],
    )

"""JSRM-1-R1 / JSRM-1-SC: the risk register (ICH Q9) and the responsible physician."""

from __future__ import annotations

from evqms.guidance.checks.base import MET, NOT_MET, PARTLY_MET, CheckContext, CheckResult, check, ref
from evqms.guidance.evidence import EvidenceSnapshot
from evqms.guidance.risk import STAGES, risk_class
from evqms.guidance.text import bi


def _no_register() -> CheckResult:
    return CheckResult(
        NOT_MET,
        [bi("No risk register is recorded.")],
        [],
        [
            bi(
                "Start a risk register from the starter hazard list (evqms guidance hazards) and have it approved."
            )
        ],
    )


@check("responsible_physician_named")
def responsible_physician_named(snap: EvidenceSnapshot, ctx: CheckContext) -> CheckResult:
    product = snap.product
    if product.responsible_physician.strip():
        return CheckResult(
            MET,
            [bi("Responsible physician: {name}.", name=product.responsible_physician)],
            [ref("product", product.id)],
        )
    return CheckResult(
        NOT_MET,
        [bi("The product has no responsible physician.")],
        [ref("product", product.id)],
        [bi("Name the physician or dentist responsible for the product.")],
    )


@check("risk_register_approved")
def risk_register_approved(snap: EvidenceSnapshot, ctx: CheckContext) -> CheckResult:
    register = snap.risk_register
    if register is None:
        return _no_register()
    evidence = [ref("risk register", f"{register.id} v{register.version}")]
    if register.status == "approved" and register.approved_on and register.approved_by:
        return CheckResult(
            MET,
            [
                bi(
                    "Risk register approved by {who} on {date}.",
                    who=register.approved_by,
                    date=register.approved_on,
                )
            ],
            evidence,
        )
    return CheckResult(
        NOT_MET,
        [bi("Risk register version {version} is not approved.", version=register.version)],
        evidence,
        [bi("Review the risk register and record its approval (who and when).")],
    )


@check("risk_register_covers_stages")
def risk_register_covers_stages(
    snap: EvidenceSnapshot, ctx: CheckContext, stages: list | None = None
) -> CheckResult:
    register = snap.risk_register
    if register is None:
        return _no_register()
    wanted = list(stages or STAGES)
    covered = {i.stage for i in register.items} | {
        n.stage for n in register.none_identified if n.reason.strip()
    }
    missing = [s for s in wanted if s not in covered]
    evidence = [ref("risk register", f"{register.id} v{register.version}")]
    if not missing:
        return CheckResult(
            MET,
            [bi("Every stage ({n}) has an assessed hazard or a reasoned 'none identified'.", n=len(wanted))],
            evidence,
        )
    names = {
        "en": ", ".join(STAGES.get(s, {"en": s})["en"] for s in missing),
        "ja": "、".join(STAGES.get(s, {"ja": s})["ja"] for s in missing),
    }
    return CheckResult(
        PARTLY_MET if len(missing) < len(wanted) else NOT_MET,
        [bi("Stages without any assessed hazard: {stages}.", stages=names)],
        evidence,
        [
            bi(
                "Assess the hazards of these stages, or record 'none identified' with a reason: {stages}.",
                stages=names,
            )
        ],
    )


def _known_controls(snap: EvidenceSnapshot) -> set[str]:
    controls = {a.id for a in snap.attributes()}
    for process in snap.processes:
        for step in process.steps:
            controls.update(f"{step.name}/{p.name}" for p in step.parameters)
    return controls


@check("high_risks_controlled")
def high_risks_controlled(snap: EvidenceSnapshot, ctx: CheckContext) -> CheckResult:
    register = snap.risk_register
    if register is None:
        return _no_register()
    known = _known_controls(snap)
    high = [i for i in register.items if risk_class(i.severity, i.occurrence, i.detectability) == "high"]
    reasons, steps, evidence = [], [], [ref("risk register", f"{register.id} v{register.version}")]
    uncontrolled = []
    for item in high:
        evidence.append(ref("risk", item.id))
        if not any(c in known for c in item.controls):
            uncontrolled.append(item)
            reasons.append(
                bi(
                    "High risk {risk} ({hazard}) has no control linked to a specification or process parameter.",
                    risk=item.id,
                    hazard=item.hazard,
                )
            )
            steps.append(
                bi(
                    "Link risk {risk} to a specification attribute or a critical process parameter.",
                    risk=item.id,
                )
            )
    if not uncontrolled:
        reasons.insert(0, bi("All {n} high risks are linked to a control.", n=len(high)))
        return CheckResult(MET, reasons, evidence)
    return CheckResult(NOT_MET if len(uncontrolled) == len(high) else PARTLY_MET, reasons, evidence, steps)

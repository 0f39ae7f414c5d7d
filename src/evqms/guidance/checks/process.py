"""JSRM-2-R1 / JSRM-2-R2: process control, safety tests, raw-material acceptance, QMS, change control."""

from __future__ import annotations

from evqms.guidance.checks.base import (
    MET,
    NOT_APPLICABLE,
    NOT_MET,
    PARTLY_MET,
    CheckContext,
    CheckResult,
    by_count,
    check,
    ref,
    released_lots_for_category,
)
from evqms.guidance.evidence import EvidenceSnapshot
from evqms.guidance.text import bi, label

QMS_ELEMENTS = {
    "aseptic_processing": label("aseptic processing SOP", "無菌操作SOP"),
    "sop": label("manufacturing SOPs", "製造手順書"),
    "training": label("training", "教育訓練"),
    "change_control": label("change control", "変更管理"),
    "deviation_capa": label("deviations and CAPA", "逸脱・是正予防措置"),
    "validation": label("validation", "バリデーション"),
    "self_inspection": label("self-inspection", "自己点検"),
    "facility": label("facility and environmental monitoring", "構造設備・環境モニタリング"),
    "document_control": label("document control", "文書管理"),
    "complaints_recall": label("complaints and recall", "苦情・回収"),
}


@check("released_lots_test_pass")
def released_lots_test_pass(snap: EvidenceSnapshot, ctx: CheckContext, category: str) -> CheckResult:
    return released_lots_for_category(snap, category)


@check("critical_parameters_in_range")
def critical_parameters_in_range(snap: EvidenceSnapshot, ctx: CheckContext) -> CheckResult:
    lots = snap.released_lots()
    if not lots:
        return CheckResult(NOT_APPLICABLE, [bi("No released lot is recorded.")])
    processes = {p.version: p for p in snap.processes}
    # The parameters each lot's approved deviations cover, indexed once instead of scanning every
    # deviation per lot.
    covered_by_lot: dict[str, set[str]] = {}
    for d in snap.deviations:
        if d.approved and d.parameter:
            covered_by_lot.setdefault(d.lot, set()).add(d.parameter)
    reasons, steps, evidence, good = [], [], [], 0
    for lot in lots:
        evidence.append(ref("lot", lot.id))
        process = processes.get(lot.process_version)
        if process is None:
            reasons.append(
                bi(
                    "Lot {lot}: no process definition for version {version}.",
                    lot=lot.id,
                    version=lot.process_version or "-",
                )
            )
            steps.append(bi("Record the process definition with its critical parameters and ranges."))
            continue
        covered = covered_by_lot.get(lot.id, set())
        records = {s.step: s.parameters for s in lot.step_records}
        problems = 0
        for step in process.steps:
            for p in (p for p in step.parameters if p.critical):
                value = records.get(step.name, {}).get(p.name)
                if p.name in covered or f"{step.name}/{p.name}" in covered:
                    continue
                if value is None:
                    problems += 1
                    reasons.append(
                        bi(
                            "Lot {lot}: critical parameter {param} of step {step} not recorded.",
                            lot=lot.id,
                            param=p.name,
                            step=step.name,
                        )
                    )
                elif (p.min is not None and value < p.min) or (p.max is not None and value > p.max):
                    problems += 1
                    reasons.append(
                        bi(
                            "Lot {lot}: {param} = {value} {unit} outside {min}-{max} with no approved deviation.",
                            lot=lot.id,
                            param=p.name,
                            value=value,
                            unit=p.unit,
                            min=p.min if p.min is not None else "",
                            max=p.max if p.max is not None else "",
                        )
                    )
        if problems:
            steps.append(
                bi("Record the missing parameters of lot {lot} or open and approve a deviation.", lot=lot.id)
            )
        else:
            good += 1
    if good == len(lots):
        reasons.insert(
            0,
            bi("Every critical process parameter of the {n} released lots is recorded and in range.", n=good),
        )
    return CheckResult(by_count(good, len(lots)), reasons, evidence, steps)


@check("material_lots_accepted")
def material_lots_accepted(snap: EvidenceSnapshot, ctx: CheckContext) -> CheckResult:
    used = sorted({m for lot in snap.lots for m in lot.material_lots})
    if not used:
        return CheckResult(
            NOT_MET,
            [bi("No raw-material lot is linked to any lot.")],
            [],
            [bi("Record which raw-material lots each lot consumed.")],
        )
    reasons, steps, evidence, good = [], [], [], 0
    for mlot_id in used:
        mlot = next(m for m in snap.material_lots if m.id == mlot_id)
        evidence.append(ref("material lot", mlot_id))
        if mlot.coa and mlot.acceptance_status == "accepted":
            good += 1
        else:
            reasons.append(
                bi("Material lot {lot}: certificate of analysis or acceptance missing.", lot=mlot_id)
            )
            steps.append(
                bi(
                    "Attach the certificate of analysis of material lot {lot} and record its acceptance.",
                    lot=mlot_id,
                )
            )
    if good == len(used):
        reasons.insert(
            0, bi("All {n} raw-material lots used have a certificate of analysis and were accepted.", n=good)
        )
    return CheckResult(by_count(good, len(used)), reasons, evidence, steps)


@check("qms_documents_current")
def qms_documents_current(snap: EvidenceSnapshot, ctx: CheckContext, elements: list) -> CheckResult:
    reasons, steps, evidence, good = [], [], [], 0
    for element in elements:
        name = QMS_ELEMENTS.get(element, label(element, element))
        docs = [
            d
            for d in snap.qms_documents
            if d.element == element
            and d.status == "approved"
            and (d.effective_on is None or d.effective_on <= ctx.as_of)
        ]
        current = [d for d in docs if d.review_due is None or d.review_due >= ctx.as_of]
        if current:
            good += 1
            evidence.extend(ref("document", d.id) for d in current)
        elif docs:
            reasons.append(bi("The {element} document is past its review date.", element=name))
            steps.append(bi("Review and re-approve the {element} document.", element=name))
            evidence.extend(ref("document", d.id) for d in docs)
        else:
            reasons.append(bi("No approved document for {element}.", element=name))
            steps.append(bi("Write and approve a document for {element}.", element=name))
    if good == len(elements):
        reasons.insert(0, bi("Every required QMS element ({n}) has a current approved document.", n=good))
    return CheckResult(by_count(good, len(elements)), reasons, evidence, steps)


@check("process_change_comparability")
def process_change_comparability(snap: EvidenceSnapshot, ctx: CheckContext) -> CheckResult:
    changed = [p for p in snap.processes if p.previous_version]
    if not changed:
        return CheckResult(NOT_APPLICABLE, [bi("No process change is recorded.")])
    reasons, steps, evidence, bad = [], [], [], 0
    for process in changed:
        evidence.append(ref("process", process.version))
        approved = process.comparability_record and process.comparability_approved_on
        early = [
            lot
            for lot in snap.released_lots()
            if lot.process_version == process.version
            and (not approved or lot.release.released_on < process.comparability_approved_on)
        ]
        if not approved:
            bad += 1
            reasons.append(
                bi(
                    "Process version {version} changed from {previous} without an approved comparability record.",
                    version=process.version,
                    previous=process.previous_version,
                )
            )
            steps.append(
                bi(
                    "Assess comparability (characterisation and potency) for process version {version} and approve it.",
                    version=process.version,
                )
            )
        elif early:
            bad += 1
            reasons.append(
                bi(
                    "Lots released before the comparability approval of version {version}: {lots}.",
                    version=process.version,
                    lots=", ".join(lot.id for lot in early),
                )
            )
            steps.append(bi("Review the lots released before comparability was approved."))
        else:
            evidence.append(ref("comparability record", process.comparability_record))
    if not bad:
        reasons.insert(0, bi("Every process change has an approved comparability record before release."))
        return CheckResult(MET, reasons, evidence)
    return CheckResult(NOT_MET if bad == len(changed) else PARTLY_MET, reasons, evidence, steps)


@check("versions_under_change_control")
def versions_under_change_control(snap: EvidenceSnapshot, ctx: CheckContext) -> CheckResult:
    """Every process and specification version after the first was made under a change request."""
    changed = [
        (label("process", "製造工程"), p.version, p.change_request)
        for p in snap.processes
        if p.previous_version
    ]
    specs = sorted(snap.specifications, key=lambda s: (s.id, _version_key(s.version)))
    changed += [
        (label("specification", "規格"), s.version, s.change_request)
        for previous, s in zip(specs, specs[1:], strict=False)
        if previous.id == s.id
    ]
    if not changed:
        return CheckResult(NOT_APPLICABLE, [bi("No process or specification change is recorded.")])
    reasons, steps, evidence = [], [], []
    for what, version, change_request in changed:
        if change_request:
            evidence.append(ref("change request", change_request))
            continue
        reasons.append(
            bi("{what} version {version} was made without a change request.", what=what, version=version)
        )
        steps.append(
            bi(
                "Record the change behind {what} version {version} under change control.",
                what=what,
                version=version,
            )
        )
    good = len(changed) - len(steps)
    if not steps:
        reasons.insert(
            0, bi("Every process and specification change was made under an approved change request.")
        )
    return CheckResult(by_count(good, len(changed)), reasons, evidence, steps)


def _version_key(version: str):
    return (0, int(version)) if str(version).isdigit() else (1, str(version))

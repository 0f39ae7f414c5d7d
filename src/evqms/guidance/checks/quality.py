"""JSRM-3-R1..R3: EV identity (size and markers), xeno-free culture, CQAs."""

from __future__ import annotations

from evqms.guidance.checks.base import (
    MET,
    NOT_MET,
    PARTLY_MET,
    CheckContext,
    CheckResult,
    attributes_of,
    by_count,
    check,
    latest_unit_mismatch,
    lot_passes,
    no_released_lot,
    ref,
    unit_reason,
)
from evqms.guidance.evidence import EvidenceSnapshot, MaterialLot
from evqms.guidance.text import bi, category_label

# Grades that are themselves a declaration of no animal-derived component (supplier statement).
XENO_FREE_GRADES = {"xeno-free", "animal-component-free", "animal-origin-free", "chemically-defined"}


@check("released_lots_size_and_markers")
def released_lots_size_and_markers(snap: EvidenceSnapshot, ctx: CheckContext) -> CheckResult:
    lots = snap.released_lots()
    if not lots:
        return no_released_lot()
    size, markers = attributes_of(snap, "size_distribution"), attributes_of(snap, "ev_marker")
    reasons, steps, evidence, good = [], [], [], 0
    if not size or not markers:
        return CheckResult(
            NOT_MET,
            [bi("The release specification lacks a size-distribution or an EV-marker attribute.")],
            [],
            [
                bi(
                    "Add release attributes for size distribution (e.g. NTA) and EV markers (e.g. CD9/CD63/CD81)."
                )
            ],
        )
    for lot in lots:
        evidence.append(ref("lot", lot.id))
        size_ok, size_why = lot_passes(lot, size)
        marker_ok, _ = lot_passes(lot, markers)
        if size_ok and marker_ok:
            good += 1
            continue
        if size_why == "unit":
            reasons.append(
                unit_reason(lot.id, category_label("size_distribution"), latest_unit_mismatch(lot, size)[1])
            )
        elif not size_ok:
            reasons.append(bi("Lot {lot}: no in-spec size-distribution result.", lot=lot.id))
        if not marker_ok:
            reasons.append(
                bi("Lot {lot}: no in-spec EV-marker result with a positive EV marker.", lot=lot.id)
            )
        steps.append(bi("Test lot {lot} for particle size and EV markers before release.", lot=lot.id))
    if good == len(lots):
        reasons.insert(
            0, bi("All {n} released lots show EV-sized particles and a positive EV marker.", n=good)
        )
    return CheckResult(by_count(good, len(lots)), reasons, evidence, steps)


def _xeno_free(mlot: MaterialLot) -> bool | None:
    """True: declared free; False: declared animal origin; None: nothing declared (a name is no proof)."""
    origin = (mlot.animal_origin or "").strip().lower()
    if origin == "none":
        return True
    if origin:
        return False
    return True if mlot.grade.strip().lower() in XENO_FREE_GRADES else None


def _culture_material_ids(snap: EvidenceSnapshot) -> set[str]:
    ids = {m.id for m in snap.materials if m.stage == "culture"}
    for process in snap.processes:
        for step in process.steps:
            if step.kind == "culture":
                ids.update(step.materials)
    return ids


def _covers(mlot: MaterialLot, process_version: str) -> bool:
    """A justification covers only the process versions it names ('1' and 'v1' are one version)."""
    named = {str(v).strip().lower().removeprefix("v") for v in mlot.justified_processes}
    return str(process_version).strip().lower().removeprefix("v") in named


def _versions(mlot: MaterialLot) -> str:
    return ", ".join(f"v{str(v).removeprefix('v')}" for v in mlot.justified_processes) or "-"


def _undeclared(mlot: MaterialLot, name: str, reasons: list, steps: list) -> None:
    reasons.append(
        bi(
            "Material lot {lot} ({name}): animal origin not declared; the product name is no proof.",
            lot=mlot.id,
            name=name,
        )
    )
    steps.append(
        bi("Obtain the supplier's animal-origin declaration and grade for material lot {lot}.", lot=mlot.id)
    )


def _material_name(snap: EvidenceSnapshot, material_id: str) -> str:
    material = snap.material(material_id)
    return material.name if material else material_id


@check("culture_materials_xeno_free")
def culture_materials_xeno_free(snap: EvidenceSnapshot, ctx: CheckContext) -> CheckResult:
    """Judged on what the lots used: each (released) lot's culture material lots on its process version.

    An animal-derived material lot passes only for a lot made on a process version its justification
    names, with a TSE/viral compliance record; a lot on a xeno-free process that consumed serum is
    not covered by a justification written for the earlier process.
    """
    culture_ids = _culture_material_ids(snap)
    if not culture_ids:
        return CheckResult(
            NOT_MET,
            [bi("No culture material is recorded.")],
            [],
            [bi("Record the culture medium and supplements with their animal-origin declaration.")],
        )
    mlots = {m.id: m for m in snap.material_lots}
    lots = snap.released_lots() or snap.lots
    pairs = [
        (lot, mlots[mid])
        for lot in lots
        for mid in lot.material_lots
        if mid in mlots and mlots[mid].material in culture_ids
    ]
    if not pairs:
        return _declared_materials(snap, culture_ids)
    reasons, steps, evidence = [], [], []
    incomplete = _lots_without_culture_lots(lots, pairs, reasons, steps)
    bad = 0
    seen: set[str] = set()  # evidence is listed once, in first-seen order; a set keeps that linear
    for lot, mlot in pairs:
        for e in (ref("lot", lot.id), ref("material lot", mlot.id)):
            if e not in seen:
                seen.add(e)
                evidence.append(e)
        if not _used_lot_acceptable(snap, lot, mlot, reasons, steps):
            bad += 1
    if bad:
        # Any unjustified animal component in culture defeats the recommendation.
        return CheckResult(NOT_MET, reasons, evidence, steps)
    if incomplete:
        return CheckResult(PARTLY_MET, reasons, evidence, steps)
    reasons.insert(
        0,
        bi(
            "Every culture material lot the {n} lots used is animal-component-free or justified for the process it was used on.",
            n=len(lots),
        ),
    )
    return CheckResult(MET, reasons, evidence)


def _lots_without_culture_lots(lots, pairs, reasons: list, steps: list) -> int:
    """Lots that record no culture material lot at all: the evidence for them is incomplete."""
    missing = 0
    # Indexed once by object identity (as the pairs were matched: `is`, not the lot id), so a
    # lot's look-up does not scan every pair.
    with_culture = {id(pair_lot) for pair_lot, _ in pairs}
    for lot in lots:
        if id(lot) not in with_culture:
            missing += 1
            reasons.append(bi("Lot {lot} records no culture material lot.", lot=lot.id))
            steps.append(bi("Record the culture material lots lot {lot} consumed.", lot=lot.id))
    return missing


def _used_lot_acceptable(snap: EvidenceSnapshot, lot, mlot: MaterialLot, reasons: list, steps: list) -> bool:
    """Whether a lot could use this culture material lot: declared free, or of animal origin with a
    justification and TSE/viral record that covers the lot's process version (said in reasons)."""
    verdict = _xeno_free(mlot)
    if verdict:
        return True
    name = _material_name(snap, mlot.material)
    if verdict is None:
        _undeclared(mlot, name, reasons, steps)
        return False
    if not (mlot.justification.strip() and mlot.tse_compliance.strip()):
        reasons.append(
            bi(
                "Material lot {lot} ({name}) is of animal origin ({origin}) without justification and TSE/viral compliance record.",
                lot=mlot.id,
                name=name,
                origin=mlot.animal_origin,
            )
        )
        steps.append(
            bi(
                "Replace {name} with a xeno-free alternative, or record a justification and a bovine-virus/TSE compliance record.",
                name=name,
            )
        )
        return False
    facts = dict(lot=lot.id, version=lot.process_version, name=name, mlot=mlot.id, origin=mlot.animal_origin)
    if not _covers(mlot, lot.process_version):
        reasons.append(
            bi(
                "Lot {lot} (process v{version}) used {name} lot {mlot} of animal origin ({origin}); its justification covers only process versions {versions}.",
                versions=_versions(mlot),
                **facts,
            )
        )
        steps.append(
            bi(
                "Investigate lot {lot} as a deviation (animal-derived material on a process whose justification does not cover it).",
                lot=lot.id,
            )
        )
        return False
    reasons.append(
        bi(
            "Lot {lot} (process v{version}) used {name} lot {mlot} of animal origin ({origin}); justified for this process, with TSE/viral compliance record.",
            **facts,
        )
    )
    return True


def _declared_materials(snap: EvidenceSnapshot, culture_ids: set[str]) -> CheckResult:
    """No lot records what it used yet: judge the culture materials' declared lots."""
    reasons, steps, evidence, good, total = [], [], [], 0, 0
    for material_id in sorted(culture_ids):
        name = _material_name(snap, material_id)
        lots = [m for m in snap.material_lots if m.material == material_id]
        if not lots:
            total += 1
            reasons.append(
                bi("Culture material {name}: no lot with an animal-origin declaration.", name=name)
            )
            steps.append(
                bi("Record the lots of {name} with animal origin and grade from the supplier.", name=name)
            )
            continue
        for mlot in lots:
            total += 1
            evidence.append(ref("material lot", mlot.id))
            verdict = _xeno_free(mlot)
            if verdict:
                good += 1
            elif verdict is None:
                _undeclared(mlot, name, reasons, steps)
            elif mlot.justification.strip() and mlot.tse_compliance.strip() and mlot.justified_processes:
                good += 1
                reasons.append(
                    bi(
                        "Material lot {lot} ({name}) is of animal origin ({origin}); justified for process versions {versions}, with TSE/viral compliance record.",
                        lot=mlot.id,
                        name=name,
                        origin=mlot.animal_origin,
                        versions=_versions(mlot),
                    )
                )
            else:
                reasons.append(
                    bi(
                        "Material lot {lot} ({name}) is of animal origin ({origin}) without justification and TSE/viral compliance record for a named process version.",
                        lot=mlot.id,
                        name=name,
                        origin=mlot.animal_origin,
                    )
                )
                steps.append(
                    bi(
                        "Replace {name} with a xeno-free alternative, or record a justification naming the process versions it covers and a bovine-virus/TSE compliance record.",
                        name=name,
                    )
                )
    if good == total:
        reasons.insert(
            0, bi("All {n} culture material lots are declared animal-component-free or justified.", n=total)
        )
        return CheckResult(MET, reasons, evidence)
    return CheckResult(NOT_MET, reasons, evidence, steps)


@check("cqa_defined")
def cqa_defined(snap: EvidenceSnapshot, ctx: CheckContext) -> CheckResult:
    cqas = [a for a in snap.attributes() if a.cqa]
    defined = [a for a in cqas if a.method and (a.min is not None or a.max is not None or a.expected)]
    if defined:
        return CheckResult(
            MET,
            [
                bi(
                    "{n} CQAs with method and acceptance range: {names}.",
                    n=len(defined),
                    names=", ".join(a.name for a in defined),
                )
            ],
            [ref("specification attribute", a.id) for a in defined],
        )
    reasons = [bi("No CQA with a method and an acceptance range.")]
    if cqas:
        reasons.append(bi("CQAs without method or range: {names}.", names=", ".join(a.name for a in cqas)))
    return CheckResult(
        NOT_MET,
        reasons,
        [ref("specification attribute", a.id) for a in cqas],
        [
            bi(
                "Define at least one CQA related to safety or efficacy (e.g. protein or miRNA content) with method, range and rationale."
            )
        ],
    )


@check("released_lots_cqa_in_range")
def released_lots_cqa_in_range(snap: EvidenceSnapshot, ctx: CheckContext) -> CheckResult:
    cqas = [a for a in snap.attributes() if a.cqa and a.stage == "release"]
    if not cqas:
        return CheckResult(
            NOT_MET,
            [bi("No release-stage CQA is defined.")],
            [],
            [bi("Mark the release attributes that are CQAs.")],
        )
    lots = snap.released_lots()
    if not lots:
        return no_released_lot()
    reasons, steps, evidence, good = [], [], [], 0
    for lot in lots:
        evidence.append(ref("lot", lot.id))
        failing = [a.name for a in cqas if not lot_passes(lot, [a])[0]]
        for a in cqas:
            found = latest_unit_mismatch(lot, [a])
            if found:
                reasons.append(unit_reason(lot.id, a.name, found[1]))
        if failing:
            reasons.append(
                bi(
                    "Lot {lot}: CQA result missing or out of range: {names}.",
                    lot=lot.id,
                    names=", ".join(failing),
                )
            )
            steps.append(
                bi("Test lot {lot} for every release CQA; investigate results out of range.", lot=lot.id)
            )
        else:
            good += 1
    if good == len(lots):
        reasons.insert(0, bi("All {n} released lots are in range for every release CQA.", n=good))
    return CheckResult(by_count(good, len(lots)), reasons, evidence, steps)

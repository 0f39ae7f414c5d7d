"""Contradictions in the evidence are bad input, not findings: the engine refuses to judge them.

Each error names the record (e.g. 'lot L-003') so the user can correct the source data.
"""

from __future__ import annotations

from collections import Counter

from evqms.errors import InputError, location
from evqms.guidance.evidence import EvidenceSnapshot
from evqms.i18n import _


def _fail(name: str, record: str, message: str) -> None:
    raise InputError(message, where=location(file=name) + f": {record}" if name else record)


def _unique(name: str, kind: str, ids: list[str]) -> set[str]:
    dupes = [i for i, n in Counter(ids).items() if n > 1]
    if dupes:
        _fail(name, f"{kind} {dupes[0]}", _("the same id is used twice"))
    return set(ids)


def check_consistency(snap: EvidenceSnapshot, name: str = "") -> None:
    lots = _unique(name, "lot", [lot.id for lot in snap.lots])
    material_lots = _unique(name, "material lot", [m.id for m in snap.material_lots])
    materials = _unique(name, "material", [m.id for m in snap.materials])
    attributes = _unique(name, "specification attribute", [a.id for a in snap.attributes()])
    administrations = _unique(name, "administration", [a.id for a in snap.administrations])
    _unique(name, "attestation", [a.id for a in snap.attestations])
    for mlot in snap.material_lots:
        if mlot.material not in materials:
            _fail(name, f"material lot {mlot.id}", _("unknown material {ref}").format(ref=mlot.material))
    for lot in snap.lots:
        record = f"lot {lot.id}"
        for mlot in lot.material_lots:
            if mlot not in material_lots:
                _fail(name, record, _("uses unknown material lot {ref}").format(ref=mlot))
        for result in lot.qc_results:
            if result.attribute not in attributes:
                _fail(
                    name,
                    record,
                    _("QC result for unknown specification attribute {ref}").format(ref=result.attribute),
                )
        if lot.release is not None:
            late = [r for r in lot.qc_results if r.tested_on and r.tested_on > lot.release.released_on]
            if late:
                _fail(
                    name,
                    record,
                    _("released on {released} before its QC result {attribute} dated {tested}").format(
                        released=lot.release.released_on,
                        attribute=late[0].attribute,
                        tested=late[0].tested_on,
                    ),
                )
            if lot.status in ("in_process", "quarantine", "rejected"):
                _fail(name, record, _("has a release record but status {status}").format(status=lot.status))
        elif lot.status == "released":
            _fail(name, record, _("status released but no release record"))
    for sample in snap.retention_samples:
        if sample.lot and sample.lot not in lots:
            _fail(name, f"retention sample {sample.id}", _("unknown lot {ref}").format(ref=sample.lot))
        if sample.material_lot and sample.material_lot not in material_lots:
            _fail(
                name,
                f"retention sample {sample.id}",
                _("unknown material lot {ref}").format(ref=sample.material_lot),
            )
    for adm in snap.administrations:
        if adm.lot and adm.lot not in lots:
            _fail(name, f"administration {adm.id}", _("unknown lot {ref}").format(ref=adm.lot))
    for event in snap.adverse_events:
        if event.administration not in administrations:
            _fail(
                name,
                f"adverse event {event.id}",
                _("unknown administration {ref}").format(ref=event.administration),
            )
    for deviation in snap.deviations:
        if deviation.lot not in lots:
            _fail(name, f"deviation {deviation.id}", _("unknown lot {ref}").format(ref=deviation.lot))
    from evqms.guidance.checks.attestation import record_dates  # the citable records and their dates

    citable = record_dates(snap)
    for attestation in snap.attestations:
        for cited in attestation.cites:
            if cited not in citable:
                _fail(
                    name,
                    f"attestation {attestation.id}",
                    _("cites an unknown record {ref} (use kind:id, e.g. risk_register:RR-1)").format(
                        ref=cited
                    ),
                )

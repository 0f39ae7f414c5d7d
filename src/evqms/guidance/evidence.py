"""The evidence snapshot: what the engine judges, as plain dataclasses.

Field names follow the data model of the architecture (Product, Donor, CellBank, Material,
MaterialLot, ProcessDefinition, Specification, Lot, RetentionSample, Administration,
AdverseEvent, RiskItem, Study, QMS document, Attestation) so that a Django selector can build
the same snapshot from the database that `dossier.py` builds from a file. Numbers are Decimal,
dates are `datetime.date`; the snapshot hashes through the project's canonical JSON.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from evqms.core import censored
from evqms.core.canonical import canonical_hash, canonical_json
from evqms.guidance import quantities, vocabulary


@dataclass(slots=True)
class Product:
    id: str
    name: str
    ev_type: str = "natural"  # natural | engineered
    source_cell_type: str = ""  # UC-MSC, AD-MSC, BM-MSC, iPSC-derived, immortalised line, ...
    origin: str = ""  # autologous | allogeneic
    indications: list[str] = field(default_factory=list)  # indication codes (vocab/indications.yaml)
    indication_detail: str = ""  # free text: stage, severity ("Kellgren-Lawrence II-III")
    routes: list[str] = field(default_factory=list)  # route codes (vocab/routes.yaml)
    dose_unit: str = ""
    responsible_physician: str = ""
    ev_role: str = ""  # active_substance | delivery_vehicle
    labelled_particles_per_ml: Decimal | None = None
    target_fraction_threshold: Decimal | None = (
        None  # biodistribution: fraction of dose that must reach the target
    )
    updated_on: dt.date | None = None


@dataclass(slots=True)
class InfectiousMarker:
    marker: str
    result: str  # negative | positive | not_tested


@dataclass(slots=True)
class Donor:
    id: str
    consent: bool = False
    eligible: bool | None = None
    screening_date: dt.date | None = None
    collection_date: dt.date | None = None
    infectious_markers: list[InfectiousMarker] = field(default_factory=list)


@dataclass(slots=True)
class TestRecord:
    test: str
    result: str = ""
    passed: bool | None = None


@dataclass(slots=True)
class CellBank:
    id: str
    kind: str  # MCB | WCB
    parent: str = ""  # donor id or cell-bank id
    passage: int | None = None
    max_passage: int | None = None
    characterisation: list[TestRecord] = field(default_factory=list)
    storage_location: str = ""


@dataclass(slots=True)
class Material:
    id: str
    name: str
    supplier: str = ""
    catalogue_number: str = ""
    stage: str = ""  # where the process uses it: culture, purification, fill, ...
    kind: str = ""  # material kind code (vocab/material_kinds.yaml)
    biological: bool = False  # of biological origin (serum, platelet lysate, enzymes from animals ...)


@dataclass(slots=True)
class MaterialLot:
    id: str
    material: str
    expiry: dt.date | None = None
    coa: str = ""  # certificate of analysis file or reference
    animal_origin: str | None = None  # "none" when declared free, "bovine serum", ...; None = not declared
    grade: str = ""
    acceptance_status: str = ""  # accepted | quarantine | rejected
    justification: str = ""  # why an animal-origin material is used
    # The process versions the justification covers: it justifies use in these only.
    justified_processes: list[str] = field(default_factory=list)
    tse_compliance: str = ""  # bovine-virus / TSE compliance record


@dataclass(slots=True)
class ProcessParameter:
    name: str
    unit: str = ""
    min: Decimal | None = None
    max: Decimal | None = None
    critical: bool = False


@dataclass(slots=True)
class ProcessStep:
    name: str
    kind: str  # culture, harvest, clarification, purification, concentration, sterile_filtration, fill, freeze, storage
    materials: list[str] = field(default_factory=list)
    parameters: list[ProcessParameter] = field(default_factory=list)
    aseptic: bool = False  # an open aseptic manipulation: its operator needs a current media fill


@dataclass(slots=True)
class ProcessDefinition:
    version: str
    effective_on: dt.date | None = None
    previous_version: str = ""
    comparability_record: str = ""  # approved comparability report after a change
    comparability_approved_on: dt.date | None = None
    change_request: str = ""  # the approved change request the version was made under
    isolation_method: str = ""
    steps: list[ProcessStep] = field(default_factory=list)


@dataclass(slots=True)
class SpecAttribute:
    id: str
    name: str
    category: str  # size_distribution, ev_marker, particle_concentration, protein, sterility, endotoxin, ...
    method: str = ""
    unit: str = ""
    min: Decimal | None = None
    max: Decimal | None = None
    min_inclusive: bool = True
    max_inclusive: bool = True
    expected: str = ""  # qualitative acceptance: negative, positive, no growth, conforms
    stage: str = "release"  # in-process | release | stability
    cqa: bool = False
    rationale: str = ""
    guidance_items: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Specification:
    id: str
    version: str
    effective_on: dt.date | None = None
    change_request: str = ""  # the approved change request a version after the first was made under
    attributes: list[SpecAttribute] = field(default_factory=list)


@dataclass(slots=True)
class MarkerResult:
    marker: str
    result: str  # positive | negative
    category: str = ""  # transmembrane | cytosolic | non_ev (filled from the marker list when absent)


@dataclass(slots=True)
class SizeFraction:
    lower_nm: Decimal
    upper_nm: Decimal
    fraction: Decimal


@dataclass(slots=True)
class QCResult:
    attribute: str  # SpecAttribute.id
    tested_on: dt.date | None = None
    value: Decimal | None = None
    unit: str = ""
    # "<" or ">" when the value is a bound, not a measurement ("< 0.05": below the limit of
    # quantification); judged by core.censored's rule, as the lot's QC rules judge it.
    censor: str = ""
    result: str = ""  # qualitative result
    method: str = ""
    replicates: int | None = None
    markers: list[MarkerResult] = field(default_factory=list)
    mode_nm: Decimal | None = None
    d10_nm: Decimal | None = None
    d50_nm: Decimal | None = None
    d90_nm: Decimal | None = None
    size_fractions: list[SizeFraction] = field(default_factory=list)
    analyst: str = ""
    raw_file_sha256: str = ""
    instrument: str = ""  # the instrument the test was run on (its register identifier)


@dataclass(slots=True)
class StepRecord:
    step: str
    parameters: dict[str, Decimal] = field(default_factory=dict)
    operator: str = ""
    # Where, when and with what the step was done (optional: the quality records judge them).
    room: str = ""
    started_on: dt.date | None = None
    finished_on: dt.date | None = None
    instruments: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Release:
    released_on: dt.date
    released_by: str = ""
    signature: str = ""


@dataclass(slots=True)
class Lot:
    id: str
    product: str = ""
    process_version: str = ""
    cell_bank: str = ""
    material_lots: list[str] = field(default_factory=list)
    manufactured_on: dt.date | None = None
    status: str = "in_process"  # in_process, quarantine, released, rejected, expired, recalled
    step_records: list[StepRecord] = field(default_factory=list)
    qc_results: list[QCResult] = field(default_factory=list)
    release: Release | None = None
    expiry: dt.date | None = None
    source_volume_ml: Decimal | None = None
    producer_cell_count: Decimal | None = None
    viability_at_harvest: Decimal | None = None
    culture_parameters: dict[str, str] = field(default_factory=dict)
    characterisation: dict[str, str] = field(default_factory=dict)  # metric -> value or file


@dataclass(slots=True)
class Deviation:
    id: str
    lot: str
    description: str = ""
    parameter: str = ""
    status: str = "open"  # open | closed
    approved: bool = False
    opened_on: dt.date | None = None


@dataclass(slots=True)
class EMSample:
    """An environmental-monitoring sample in a room: taken (with its verdict against the limits in
    force), missed, or still due; an action-level result names the deviation it opened."""

    id: str
    room: str
    point: str = ""
    method: str = ""
    due_on: dt.date | None = None
    sampled_on: dt.date | None = None
    status: str = "taken"  # taken | missed | due
    verdict: str = ""  # pass | alert | action (taken samples)
    deviation: str = ""
    deviation_status: str = ""  # open | closed


@dataclass(slots=True)
class MediaFillResult:
    """One operator's part in a media fill (aseptic process simulation) and when it lapses."""

    media_fill: str
    operator: str
    performed_on: dt.date
    result: str = "pass"  # pass | fail
    expires_on: dt.date | None = None  # the first day the qualification no longer holds


@dataclass(slots=True)
class Calibration:
    performed_on: dt.date
    result: str = "pass"  # pass | fail
    next_due: dt.date | None = None


@dataclass(slots=True)
class Instrument:
    id: str
    needs_calibration: bool = True
    calibration_due: dt.date | None = None  # the due date given at registration (before any calibration)
    calibrations: list[Calibration] = field(default_factory=list)


@dataclass(slots=True)
class Capa:
    id: str
    deviations: list[str] = field(default_factory=list)
    status: str = "open"  # open | closed
    due_on: dt.date | None = None  # an open CAPA: the earliest open action's or effectiveness check's date
    closed_on: dt.date | None = None


@dataclass(slots=True)
class QualityRecords:
    """The quality system's records behind the assessed lots. Absent from a dossier file that does
    not carry them: the items are then judged from documents and the attestation, as they say."""

    em_samples: list[EMSample] = field(default_factory=list)
    media_fills: list[MediaFillResult] = field(default_factory=list)
    instruments: list[Instrument] = field(default_factory=list)
    capas: list[Capa] = field(default_factory=list)


@dataclass(slots=True)
class RetentionSample:
    id: str
    lot: str = ""
    material_lot: str = ""
    quantity: str = ""
    location: str = ""
    retain_until: dt.date | None = None
    in_stock: bool = True
    reason: str = ""  # a documented reason why no sample is kept (biological raw materials)


@dataclass(slots=True)
class Dose:
    value: Decimal
    basis: str  # particles | protein_ug
    per_kg: bool


@dataclass(slots=True)
class Administration:
    id: str
    patient: str = ""
    lot: str = ""
    aliquot: str = ""
    dose: Dose | None = None
    volume_ml: Decimal | None = None
    body_weight_kg: Decimal | None = None
    route: str = ""
    site: str = ""
    administered_on: dt.date | None = None
    physician: str = ""


@dataclass(slots=True)
class AdverseEvent:
    id: str
    administration: str
    onset: dt.date | None = None
    description: str = ""
    ctcae_grade: int | None = None
    serious: bool = False
    causality: str = ""
    outcome: str = ""
    investigation: str = ""
    sample_tests: int = 0  # tests of retained samples made to investigate it


@dataclass(slots=True)
class SafetyReport:
    """A report of a serious adverse event to the authority, with its due date."""

    id: str
    adverse_event: str
    kind: str = "initial"  # initial | follow_up
    due_on: dt.date | None = None
    submitted_on: dt.date | None = None


@dataclass(slots=True)
class OutcomeInstrument:
    """An outcome instrument the product uses; `baseline` False for one that rates change itself
    (a global impression of change), which no administration needs a baseline for."""

    id: str  # "nrs-pain v1"
    baseline: bool = True
    active_from: dt.date | None = None
    active_until: dt.date | None = None


@dataclass(slots=True)
class Baseline:
    administration: str
    instrument: str
    evaluated_on: dt.date | None = None


@dataclass(slots=True)
class FollowUpVisit:
    id: str  # "ADM-00012 M3 nrs-pain v1"
    administration: str
    instrument: str
    month: int
    window_start: dt.date
    window_end: dt.date
    status: str = "scheduled"  # scheduled | done | missed
    evaluated_on: dt.date | None = None
    missed_reason: str = ""


@dataclass(slots=True)
class EvidenceReport:
    """The product's evidence summary (the yearly report) as issued: what was generated, when."""

    id: str
    year: int
    issued_on: dt.date
    language: str = ""


@dataclass(slots=True)
class RiskItem:
    id: str
    stage: str
    hazard: str
    cause: str = ""
    effect: str = ""
    severity: int = 1
    occurrence: int = 1
    detectability: int = 1
    controls: list[str] = field(default_factory=list)  # spec attribute ids or "step/parameter"
    residual_risk: str = ""
    status: str = "open"


@dataclass(slots=True)
class NoneIdentified:
    stage: str
    reason: str


@dataclass(slots=True)
class RiskRegister:
    id: str
    version: str = "1"
    status: str = "draft"  # draft | approved
    approved_on: dt.date | None = None
    approved_by: str = ""
    items: list[RiskItem] = field(default_factory=list)
    none_identified: list[NoneIdentified] = field(default_factory=list)


@dataclass(slots=True)
class PotencyAssay:
    id: str
    name: str
    mechanism: str = ""
    indication: str = ""  # indication code (vocab/indications.yaml)
    kind: str = "in_vitro"  # in_vitro | in_vivo
    reference_standard: str = ""
    attribute: str = ""  # the SpecAttribute judging lots with this assay
    unit_basis: str = ""  # particles | protein
    mock_control: bool = False
    validated: bool = False


@dataclass(slots=True)
class BiodistributionStudy:
    id: str
    route: str
    species: str = ""
    methods: list[str] = field(default_factory=list)
    target: str = ""
    fraction_of_dose: Decimal | None = None
    # The fraction the study set as its target; the product's threshold, when stated, governs.
    threshold: Decimal | None = None
    completed_on: dt.date | None = None


@dataclass(slots=True)
class DoseResponseStudy:
    id: str
    kind: str  # in_vitro | in_vivo | clinical
    endpoint: str  # efficacy | safety
    supported_min: Dose | None = None
    supported_max: Dose | None = None
    completed_on: dt.date | None = None


@dataclass(slots=True)
class OtherStudy:
    id: str
    kind: str  # stability, toxicity, safety_pharmacology, nonclinical_efficacy, ...
    conclusion: str = ""
    supported_months: Decimal | None = None
    completed_on: dt.date | None = None


@dataclass(slots=True)
class Studies:
    potency_assays: list[PotencyAssay] = field(default_factory=list)
    biodistribution: list[BiodistributionStudy] = field(default_factory=list)
    dose_response: list[DoseResponseStudy] = field(default_factory=list)
    other: list[OtherStudy] = field(default_factory=list)


@dataclass(slots=True)
class QMSDocument:
    id: str
    element: str  # aseptic_processing, sop, training, change_control, deviation_capa, validation, ...
    title: str = ""
    version: str = ""
    status: str = "draft"  # draft | approved | retired
    effective_on: dt.date | None = None
    review_due: dt.date | None = None


@dataclass(slots=True)
class Attestation:
    id: str
    item: str  # guidance item id
    role: str  # responsible_physician, quality_manager, ...
    signer: str
    signed_on: dt.date
    statement: str = ""
    cites: list[str] = field(default_factory=list)  # evidence references, "risk_register:RR-1"


@dataclass(slots=True)
class EvidenceSnapshot:
    product: Product
    as_of: dt.date | None = None
    donors: list[Donor] = field(default_factory=list)
    cell_banks: list[CellBank] = field(default_factory=list)
    materials: list[Material] = field(default_factory=list)
    material_lots: list[MaterialLot] = field(default_factory=list)
    processes: list[ProcessDefinition] = field(default_factory=list)
    specifications: list[Specification] = field(default_factory=list)
    lots: list[Lot] = field(default_factory=list)
    deviations: list[Deviation] = field(default_factory=list)
    retention_samples: list[RetentionSample] = field(default_factory=list)
    administrations: list[Administration] = field(default_factory=list)
    adverse_events: list[AdverseEvent] = field(default_factory=list)
    safety_reports: list[SafetyReport] = field(default_factory=list)
    outcome_instruments: list[OutcomeInstrument] = field(default_factory=list)
    baselines: list[Baseline] = field(default_factory=list)
    follow_up_visits: list[FollowUpVisit] = field(default_factory=list)
    evidence_reports: list[EvidenceReport] = field(default_factory=list)
    risk_register: RiskRegister | None = None
    studies: Studies = field(default_factory=Studies)
    qms_documents: list[QMSDocument] = field(default_factory=list)
    attestations: list[Attestation] = field(default_factory=list)
    quality_records: QualityRecords | None = None

    def canonical_json(self) -> str:
        return canonical_json(self)

    def sha256(self) -> str:
        """Deterministic: canonical JSON (sorted keys, Decimal and dates as strings)."""
        return canonical_hash(self)

    # Look-ups the checks share (the snapshot is small: lists, not indexes).
    def attributes(self) -> list[SpecAttribute]:
        return [a for spec in self.specifications for a in spec.attributes]

    def attribute(self, attribute_id: str) -> SpecAttribute | None:
        return next((a for a in self.attributes() if a.id == attribute_id), None)

    def material(self, material_id: str) -> Material | None:
        return next((m for m in self.materials if m.id == material_id), None)

    def released_lots(self) -> list[Lot]:
        return [lot for lot in self.lots if lot.release is not None]

    def administered_lot_ids(self) -> list[str]:
        return sorted({a.lot for a in self.administrations if a.lot})


def within(attribute: SpecAttribute, value: Decimal) -> bool:
    """Numeric acceptance with inclusive or exclusive bounds (as SENAITE result ranges)."""
    if attribute.min is not None:
        if value < attribute.min or (value == attribute.min and not attribute.min_inclusive):
            return False
    if attribute.max is not None:
        if value > attribute.max or (value == attribute.max and not attribute.max_inclusive):
            return False
    return True


def result_in_spec(attribute: SpecAttribute, result: QCResult) -> bool | None:
    """True/False when the result can be judged against the attribute, None when it cannot."""
    if attribute.expected:
        if result.result:
            return result.result.strip().lower() == attribute.expected.strip().lower()
        if attribute.category != "ev_marker":
            return None
    if attribute.category == "ev_marker":
        if not result.markers:
            return None
        ev_positive = any(m.result == "positive" and marker_category(m) != "non_ev" for m in result.markers)
        contaminant = any(m.result == "positive" and marker_category(m) == "non_ev" for m in result.markers)
        return ev_positive and not contaminant
    value, unit = result.value, quantities.result_unit(result, attribute)
    if value is None and attribute.category == "size_distribution":
        value = result.mode_nm if result.mode_nm is not None else result.d50_nm
        unit = quantities.SIZE_NM
    if attribute.min is None and attribute.max is None:
        return value is not None or bool(result.result)
    if value is None:
        return None
    try:
        # The limits are in the attribute's unit: 300 ng/mL is judged as 0.3 ug/mL.
        value = quantities.to_attribute_unit(value, unit, attribute)
    except quantities.UnitMismatch:
        return None  # not comparable: `unit_mismatch` names the units for the finding
    if result.censor and result.value is not None:
        return censored_within(attribute, result.censor, value)
    return within(attribute, value)


def censored_within(attribute: SpecAttribute, censor: str, bound: Decimal) -> bool:
    """A censored result meets the attribute only when every value it allows does (the rule the
    lot's QC rules apply, `core.censored`): "< 0.05" meets "≤ 0.1", "< 0.5" does not."""
    allowed = censored.possible(
        censor, bound, signed=censored.signed(attribute.unit, (attribute.min, attribute.max))
    )
    if (
        attribute.min is not None
        and censored.meets_lower(allowed, attribute.min, attribute.min_inclusive) != censored.ALL
    ):
        return False
    if (
        attribute.max is not None
        and censored.meets_upper(allowed, attribute.max, attribute.max_inclusive) != censored.ALL
    ):
        return False
    return True


def unit_mismatch(attribute: SpecAttribute, result: QCResult) -> quantities.UnitMismatch | None:
    """Why a numeric result cannot be judged against the attribute's limits, if its unit is why."""
    if attribute.expected or attribute.category == "ev_marker" or result.value is None:
        return None
    if attribute.min is None and attribute.max is None:
        return None
    try:
        quantities.to_attribute_unit(result.value, quantities.result_unit(result, attribute), attribute)
    except quantities.UnitMismatch as mismatch:
        return mismatch
    return None


# MISEV2018 protein categories (S15): 1 transmembrane/GPI-anchored, 2 cytosolic with membrane
# association, 3 non-EV co-isolates and other compartments (expected absent or depleted). The
# list is the marker vocabulary (vocab/markers.yaml).
MARKER_CATEGORIES = {t.code: str(t.extra.get("category", "unknown")) for t in vocabulary.terms("marker")}


def marker_category(marker: MarkerResult) -> str:
    """The declared category, else the MISEV category of a known marker, else 'unknown'."""
    if marker.category:
        return marker.category
    code = vocabulary.match("marker", marker.marker)
    return vocabulary.marker_category(code) if code else "unknown"

"""Demo lots (idempotent, through the services): the four lots of the demo scenario.

- UCEV-24-001: made on process v1 with fetal bovine serum FBS-23-11; every result passes
  (endotoxin below the limit of quantification, "< 0.05 EU/mL", a censored result), verified,
  released by QA. Then QA approves the xeno-free process v2 (superseding v1) and the
  other three lots are made on it.
- UCEV-24-002: in QC, some results entered.
- UCEV-24-003: endotoxin above its limit, the retest confirms the OOS, QA rejects the lot (the
  major OOS deviation stays open for its CAPA).
- UCEV-24-004: an OOS traced to a documented laboratory error, invalidated; the retest passes;
  QA classifies the deviation minor, records the investigation and the lot's impact, closes it
  with a signature and releases the lot.
- UCEV-24-005: in process, its steps recorded up to the sterile filtration, which is aseptic and
  waits for a qualified operator (operator2's media fill has lapsed: the step is refused to them).

Upstream records (product `ucmsc-sev-oa`, processes v1/v2, specification v1, cell bank
`WCB-001-01`, material lots `XF-24-001`, `HPL-24-07`, `FBS-23-11`) are made by the dossier demo
and looked up here by code; without them this loader does nothing. Results are generated from
the specification's own limits, so any release template works. Signing needs the demo users'
passwords: `load(users, passwords=None)` reads them from $EVQMS_HOME/demo-logins.json (written
by evqms.web.demo) unless given. The lots are made in the months before the load date and expire
at manufacture + the shelf life approved in the specification, so the released lots are in date
and within it. When the product asks for a retention sample, `keep_retention_sample(lot, users)`
(given by evqms.web.demo, which may use inventory; lots may not) keeps one before release.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from evqms.core.demo import signing_request
from evqms.dossier.demo import approve_xeno_free_change
from evqms.dossier.models import (
    CellBank,
    MaterialLot,
    ProcessDefinition,
    Product,
    SpecAttribute,
    Specification,
)
from evqms.equipment.models import Instrument, Room
from evqms.lots import services
from evqms.lots.evaluation import round_half_up
from evqms.lots.models import Lot
from evqms.lots.selectors import add_months, approved_shelf_life
from evqms.lots.selectors.microbiology import suitability_in_force, test_type_of
from evqms.lots.services import microbiology

PRODUCT = "ucmsc-sev-oa"
CELL_BANK = "WCB-001-01"
DEMO_LOQ = Decimal("0.05")
LOTS = ("UCEV-24-001", "UCEV-24-002", "UCEV-24-003", "UCEV-24-004", "UCEV-24-005")


def _note(message: str) -> None:
    print(f"lots demo: {message}", file=sys.stderr)


def _passwords(passwords: dict | None) -> dict:
    if passwords:
        return passwords
    path = settings.EVQMS_HOME / "demo-logins.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def passing_value(attribute) -> tuple[Decimal | None, str]:
    """A value (or qualitative text) comfortably inside the attribute's acceptance and alert limits."""
    if attribute.kind == "qualitative":
        return None, (attribute.acceptable or [""])[0]
    lower = attribute.alert_lower if attribute.alert_lower is not None else attribute.lower
    upper = attribute.alert_upper if attribute.alert_upper is not None else attribute.upper
    if lower is not None and upper is not None:
        if lower > 0 and upper / lower > 100:  # wide ranges (concentrations): the geometric middle
            value = Decimal(str(float(lower) ** 0.5 * float(upper) ** 0.5))
            value = Decimal(f"{value:.2e}")
        else:
            value = (lower + upper) / 2
    elif upper is not None:
        value = upper / 5
    elif lower is not None:
        value = lower * 3 if lower > 0 else lower + 10
    else:
        value = Decimal("1")
    return round_half_up(value, attribute.decimal_places if attribute.decimal_places is not None else 3), ""


def failing_value(attribute) -> Decimal:
    if attribute.upper is not None:
        return round_half_up(attribute.upper * 3, attribute.decimal_places or 2)
    return round_half_up(attribute.lower / 10, attribute.decimal_places or 2)


def _oos_attribute(spec):
    attrs = list(spec.attributes.filter(stage="release", kind="quantitative").order_by("order", "id"))
    for a in attrs:
        if "endotoxin" in a.code.lower():
            return a
    for a in attrs:
        if a.upper is not None or (a.lower is not None and a.lower > 0):
            return a
    return None


# Passing run controls of a sterility, endotoxin or mycoplasma run.
PASSING_CONTROLS = {
    "sterility": {"positive_control": "detected", "negative_control": "not detected"},
    "mycoplasma": {"positive_control": "detected", "negative_control": "not detected"},
    "endotoxin": {"positive_recovery": "94", "negative_control": "not detected"},
}


class _Demo:
    def __init__(self, users, passwords, keep_retention_sample=None):
        self.users = users
        self.passwords = passwords
        self.keep_retention_sample = keep_retention_sample
        self.product = Product.objects.get(code=PRODUCT)
        self.v1 = ProcessDefinition.objects.filter(product=self.product, version=1).first()
        self.v2 = ProcessDefinition.objects.filter(product=self.product, version=2).first()
        self.spec = (
            Specification.objects.filter(product=self.product, status="approved").order_by("version").first()
        )
        self.bank = CellBank.objects.get(code=CELL_BANK)
        self.today = timezone.localdate()

    def where_done(self, step) -> dict:
        """The demo cleanroom and its cabinet (and the incubator for culture), when the equipment
        demo has made them."""
        room = Room.objects.filter(code="CR-B01").first()
        wanted = ["BSC-01", "INC-01"] if step.kind == "culture" else ["BSC-01"]
        return {"room": room, "instruments": list(Instrument.objects.filter(identifier__in=wanted))}

    def instrument_for(self, attribute):
        """The demo instrument a method is measured on: NTA on the NanoSight, plate assays (BCA, LAL,
        potency) on the plate reader; None for the others."""
        method = (attribute.method or "").upper()
        if "NTA" in method:
            identifier = "NTA-01"
        elif any(word in method for word in ("BCA", "LAL", "POTENCY")):
            identifier = "PR-01"
        else:
            return None
        return Instrument.objects.filter(identifier=identifier).first()

    def material(self, lot_number):
        return MaterialLot.objects.filter(lot_number=lot_number).select_related("material").first()

    def make(self, number, manufactured_on, *, old_process=False, until_aseptic=False):
        operator = self.users["operator"]
        process = self.v1 if (old_process and self.v1 and self.v1.status == "approved") else None
        process = process or (self.v2 if self.v2 and self.v2.status == "approved" else self.v1)
        # The expiry the approved shelf life allows (none without one: such a lot is never released).
        shelf = approved_shelf_life(Lot(product=self.product, specification=self.spec))
        if shelf is None:
            _note(f"no approved shelf life: {number} has no expiry and cannot be released")
        lot = services.create_lot(
            actor=operator,
            product=self.product,
            process=process,
            specification=self.spec,
            cell_bank=self.bank,
            number=number,
            manufactured_on=manufactured_on,
            volume_ml=Decimal("20"),
            expiry=add_months(manufactured_on, shelf.months) if shelf else None,
        )
        materials = ["FBS-23-11", "XF-24-001"] if process.version == 1 else ["XF-24-001", "HPL-24-07"]
        for code in materials:
            mlot = self.material(code)
            if mlot is None or mlot.acceptance_status != "accepted" or mlot.expiry < self.today:
                _note(f"material lot {code} missing, not accepted or expired: not recorded on {number}")
                continue
            qty, unit = (Decimal("50"), "mL") if code != "XF-24-001" else (Decimal("500"), "mL")
            services.record_material_usage(
                actor=operator, lot=lot, material_lot=mlot, quantity=qty, unit=unit
            )
        start = timezone.make_aware(dt.datetime.combine(manufactured_on, dt.time(9, 0)))
        steps = list(process.steps.order_by("order"))
        for i, step in enumerate(steps):
            if until_aseptic and (step.aseptic or i == len(steps) - 1):
                return lot  # left in process at its first aseptic step (or its last, none declared)
            values = {}
            for p in step.parameters.all():
                if p.low is not None and p.high is not None:
                    values[p.pk] = ((p.low + p.high) / 2, p.unit)
                elif p.low is not None or p.high is not None:
                    values[p.pk] = (p.low if p.low is not None else p.high, p.unit)
            began = start + dt.timedelta(hours=6 * i)
            services.record_step(
                actor=operator,
                lot=lot,
                step=step,
                started_at=began,
                finished_at=began + dt.timedelta(hours=4),
                values=values,
                **self.where_done(step),
            )
        return services.submit_to_qc(actor=operator, lot=lot)

    def result(
        self, lot, attribute, tested_at, *, value=None, text=None, retest_of=None, verify=True, raw_file=None
    ):
        if value is None and text is None:
            value, text = passing_value(attribute)
        r = services.record_qc_result(
            actor=self.users["analyst"],
            lot=lot,
            attribute=attribute,
            value=value,
            unit=attribute.unit,
            text_value=text or "",
            method=attribute.method,
            tested_at=tested_at,
            retest_of=retest_of,
            raw_file=raw_file,
            instrument=self.instrument_for(attribute),
            controls=PASSING_CONTROLS.get(test_type_of(attribute) or ""),
        )
        if verify:
            r = services.verify_qc_result(actor=self.users["analyst2"], result=r)
        return r

    def test_all(self, lot, tested_on, *, skip=(), only=None, below_loq=()):
        """Every release test of `lot`, passing; an attribute in `below_loq` (codes) is reported
        below a limit of quantification of 0.05 (or a tenth of its upper limit, if lower): "< 0.05
        EU/mL"."""
        tested_at = timezone.make_aware(dt.datetime.combine(tested_on, dt.time(10, 0)))
        for i, attribute in enumerate(self.spec.attributes.filter(stage="release").order_by("order", "id")):
            if attribute.pk in skip or (only is not None and i >= only):
                continue
            if attribute.code in below_loq and attribute.upper is not None and attribute.upper > 0:
                # a kinetic LAL assay's usual limit of quantification, below the upper limit
                loq = min(DEMO_LOQ, attribute.upper / 10).normalize()
                self.result(lot, attribute, tested_at + dt.timedelta(minutes=i), value=f"<{loq:f}")
                continue
            raw = None
            if i == 0 and attribute.kind == "quantitative":
                value, _t = passing_value(attribute)
                raw = (
                    f"{lot.number}-{attribute.code}.csv",
                    f"sample,{attribute.code},unit\n{lot.number},{value},{attribute.unit}\n".encode(),
                )
            self.result(lot, attribute, tested_at + dt.timedelta(minutes=i), raw_file=raw)

    def suitabilities(self):
        """Approved, suitable method suitability records for the product's sterility, endotoxin and
        mycoplasma methods (recorded by QC, signed by QA), made before the first lot; once."""
        reports = {
            "sterility": "Membrane filtration with 6 compendial strains (<= 100 CFU): growth comparable to the control",
            "endotoxin": "Test for interfering factors at MVD 1:10: PPC spike recovery 96 %",
            "mycoplasma": "NAT specificity and LOD 10 CFU/mL in the product matrix (M. orale, M. pneumoniae, A. laidlawii)",
        }
        for attribute in SpecAttribute.objects.filter(specification__product=self.product).order_by("id"):
            test_type = test_type_of(attribute)
            if test_type is None or suitability_in_force(self.product.pk, test_type, attribute.method):
                continue
            with transaction.atomic():
                record = microbiology.record_method_suitability(
                    actor=self.users["analyst"],
                    product=self.product,
                    test_type=test_type,
                    method=attribute.method,
                    method_version="SOP-QC-010 v1" if test_type == "endotoxin" else "",
                    performed_on=self.day(420),
                    outcome="suitable",
                    spike_recovery="96" if test_type == "endotoxin" else None,
                    notes=reports[test_type],
                    report=(f"suitability-{test_type}.txt", f"{reports[test_type]}\n".encode()),
                )
                microbiology.approve_method_suitability(
                    request=signing_request("/lots/demo/"),
                    actor=self.users["qa"],
                    record=record,
                    password=self.passwords["qa"],
                    reason="method suitability reviewed",
                )

    def day(self, days_ago: int) -> dt.date:
        return self.today - dt.timedelta(days=days_ago)

    def at(self, days_ago: int, hour: int) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(self.day(days_ago), dt.time(hour, 0)))

    def release(self, lot, reason):
        qa = self.users["qa"]
        if (
            self.product.retention_sample_required
            and not lot.retention_samples.filter(status="in_stock").exists()
        ):
            if self.keep_retention_sample is None:
                _note(f"no retention sample can be kept here: {lot.number} left in quarantine")
                return lot
            self.keep_retention_sample(lot, self.users)
        return services.release_lot(
            request=signing_request("/lots/demo/"),
            actor=qa,
            lot=lot,
            password=self.passwords["qa"],
            reason=reason,
        )

    def close_invalid_oos(self, lot, dev):
        """An OOS shown to be a laboratory error: QA classifies it minor, records the investigation
        and the lot's impact, and closes it with a signature (no CAPA needed for a minor one)."""
        qa = self.users["qa"]
        services.classify_deviation(
            actor=qa,
            deviation=dev,
            classification="minor",
            reason="Invalid OOS: documented laboratory error; the product was not at fault.",
        )
        services.record_investigation(
            actor=qa,
            deviation=dev,
            root_cause_category="measurement",
            investigation=(
                "Laboratory investigation LIR-24-031: the reagent blank was contaminated; the retest of the "
                "retained sample passes."
            ),
        )
        services.assess_impact(
            actor=qa,
            deviation=dev,
            lot=lot,
            assessment="no_impact",
            reasoning="The result was invalidated for a laboratory error; the valid retest passes.",
        )
        services.close_deviation(
            request=signing_request("/lots/demo/"),
            actor=qa,
            deviation=dev,
            password=self.passwords["qa"],
            resolution="Invalid OOS (laboratory error LIR-24-031); blank acceptance check added to the LAL SOP.",
        )

    # --- the four stories -----------------------------------------------------------------

    def lot_001(self):
        lot = self.make("UCEV-24-001", self.day(240), old_process=True)
        self.test_all(lot, self.day(233), below_loq={"endotoxin"})
        lot = services.complete_qc(actor=self.users["analyst"], lot=lot)
        self.release(lot, "All release tests pass; batch record reviewed.")

    def lot_002(self):
        lot = self.make("UCEV-24-002", self.day(180))
        self.test_all(lot, self.day(173), only=2)

    def lot_003(self):
        lot = self.make("UCEV-24-003", self.day(150))
        oos = _oos_attribute(self.spec)
        self.test_all(lot, self.day(143), skip={oos.pk} if oos else set())
        if oos is not None:
            first = self.result(lot, oos, self.at(143, 14), value=failing_value(oos))
            self.result(
                lot,
                oos,
                self.at(141, 10),
                value=failing_value(oos),
                retest_of=first,
            )
        qa = self.users["qa"]
        # A confirmed OOS is a major deviation: it stays open under investigation (and its CAPA, in
        # the CAPA demo) after QA has rejected the lot.
        services.reject_lot(
            request=signing_request("/lots/demo/"),
            actor=qa,
            lot=lot,
            password=self.passwords["qa"],
            reason="Confirmed OOS: the retest repeats the out-of-specification result.",
        )

    def lot_004(self):
        lot = self.make("UCEV-24-004", self.day(120))
        oos = _oos_attribute(self.spec)
        self.test_all(lot, self.day(113), skip={oos.pk} if oos else set())
        if oos is not None:
            first = self.result(
                lot,
                oos,
                self.at(113, 14),
                value=failing_value(oos),
                verify=False,
            )
            services.invalidate_qc_result(
                actor=self.users["analyst2"],
                result=first,
                reason=(
                    "Laboratory error: the reagent blank was contaminated (LIR-24-031); the sample was not at fault."
                ),
            )
            self.result(lot, oos, self.at(112, 10), retest_of=first)
            for dev in lot.deviations.filter(status="open"):
                self.close_invalid_oos(lot, dev)
        lot = services.complete_qc(actor=self.users["analyst"], lot=lot)
        self.release(lot, "Release after an invalidated OOS (laboratory error) and a passing retest.")

    def lot_005(self):
        self.make("UCEV-24-005", self.day(2), until_aseptic=True)


def load(users: dict, passwords: dict | None = None, *, keep_retention_sample=None) -> None:
    if (
        not Product.objects.filter(code=PRODUCT).exists()
        or not CellBank.objects.filter(code=CELL_BANK).exists()
    ):
        _note("the dossier demo records are missing: no demo lots")
        return
    passwords = _passwords(passwords)
    if "qa" not in passwords:
        _note("no password for the demo QA user: no demo lots")
        return
    demo = _Demo(users, passwords, keep_retention_sample)
    if demo.spec is None or (demo.v1 is None and demo.v2 is None):
        _note("no approved specification or process: no demo lots")
        return
    demo.suitabilities()
    stories = {
        "UCEV-24-001": demo.lot_001,
        "UCEV-24-002": demo.lot_002,
        "UCEV-24-003": demo.lot_003,
        "UCEV-24-004": demo.lot_004,
        "UCEV-24-005": demo.lot_005,
    }
    for number, story in stories.items():
        if number != "UCEV-24-001" and demo.v2 is not None and demo.v2.status == "draft":
            # The xeno-free change is approved after the first lot, made on process v1 with FBS.
            approve_xeno_free_change(users, passwords)
            for process in (demo.v1, demo.v2):
                if process is not None:
                    process.refresh_from_db()
        if Lot.objects.filter(number=number).exists():
            continue
        with transaction.atomic():  # a lot's whole story, or none of it (so a rerun completes it)
            story()
    _column_mapping(users)


def _column_mapping(users: dict) -> None:
    """A saved column mapping for the QC import: a LIMS export whose headers are its own."""
    from evqms.lots.models import QCColumnMapping
    from evqms.lots.services.qc_mappings import create_column_mapping

    if "analyst" not in users or QCColumnMapping.objects.filter(name__iexact="LIMS export").exists():
        return
    create_column_mapping(
        actor=users["analyst"],
        name="LIMS export",
        headers={
            "lot": "Batch",
            "attribute": "Test code",
            "value": "Result",
            "unit": "Units",
            "method": "Method",
            "tested_at": "Tested",
            "analyst": "Tested by",
        },
    )

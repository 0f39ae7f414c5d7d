"""The demo dossier (idempotent, through the services so the audit trail holds every record).

Product `ucmsc-sev-oa` (UC-MSC small EVs for knee osteoarthritis, intra-articular, allogeneic,
dose in particles), donor D-0001 (eligible, negative panel), MCB-001 from it and WCB-001-01 from
MCB-001, three material lots (xeno-free medium XF-24-001, human platelet lysate HPL-24-07,
bovine FBS-23-11 with its justification), process v1 (with FBS, approved) and v2 (xeno-free, a
draft: the lots demo approves it with `approve_xeno_free_change` after making UCEV-24-001 on v1,
which supersedes v1), and specification v1 from the default EV release template (approved).

Signing needs the demo users' passwords: `load(users, passwords=None)` reads them from
$EVQMS_HOME/demo-logins.json (written by evqms.web.demo) unless given. Material expiry dates are
set relative to the load date so the lots stay usable.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from evqms.changes.models import ChangeRequest
from evqms.core.demo import signing_request
from evqms.dossier import models as m
from evqms.dossier import services

PRODUCT = "ucmsc-sev-oa"
# The aseptic steps (open manipulation after sterile filtration) and the SOP their operators are
# trained on; the endotoxin test's method SOP. The training demo trains and qualifies the staff.
ASEPTIC_STEP_KINDS = ("sterile_filtration", "fill")
ASEPTIC_SOP = "SOP-EV-001"
LAL_SOP = "SOP-QC-010"


def _note(message: str) -> None:
    print(f"dossier demo: {message}", file=sys.stderr)


def _passwords(passwords: dict | None) -> dict:
    if passwords:
        return passwords
    path = settings.EVQMS_HOME / "demo-logins.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def _password(passwords: dict, user) -> str | None:
    value = passwords.get(user.get_username())
    if isinstance(value, dict):
        value = value.get("password")
    return value or getattr(user, "raw_password", None)


PROCESS_V1 = [
    (
        "culture",
        "Expansion in medium with 10 % FBS",
        "",
        [
            dict(name="Culture time", unit="h", low=Decimal("48"), high=Decimal("72"), critical=True),
            dict(
                name="Confluence at harvest",
                unit="%",
                low=Decimal("70"),
                high=Decimal("90"),
                in_process_control=True,
            ),
        ],
    ),
    (
        "harvest",
        "Conditioned-medium collection (serum-free 48 h)",
        "",
        [
            dict(name="Conditioning time", unit="h", low=Decimal("44"), high=Decimal("52"), critical=True),
        ],
    ),
    ("clarification", "Clarification", "2,000 x g centrifugation + 0.45 um filter", []),
    (
        "purification",
        "Ultracentrifugation",
        "100,000 x g, 70 min, x2",
        [
            dict(
                name="Centrifugation time", unit="min", low=Decimal("65"), high=Decimal("75"), critical=True
            ),
        ],
    ),
    ("sterile_filtration", "Sterile filtration", "0.22 um PES", []),
    (
        "fill",
        "Fill into cryovials",
        "",
        [
            dict(
                name="Fill volume",
                unit="mL",
                low=Decimal("0.95"),
                high=Decimal("1.05"),
                in_process_control=True,
            ),
        ],
    ),
    (
        "freeze",
        "Freeze",
        "",
        [
            dict(
                name="Storage temperature",
                unit="degC",
                low=Decimal("-90"),
                high=Decimal("-70"),
                critical=True,
            ),
        ],
    ),
]


# Catalogue numbers of the materials each process version may use (its bill of materials).
PROCESS_V1_BILL = ("XF-MSC-500", "FBS-US-500")
PROCESS_V2_BILL = ("XF-MSC-500", "HPL-GMP-100")
SHELF_LIFE_MONTHS = 18
SHELF_LIFE_BASIS = (
    "Stability study 'Relative potency at -80 °C (long term)': ICH Q1E shelf life 18.3 months "
    "(lower limit 70 %), approved as 18 months"
)


def _process_v2_steps():
    return [
        (
            "culture",
            "Expansion in xeno-free medium with human platelet lysate",
            "",
            [
                dict(name="Culture time", unit="h", low=Decimal("48"), high=Decimal("72"), critical=True),
                dict(
                    name="Confluence at harvest",
                    unit="%",
                    low=Decimal("70"),
                    high=Decimal("90"),
                    in_process_control=True,
                ),
            ],
        ),
        (
            "harvest",
            "Conditioned-medium collection (xeno-free, 48 h)",
            "",
            [
                dict(
                    name="Conditioning time", unit="h", low=Decimal("44"), high=Decimal("52"), critical=True
                ),
            ],
        ),
        ("clarification", "Clarification", "2,000 x g centrifugation + 0.45 um filter", []),
        (
            "concentration",
            "Tangential-flow filtration",
            "TFF 300 kDa",
            [
                dict(
                    name="Transmembrane pressure",
                    unit="bar",
                    low=Decimal("0.2"),
                    high=Decimal("1.0"),
                    critical=True,
                ),
            ],
        ),
        ("purification", "Size-exclusion chromatography", "SEC (qEV)", []),
        ("sterile_filtration", "Sterile filtration", "0.22 um PES", []),
        (
            "fill",
            "Fill into cryovials",
            "",
            [
                dict(
                    name="Fill volume",
                    unit="mL",
                    low=Decimal("0.95"),
                    high=Decimal("1.05"),
                    in_process_control=True,
                ),
            ],
        ),
        (
            "freeze",
            "Freeze",
            "",
            [
                dict(
                    name="Storage temperature",
                    unit="degC",
                    low=Decimal("-90"),
                    high=Decimal("-70"),
                    critical=True,
                ),
            ],
        ),
    ]


class _Loader:
    def __init__(self, users, passwords):
        self.users = users
        self.passwords = passwords
        self.qa = users["qa"]
        self.operator = users["operator"]
        self.analyst = users["analyst"]
        self.today = timezone.localdate()

    def sign_kwargs(self, user):
        return dict(
            request=signing_request("/dossier/demo/"), actor=user, password=_password(self.passwords, user)
        )

    def product(self) -> m.Product:
        product = m.Product.objects.filter(code=PRODUCT).first()
        if product is None:
            product = services.create_product(
                actor=self.qa,
                code=PRODUCT,
                name="UC-MSC small EVs for knee osteoarthritis",
                ev_type="natural",
                source_cell_type="uc_msc",
                origin="allogeneic",
                indications="Knee osteoarthritis (Kellgren-Lawrence II-III)",
                routes=["intra_articular"],
                dose_unit="particles",
                responsible_physician=self.users.get("physician"),
            )
        elif product.responsible_physician_id is None and self.users.get("physician") is not None:
            services.update_product(
                actor=self.qa, product=product, responsible_physician=self.users["physician"]
            )
        return product

    def donor(self) -> m.Donor:
        donor = m.Donor.objects.filter(code="D-0001").first()
        if donor is None:
            donor = services.create_donor(actor=self.operator, code="D-0001", consent_on=dt.date(2024, 1, 10))
        tested = set(donor.test_results.values_list("marker_id", flat=True))
        _ensure_standard_panel()
        for marker in m.InfectiousMarker.objects.filter(required=True):
            if marker.pk not in tested:
                services.record_donor_test(
                    actor=self.operator,
                    donor=donor,
                    marker=marker,
                    result="negative",
                    tested_on=dt.date(2024, 1, 12),
                    method="CLEIA / NAT",
                )
        if donor.eligibility != "eligible":
            donor = services.set_donor_eligibility(
                actor=self.qa,
                donor=donor,
                eligibility="eligible",
                notes="Negative panel; medical history reviewed",
            )
        return donor

    def banks(self, donor):
        mcb = m.CellBank.objects.filter(code="MCB-001").first() or services.create_cell_bank(
            actor=self.operator,
            code="MCB-001",
            kind="MCB",
            donor=donor,
            passage=3,
            frozen_on=dt.date(2024, 2, 1),
            vials=50,
            location="LN2 tank A, rack 1",
            status="available",
            characterisation=[
                {"test": "Sterility", "result": "no growth", "method": "JP 4.06", "date": "2024-02-10"},
                {"test": "Mycoplasma", "result": "negative", "method": "NAT", "date": "2024-02-10"},
                {
                    "test": "CD73/CD90/CD105",
                    "result": ">= 95 %",
                    "method": "Flow cytometry",
                    "date": "2024-02-12",
                },
            ],
        )
        if not m.CellBank.objects.filter(code="WCB-001-01").exists():
            services.create_cell_bank(
                actor=self.operator,
                code="WCB-001-01",
                kind="WCB",
                parent=mcb,
                passage=5,
                frozen_on=dt.date(2024, 3, 1),
                vials=100,
                location="LN2 tank A, rack 2",
                status="available",
                characterisation=[
                    {"test": "Karyotype", "result": "normal", "method": "G-banding", "date": "2024-03-10"},
                    {"test": "STR", "result": "matches MCB-001", "method": "STR", "date": "2024-03-10"},
                ],
            )

    def material_lot(self, *, name, supplier, catalogue, kind, lot_number, grade, **lot_fields):
        material = m.Material.objects.filter(supplier=supplier, catalogue_number=catalogue).first()
        if material is None:
            material = services.create_material(
                actor=self.operator, name=name, supplier=supplier, catalogue_number=catalogue, kind=kind
            )
        lot = m.MaterialLot.objects.filter(material=material, lot_number=lot_number).first()
        if lot is None:
            lot = services.receive_material_lot(
                actor=self.operator,
                material=material,
                lot_number=lot_number,
                grade=grade,
                received_on=self.today - dt.timedelta(days=30),
                expiry=self.today + dt.timedelta(days=540),
                **lot_fields,
            )
        if lot.acceptance_status == "quarantine":
            lot = services.decide_material_lot(
                actor=self.analyst,
                lot=lot,
                decision="accepted",
                reason="CoA reviewed; identity and sterility confirmed",
            )
        return lot

    def materials(self):
        self.material_lot(
            name="Xeno-free MSC medium",
            supplier="Acme Bio",
            catalogue="XF-MSC-500",
            kind="basal_medium",
            lot_number="XF-24-001",
            grade="gmp",
        )
        self.material_lot(
            name="Human platelet lysate",
            supplier="Helix Bio",
            catalogue="HPL-GMP-100",
            kind="supplement",
            lot_number="HPL-24-07",
            grade="gmp",
            is_biological=True,
        )
        self.material_lot(
            name="Fetal bovine serum",
            supplier="Bovine Source",
            catalogue="FBS-US-500",
            kind="serum",
            lot_number="FBS-23-11",
            grade="research",
            animal_species="bovine",
            animal_tissue="serum",
            animal_origin_justification=(
                "Used only in process v1 before the xeno-free process; US/NZ origin, "
                "gamma-irradiated, BSE/TSE certificate (EDQM CEP) and bovine-virus "
                "testing per 9 CFR 113.53 on file."
            ),
            justified_process_versions=[1],
        )

    def process(self, product, version, steps, description, *, approve=True, bill=(), xeno_free=False):
        proc = m.ProcessDefinition.objects.filter(product=product, version=version).first()
        if proc is None:
            if m.ProcessDefinition.objects.filter(product=product, version__lt=version).count() < version - 1:
                _note(f"process v{version - 1} is missing: v{version} not created")
                return None
            proc = services.create_process_version(
                actor=self.operator, product=product, description=description
            )
            for s in list(proc.steps.all()):  # v2 replaces the copied steps of v1
                services.remove_process_step(actor=self.operator, step=s)
            for i, (kind, name, method, params) in enumerate(steps, start=1):
                aseptic = kind in ASEPTIC_STEP_KINDS and m.Document.objects.filter(code=ASEPTIC_SOP).exists()
                step = services.add_process_step(
                    actor=self.operator,
                    process=proc,
                    kind=kind,
                    name=name,
                    method=method,
                    order=i,
                    aseptic=aseptic,
                    sop=ASEPTIC_SOP if aseptic else "",
                )
                for p in params:
                    services.add_process_parameter(actor=self.operator, step=step, **p)
        wanted = list(m.Material.objects.filter(catalogue_number__in=bill))
        if proc.status == "draft" and (
            set(proc.bill_of_materials.all()) != set(wanted) or proc.xeno_free != xeno_free
        ):
            # The bill of materials and the xeno-free claim are signed with the version (a new
            # version starts with its predecessor's: v2 replaces FBS with platelet lysate).
            services.set_process_materials(
                actor=self.operator, process=proc, xeno_free=xeno_free, materials=wanted
            )
        if proc.status == "draft" and approve:
            password = _password(self.passwords, self.qa)
            if not password:
                _note(f"no password for {self.qa.get_username()}: process v{version} left in draft")
                return proc
            if version > 1 and proc.change_request_id is None:
                services.link_process_change_request(
                    actor=self.operator,
                    process=proc,
                    change_request=self.change_request(product, version, description),
                )
            proc = services.approve_process(
                **self.sign_kwargs(self.qa), process=proc, reason=f"Process v{version} approved"
            )
        return proc

    def change_request(self, product, version, description):
        """The change request behind process v`version`: proposed by the operator, approved by QA;
        implemented once the version is approved (closing it waits for the comparability record)."""
        from evqms.changes import services as changes

        title = f"Process v{version}: {description}"[:200]
        cr = ChangeRequest.objects.filter(kind="process", product_code=product.code, title=title).first()
        if cr is None:
            cr = changes.propose_change(
                actor=self.operator,
                kind="process",
                title=title,
                description=description,
                product_code=product.code,
                impact_assessment=(
                    "Culture medium and feed change: release specification unchanged; process validation "
                    "(three consecutive lots), SOP-EV-001 revision and operator training required."
                ),
                quality_impact=True,
                comparability_plan=(
                    "Compare particle concentration, size mode, EV markers (CD9/CD63/CD81) and potency "
                    "of three v2 lots with the v1 release history (JSRM 2-R2, ICH Q5E)."
                ),
            )
        if cr.status == "draft":
            cr = changes.approve_change(
                **self.sign_kwargs(self.qa), change_request=cr, reason="Change approved"
            )
        return cr

    def implement_changes(self):
        """A change whose versions are all approved is recorded as implemented (closure stays with QA)."""
        from evqms.changes import services as changes

        for cr in ChangeRequest.objects.filter(status="approved", kind="process"):
            if cr.process_versions.exists() and not cr.process_versions.filter(status="draft").exists():
                changes.record_implementation(
                    actor=self.operator,
                    change_request=cr,
                    summary="Process v2 approved and in use; SOP-EV-001 revised; operators trained.",
                )

    def specification(self, product):
        spec = m.Specification.objects.filter(product=product, version=1).first()
        if spec is None:
            spec = services.create_specification_from_template(actor=self.analyst, product=product)
        endotoxin = spec.attributes.filter(code="endotoxin", method_sop="").first()
        if (
            spec.status == "draft"
            and endotoxin is not None
            and m.Document.objects.filter(code=LAL_SOP).exists()
        ):
            services.update_spec_attribute(actor=self.analyst, attribute=endotoxin, method_sop=LAL_SOP)
        if spec.status == "draft" and spec.shelf_life_months is None:
            # The lots' expiry is manufacture + this; the studies demo's stability study (relative
            # potency at -80 °C) gives 18.3 months by ICH Q1E, approved rounded down to whole months.
            spec = services.set_shelf_life(
                actor=self.analyst, specification=spec, months=SHELF_LIFE_MONTHS, basis=SHELF_LIFE_BASIS
            )
        if spec.status == "draft":
            if not _password(self.passwords, self.qa):
                _note("no QA password: specification v1 left in draft")
                return spec
            spec = services.approve_specification(
                **self.sign_kwargs(self.qa), specification=spec, reason="Release specification v1 approved"
            )
        return spec

    def document(self, code=ASEPTIC_SOP, title="Aseptic processing of EV preparations", content=None):
        doc = m.Document.objects.filter(code=code).order_by("-version").first()
        if doc is None:
            content = content or (
                b"SOP-EV-001 Aseptic processing of UC-MSC small EVs\n"
                b"1. Work in a grade A biosafety cabinet in a grade B room.\n"
                b"2. Sterile-filter the purified EVs (0.22 um PES) before fill.\n"
            )
            doc = services.upload_document(
                actor=self.operator,
                code=code,
                kind="sop",
                title=title,
                content=content,
                original_name=f"{code}.txt",
            )
        if doc.status == "draft" and _password(self.passwords, self.qa):
            services.approve_document(**self.sign_kwargs(self.qa), document=doc, reason="SOP approved")

    def method_documents(self):
        """The endotoxin method's SOP, declared on the attribute: its analyst must be trained on it."""
        self.document(
            LAL_SOP,
            "Bacterial endotoxins test (LAL, kinetic chromogenic)",
            b"SOP-QC-010 Bacterial endotoxins test (JP 4.01 / Ph. Eur. 2.6.14), kinetic chromogenic\n",
        )

    def run(self):
        # The SOPs first: the aseptic steps and the endotoxin attribute name them when they are made.
        self.document()
        self.method_documents()
        product = self.product()
        donor = self.donor()
        self.banks(donor)
        self.materials()
        self.process(
            product,
            1,
            PROCESS_V1,
            "Initial process: FBS-supplemented expansion, ultracentrifugation",
            bill=PROCESS_V1_BILL,
        )
        # v2 stays a draft here: the lots demo makes UCEV-24-001 on v1 (with FBS), then approves the
        # change through approve_xeno_free_change(), as the history went.
        self.xeno_free_process(product, approve=False)
        self.specification(product)

    def xeno_free_process(self, product, *, approve=True):
        return self.process(
            product,
            2,
            _process_v2_steps(),
            "Xeno-free change: human platelet lysate replaces FBS; TFF + SEC replace ultracentrifugation",
            approve=approve,
            bill=PROCESS_V2_BILL,
            xeno_free=True,
        )


def load(users: dict, passwords: dict | None = None) -> None:
    for role in ("qa", "operator", "analyst"):
        if role not in users:
            _note(f"demo user {role} missing: no dossier demo")
            return
    _Loader(users, _passwords(passwords)).run()


def approve_xeno_free_change(users: dict, passwords: dict | None = None) -> None:
    """QA approves process v2 (which supersedes v1): called by the lots demo after the first lot."""
    product = m.Product.objects.filter(code=PRODUCT).first()
    if product is None or not m.ProcessDefinition.objects.filter(product=product, version=1).exists():
        _note("product or process v1 missing: the xeno-free change is not approved")
        return
    loader = _Loader(users, _passwords(passwords))
    loader.xeno_free_process(product)
    loader.implement_changes()


def _ensure_standard_panel() -> None:
    """The panel is seeded by a data migration; a database emptied since (a test flush) gets it back."""
    import importlib

    panel = importlib.import_module(
        "evqms.dossier.migrations.0003_standard_infectious_markers"
    ).STANDARD_PANEL
    for code, name in panel:
        m.InfectiousMarker.objects.get_or_create(code=code, defaults={"name": name, "required": True})

"""The database path builds the same evidence as the file path, and findings follow the facts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from compliance_helpers import dossier_of_world
from django.utils import timezone, translation

from evqms.compliance.snapshot import build_snapshot
from evqms.guidance import ruleset
from evqms.guidance.dossier import snapshot_from_data
from evqms.guidance.engine import assess
from evqms.guidance.vocabulary import infer_category

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2030, 1, 1, 9, 0, tzinfo=dt.UTC)  # after every record the tests make


def statuses(snapshot, ruleset_id="jsrm-2024"):
    return {f.item.id: f.status for f in assess(snapshot, ruleset.load(ruleset_id), now=NOW).findings}


def test_database_and_file_give_the_same_findings(world):
    world.released_lot()
    world.register()
    world.attest()
    db = build_snapshot(world.product)
    file = snapshot_from_data(dossier_of_world(timezone.localdate()), "world.yaml")
    for rs in ("jsrm-2024", "release-spec-defaults", "misev-2018"):
        assert statuses(db, rs) == statuses(file, rs), rs
    jsrm = statuses(db)
    # The facts the world holds: register approved and complete, physician attested, lot released.
    assert jsrm["JSRM-1-R1"] == "met"
    assert jsrm["JSRM-1-SC"] == "met"
    assert jsrm["JSRM-3-R1"] == "met"
    assert jsrm["JSRM-3-R2"] == "met"
    assert jsrm["JSRM-3-R4"] == "not_met"  # no potency assay
    assert jsrm["JSRM-1-R2"] == "not_applicable"  # nothing administered


def test_snapshot_maps_database_records(world):
    lot = world.released_lot()
    snap = build_snapshot(world.product)
    assert snap.product.responsible_physician == "Dr1"
    assert snap.product.routes == ["intra_articular"]
    (slot,) = snap.lots
    assert slot.id == lot.number and slot.status == "released"
    assert slot.release.released_by == "Qa1"
    assert slot.material_lots == ["XF-24-001"]
    assert {r.attribute for r in slot.qc_results} == {
        "particle_concentration@v1",
        "modal_size@v1",
        "cd63@v1",
        "endotoxin@v1",
        "sterility@v1",
    }
    endotoxin = next(r for r in slot.qc_results if r.attribute == "endotoxin@v1")
    assert str(endotoxin.value) == "0.1"  # canonical spelling, not the column's 0.1000000000
    culture = next(s for s in slot.step_records if s.step == "Culture in xeno-free medium")
    assert str(culture.parameters["Culture time"]) == "60"
    assert [c.id for c in snap.cell_banks] == ["MCB-001"] and snap.cell_banks[0].parent == "D-0001"
    assert snap.material_lots[0].animal_origin == "none"
    attrs = {a.id: a for a in snap.attributes()}
    assert attrs["modal_size@v1"].category == "size_distribution"
    assert attrs["cd63@v1"].expected == "positive"
    assert attrs["endotoxin@v1"].max_inclusive is False


@pytest.mark.parametrize(
    "code,name,category",
    [
        ("endotoxin", "Endotoxin", "endotoxin"),
        ("modal_size", "Modal particle size", "size_distribution"),
        ("particle_concentration", "Particle concentration", "particle_concentration"),
        ("cd63", "CD63", "ev_marker"),
        ("sterility", "Sterility", "sterility"),
        ("mycoplasma", "Mycoplasma (NAT)", "mycoplasma"),
        ("pp_ratio", "Particle-to-protein ratio", "purity"),
        ("protein", "Total protein (BCA)", "protein"),
        ("rel_potency", "Relative potency", "potency"),
        ("hcdna", "Residual host-cell DNA", "residual_dna"),
        ("colour", "Colour", "other"),
    ],
)
def test_attribute_category(code, name, category):
    assert infer_category(code, name) == category


def test_animal_origin_lot_flips_xeno_free(world):
    from evqms.testing import factories as f

    world.released_lot()
    assert statuses(build_snapshot(world.product))["JSRM-3-R2"] == "met"
    fbs = f.material_lot(
        "Fetal bovine serum", "FBS-23-11", animal_species="bovine", kind="serum", is_biological=True
    )
    world.released_lot("UCEV-T-002", material_lots=[world.medium, fbs])
    snap = build_snapshot(world.product)
    assert next(m for m in snap.material_lots if m.id == "FBS-23-11").animal_origin == "bovine"
    assert statuses(snap)["JSRM-3-R2"] == "not_met"
    # A justification with the BSE/TSE record makes the animal component acceptable.
    fbs.animal_origin_justification = (
        "No xeno-free alternative validated; BSE/TSE certificate EDQM R1-CEP 2001-123"
    )
    fbs.save()
    # ... but only for the process versions the justification names (issue 18 item 3).
    assert statuses(build_snapshot(world.product))["JSRM-3-R2"] == "not_met"
    fbs.justified_process_versions = [int(build_snapshot(world.product).lots[-1].process_version)]
    fbs.save()
    assert statuses(build_snapshot(world.product))["JSRM-3-R2"] == "met"


def test_approving_the_register_flips_jsrm_1_r1(world):
    world.released_lot()
    assert statuses(build_snapshot(world.product))["JSRM-1-R1"] == "not_met"  # no register
    register = world.register(approve=False)
    assert statuses(build_snapshot(world.product))["JSRM-1-R1"] == "not_met"  # draft
    from evqms.compliance import services

    services.approve_register(
        request=world.request, actor=world.qa, register=register, password=world.qa.raw_password
    )
    assert statuses(build_snapshot(world.product))["JSRM-1-R1"] == "met"


def test_uncontrolled_high_risk_is_partly_met(world):
    from evqms.compliance import services

    world.released_lot()
    register = world.register(approve=False)
    services.add_risk_item(
        actor=world.qa,
        register=register,
        stage="culture",
        hazard="Mycoplasma",
        severity=5,
        occurrence=4,
        detectability=4,
    )
    services.approve_register(
        request=world.request, actor=world.qa, register=register, password=world.qa.raw_password
    )
    snap = build_snapshot(world.product)
    result = assess(snap, ruleset.load("jsrm-2024"), now=NOW)
    finding = next(f for f in result.findings if f.item.id == "JSRM-1-R1")
    assert finding.status == "partly_met"
    assert any("R-11" in r["en"] for r in finding.reasons)


def test_released_lot_with_late_result_is_contradictory(world):
    """A valid QC result dated after the release is contradictory evidence: refused, not judged."""
    from evqms.errors import InputError
    from evqms.lots.models import QCResult

    lot = world.released_lot()
    QCResult.objects.filter(lot=lot).update(tested_at=timezone.now() + dt.timedelta(days=3))
    with translation.override("en"), pytest.raises(InputError, match="released on"):
        assess(build_snapshot(world.product), ruleset.load("jsrm-2024"), now=NOW)


def test_indication_and_route_codes_on_the_database_path(make_user):
    """Issue 18 item 2 (demo): the product's "Knee osteoarthritis (Kellgren-Lawrence II-III)" is the
    code knee_osteoarthritis with its detail; routes are the stored codes (no renaming)."""
    from evqms.testing import factories as f

    product = f.product("codes-p", indications="Knee osteoarthritis (Kellgren-Lawrence II-III)")
    product.indication_code = "knee_osteoarthritis"
    product.routes = ["intra_articular"]
    product.save()
    snap = build_snapshot(product)
    assert snap.product.indications == ["knee_osteoarthritis"]
    assert snap.product.indication_detail == "Kellgren-Lawrence II-III"
    assert snap.product.routes == ["intra_articular"]


def test_serum_justified_for_v1_does_not_cover_a_v2_lot(make_user):
    """Issue 18 item 3: the snapshot carries the process versions a justification covers and each
    lot's process version, so JSRM-3-R2 judges the lot on process v2 that used FBS as not met."""
    from evqms.guidance.checks import REGISTRY, CheckContext
    from evqms.lots.models import MaterialUsage
    from evqms.testing import factories as f

    product = f.product("xf-p")
    fbs = f.material_lot(
        "Fetal bovine serum", "FBS-23-11", kind="serum", animal_species="bovine", is_biological=True
    )
    fbs.animal_origin_justification = "Used only in process v1; EDQM CEP on file"
    fbs.justified_process_versions = [1]
    fbs.save()
    lot = f.lot("L-V2", prod=product)
    lot.process = f.process(product, version=2)
    lot.save()
    MaterialUsage.objects.create(
        lot=lot,
        material_lot=fbs,
        quantity=1,
        unit="mL",
        recorded_by=lot.created_by,
        recorded_at=timezone.now(),
    )
    snap = build_snapshot(product)
    (mlot,) = snap.material_lots
    assert mlot.justified_processes == ["1"] and snap.lots[0].process_version == "2"
    out = REGISTRY["culture_materials_xeno_free"](
        snap, CheckContext(item_id="JSRM-3-R2", as_of=dt.date(2026, 1, 1))
    )
    assert out.status == "not_met", out.reasons


def test_biodistribution_threshold_reaches_the_snapshot(make_user):
    """The study's threshold_pct (20 %) becomes its threshold 0.2 in the snapshot, so JSRM-3-P1 is
    judged: 38 % >= 20 % is met (the demo's MIA-rat study); 15 % < 20 % is not met. Before, the
    database path passed no threshold and the item stayed 'partly met'."""
    from evqms.guidance.checks import REGISTRY, CheckContext
    from evqms.studies import services as studies
    from evqms.testing import factories as f

    product = f.product("bd-p")
    product.routes = ["intra_articular"]
    product.save()
    study = studies.create_biodistribution_study(
        actor=make_user("bd-qa", "qa_reviewer"),
        product=product,
        title="DiR-labelled EVs (MIA rat)",
        species="Rat",
        route="intra-articular",
        label_method="DiR imaging",
        target="Injected knee joint",
        time_points="24 h",
        fraction_in_target_pct="38.0",
        threshold_pct="20.0",
    )
    ctx = CheckContext(item_id="JSRM-3-P1", as_of=dt.date(2026, 1, 1))
    snap = build_snapshot(product)
    (bd,) = snap.studies.biodistribution
    assert (bd.route, bd.fraction_of_dose, bd.threshold) == (
        "intra_articular",
        Decimal("0.38"),
        Decimal("0.2"),
    )
    out = REGISTRY["biodistribution_target_fraction"](snap, ctx)
    assert out.status == "met", out.reasons
    assert "threshold 0.2" in out.reasons[0]["en"]
    type(study).objects.filter(pk=study.pk).update(fraction_in_target_pct=Decimal("15"))
    assert REGISTRY["biodistribution_target_fraction"](build_snapshot(product), ctx).status == "not_met"

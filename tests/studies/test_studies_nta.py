"""An NTA export attached to a lot fills its particle concentration and size results."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal

import pytest
from django.utils import translation

from evqms.audit.models import AuditEvent
from evqms.errors import InputError, PermissionDenied
from evqms.lots.models import QCResult
from evqms.studies import services
from evqms.studies.models import NTAImport


def _nanosight(nta_synth, totals=(3.0e10, 3.2e10, 3.1e10), median=110.0, **kw):
    videos = [
        nta_synth.lognormal_histogram(nta_synth.NS_BINS, median=median, gsd=1.4, total=t) for t in totals
    ]
    return videos, nta_synth.nanosight_csv(videos, dilution=100.0, **kw)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def test_nanosight_export_fills_concentration_and_sizes(world, nta_synth):
    videos, data = _nanosight(nta_synth)
    nta = services.attach_nta_export(
        actor=world.analyst, lot=world.lot, filename="ExperimentSummary.csv", data=data
    )

    results = {r.attribute.code: r for r in QCResult.objects.filter(lot=world.lot)}
    assert set(results) == {"particle_concentration", "modal_size", "mean_size", "d90"}
    # concentration of the original sample: the average of the videos' totals (particles/mL)
    expected_conc = sum(sum(v) for v in videos) / len(videos)
    assert float(results["particle_concentration"].value_in_spec_unit) == pytest.approx(
        expected_conc, rel=1e-6
    )
    # sizes agree with the figures the file states (independent reference implementation)
    ref = nta_synth.ref_stats(
        nta_synth.NS_BINS,
        [sum(col) / 3 for col in zip(*videos, strict=True)],
        anchor="upper",
        ddof=0,
        mode="parabola",
    )
    assert float(results["modal_size"].value_in_spec_unit) == pytest.approx(ref["mode"], abs=0.05)
    assert results["modal_size"].reported_value == Decimal(round(ref["mode"]))
    assert float(results["mean_size"].value_in_spec_unit) == pytest.approx(ref["mean"], abs=0.05)
    # D90 converted from nm to the specification's micrometres
    d90 = results["d90"]
    assert d90.unit == "nm"
    assert float(d90.value_in_spec_unit) == pytest.approx(ref["d90"] / 1000, abs=5e-5)
    assert d90.verdict == "pass"
    # the file is kept unchanged, with its sha256, on the import and on every result
    sha = hashlib.sha256(data).hexdigest()
    assert nta.sha256 == sha
    nta.file.open("rb")
    assert nta.file.read() == data
    nta.file.close()
    for r in results.values():
        assert r.raw_file_sha256 == sha
        assert r.raw_file.name == nta.file.name
        assert r.derived["source"] == "nta" and r.derived["nta_import"] == nta.pk
        assert r.method == "NTA (NanoSight)"
    assert results["modal_size"].derived["statistic"] == "mode"
    assert results["modal_size"].derived["stated"] == pytest.approx(round(ref["mode"], 1))
    assert set(nta.qc_results.all()) == set(results.values())
    assert AuditEvent.objects.filter(action="nta.attach", object_id=str(nta.pk)).count() == 1
    recorded = AuditEvent.objects.filter(
        action="qc_result.record", object_id__in=[str(r.pk) for r in results.values()]
    )
    assert sorted(json.loads(e.after)["derived"]["source"] for e in recorded) == ["nta"] * 4


def test_zetaview_export_with_named_attributes(world, nta_synth):
    counts = nta_synth.lognormal_histogram(
        nta_synth.ZV_BINS[:200], median=120, gsd=1.5, total=3000, integer=True
    )
    data = nta_synth.zetaview_txt(counts, dilution=5000.0, conc_per_particle=2.085e4)
    nta = services.attach_nta_export(
        actor=world.analyst,
        lot=world.lot,
        filename="size_488.txt",
        data=data,
        concentration_attribute="particle_concentration",
        size_attributes={"mean_size": "d50"},
    )
    results = {r.attribute.code: r for r in QCResult.objects.filter(lot=world.lot)}
    assert set(results) == {"particle_concentration", "mean_size"}
    ref = nta_synth.ref_stats(nta_synth.ZV_BINS[:200], counts, anchor="centre", ddof=1, mode="class")
    assert float(results["mean_size"].value_in_spec_unit) == pytest.approx(ref["d50"], abs=1e-6)
    # ZetaView: concentration = particles x concentration per particle x dilution
    assert float(results["particle_concentration"].value_in_spec_unit) == pytest.approx(
        sum(counts) * 2.085e4 * 5000.0, rel=1e-3
    )
    assert nta.instrument == "ZetaView"


def test_no_particles_export_is_refused_and_nothing_written(world, nta_synth):
    data = nta_synth.nanosight_csv([[0.0] * 1000, [0.0] * 1000])
    events = AuditEvent.objects.count()
    with pytest.raises(InputError, match="no tracked particles"):
        services.attach_nta_export(actor=world.analyst, lot=world.lot, filename="empty.csv", data=data)
    assert not QCResult.objects.exists()
    assert not NTAImport.objects.exists()
    assert AuditEvent.objects.count() == events


def test_disagreeing_export_needs_confirmation(world, nta_synth):
    _videos, data = _nanosight(nta_synth, overrides={("Mode", "Average"): "150.0"})
    with pytest.raises(services.NTAWarnings) as info:
        services.attach_nta_export(actor=world.analyst, lot=world.lot, filename="x.csv", data=data)
    assert any("150.0" in w or "mode" in w.lower() for w in info.value.warnings)
    assert not QCResult.objects.exists()
    nta = services.attach_nta_export(
        actor=world.analyst, lot=world.lot, filename="x.csv", data=data, confirm_warnings=True
    )
    assert nta.warnings_confirmed and nta.warnings
    assert QCResult.objects.filter(lot=world.lot).count() == 4


def test_roles_and_lot_status(world, nta_synth):
    _videos, data = _nanosight(nta_synth)
    with pytest.raises(PermissionDenied):
        services.attach_nta_export(actor=world.operator, lot=world.lot, filename="x.csv", data=data)
    from evqms.errors import RuleViolation

    with pytest.raises(RuleViolation):
        services.attach_nta_export(actor=world.analyst, lot=world.ref, filename="x.csv", data=data)
    with pytest.raises(InputError, match="no attribute nope"):
        services.attach_nta_export(
            actor=world.analyst, lot=world.lot, filename="x.csv", data=data, size_attributes={"nope": "mode"}
        )
    assert not QCResult.objects.exists()


def test_second_attach_is_refused_whole(world, nta_synth):
    """All results or none: a second export meets existing valid results and writes nothing."""
    _videos, data = _nanosight(nta_synth)
    services.attach_nta_export(actor=world.analyst, lot=world.lot, filename="a.csv", data=data)
    from evqms.errors import RuleViolation

    with pytest.raises(RuleViolation):
        services.attach_nta_export(actor=world.analyst2, lot=world.lot, filename="b.csv", data=data)
    assert NTAImport.objects.count() == 1
    assert QCResult.objects.count() == 4

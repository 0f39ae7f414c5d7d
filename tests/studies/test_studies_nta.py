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


# --- dilution, capture time and the specification's NTA attributes -------------------------


def _undiluted_file(nta_synth, **kw):
    videos = [
        nta_synth.lognormal_histogram(nta_synth.NS_BINS, median=110.0, gsd=1.4, total=t) for t in (2e8, 2.2e8)
    ]
    return videos, nta_synth.nanosight_csv(videos, dilution=None, **kw)


def test_export_without_dilution_is_refused_until_the_dilution_is_entered(world, nta_synth):
    """Before: a NanoSight file with "Not recorded" dilution became the lot's concentration as
    measured (2.1e8/mL, a 20-fold dilution silently ignored). Reference: the file's own
    concentrations (the videos' totals, as measured) x the dilution entered."""
    videos, data = _undiluted_file(nta_synth)
    with pytest.raises(InputError, match="records no dilution") as caught:
        services.attach_nta_export(actor=world.analyst, lot=world.lot, filename="d20.csv", data=data)
    assert caught.value.where == "dilution"
    assert not NTAImport.objects.exists() and not QCResult.objects.filter(lot=world.lot).exists()
    for bad in (0, -5, float("nan")):
        with pytest.raises(InputError, match="positive"):
            services.attach_nta_export(
                actor=world.analyst, lot=world.lot, filename="d20.csv", data=data, dilution=bad
            )
    nta = services.attach_nta_export(
        actor=world.analyst, lot=world.lot, filename="d20.csv", data=data, dilution=20
    )
    measured = sum(sum(v) for v in videos) / len(videos)
    conc = QCResult.objects.get(lot=world.lot, attribute__code="particle_concentration")
    assert float(conc.value_in_spec_unit) == pytest.approx(measured * 20, rel=1e-6)
    assert (nta.dilution, nta.dilution_source) == (20.0, "entered")
    assert conc.derived["dilution"] == 20.0 and conc.derived["dilution_source"] == "entered"


def test_the_files_dilution_is_used_and_not_overridden(world, nta_synth):
    _videos, data = _nanosight(nta_synth)  # the file records 100
    with pytest.raises(InputError, match="records a dilution of 100") as caught:
        services.attach_nta_export(
            actor=world.analyst, lot=world.lot, filename="a.csv", data=data, dilution=50
        )
    assert caught.value.where == "dilution"
    nta = services.attach_nta_export(
        actor=world.analyst, lot=world.lot, filename="a.csv", data=data, dilution=100
    )
    assert (nta.dilution, nta.dilution_source) == (100.0, "file")


def test_tested_at_is_the_files_capture_time_and_changes_need_a_reason(world, nta_synth):
    import datetime as dt

    from django.utils import timezone

    _videos, data = _nanosight(nta_synth, time_captured="15:28:16  01/04/2021")
    captured = timezone.make_aware(dt.datetime(2021, 4, 1, 15, 28, 16))  # day first, as NTA writes it
    later = captured + dt.timedelta(hours=3)
    with pytest.raises(InputError, match="capture time") as caught:
        services.attach_nta_export(
            actor=world.analyst, lot=world.lot, filename="a.csv", data=data, tested_at=later
        )
    assert caught.value.where == "tested_at_reason"
    nta = services.attach_nta_export(actor=world.analyst, lot=world.lot, filename="a.csv", data=data)
    assert nta.tested_at == captured and nta.tested_at_source == "file"
    assert {r.tested_at for r in nta.qc_results.all()} == {captured}
    for r in nta.qc_results.all():
        lot_services_invalidate(world, r)
    nta2 = services.attach_nta_export(
        actor=world.analyst, lot=world.lot, filename="a.csv", data=data, tested_at=later,
        tested_at_reason="the instrument clock was three hours behind",
    )  # fmt: skip
    assert nta2.tested_at == later and nta2.tested_at_source == "entered"
    event = AuditEvent.objects.filter(action="nta.attach").order_by("-id").first()
    assert "three hours behind" in event.reason


def lot_services_invalidate(world, result):
    from evqms.lots import services as lot_services

    lot_services.invalidate_qc_result(actor=world.analyst, result=result, reason="re-import")


def test_export_without_capture_time_needs_the_time_entered(world, nta_synth):
    _videos, data = _nanosight(nta_synth, time_captured=None)
    with pytest.raises(InputError, match="no capture time") as caught:
        services.attach_nta_export(actor=world.analyst, lot=world.lot, filename="a.csv", data=data)
    assert caught.value.where == "tested_at"


def test_default_plan_follows_the_specifications_nta_attributes(world, nta_synth):
    """The default release template's NTA attributes (concentration, modal size, median size,
    the % of particles within 50-400 nm) are all filled, not only the concentration."""
    from evqms.dossier import spec_template
    from evqms.testing import factories as f

    spec = f.specification(world.product, version=2)
    spec.attributes.all().delete()
    for a in spec_template.release_template():
        if a["method"] == "NTA":
            spec.attributes.create(**{k: v for k, v in a.items() if k not in ("source", "guidance_items")})
    lot = f.lot("UCEV-T-NTA", status="qc", prod=world.product)
    lot.specification = spec
    lot.save(update_fields=["specification"])
    plan = services.nta_attribute_plan(lot)
    assert plan == {
        "particle_concentration": "concentration",
        "size_mode": "mode",
        "size_median_d50": "d50",
        "size_fraction_50_400nm": "fraction:50-400",
    }
    videos, data = _nanosight(nta_synth)
    services.attach_nta_export(actor=world.analyst, lot=lot, filename="a.csv", data=data)
    fraction = QCResult.objects.get(lot=lot, attribute__code="size_fraction_50_400nm")
    # by hand: 1-nm bins centred at x.5, the bins from 50.5 to 399.5 nm of the averaged histogram
    mean = [sum(col) / 3 for col in zip(*videos, strict=True)]
    inside = sum(w for c, w in zip(nta_synth.NS_BINS, mean, strict=True) if 50 <= c <= 400)
    assert float(fraction.value_in_spec_unit) == pytest.approx(100 * inside / sum(mean), rel=1e-6)


def test_comparison_says_which_mode_and_checks_the_volume_median(nta_synth):
    """ZetaView's report peak comes from a smoothed curve the file lacks: the mode shown is the
    modal class centre and the page says so; its header's volume D50 is compared too."""
    from evqms.studies import selectors

    counts = [0.0] * 10 + [3, 9, 20, 31, 25, 14, 6, 2, 1]
    parsed = services.parse_nta_export(nta_synth.zetaview_txt(counts), "z.txt")
    rows = {str(r["label"]): r for r in selectors.nta_comparison(parsed)}
    mode = next(r for label, r in rows.items() if label.startswith("Mode size"))
    assert "most populated 5-nm class" in next(label for label in rows if label.startswith("Mode size"))
    assert mode["recomputed"] == 67.5  # centre of the class holding 31 particles (13th 5-nm class)
    volume = rows["Volume-weighted D50 (nm)"]
    assert volume["stated"] is not None and volume["agrees"]

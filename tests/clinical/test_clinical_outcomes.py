"""Outcome instruments as data: the shipped file, scoring, and enabling an instrument for a product."""

from __future__ import annotations

from decimal import Decimal

import pytest

from evqms.audit.models import AuditEvent
from evqms.clinical import services
from evqms.clinical.models import InstrumentUse, OutcomeInstrument
from evqms.clinical.services import outcomes
from evqms.errors import InputError, RuleViolation

SUMMED = """
instruments:
  - code: three-items
    name: {en: "Three items", ja: "三項目"}
    score_rule: sum
    direction: higher_better
    items:
      - {code: a, text: {en: A, ja: Ａ}, min: 0, max: 4}
      - {code: b, text: {en: B, ja: Ｂ}, min: 0, max: 4}
      - {code: c, text: {en: C, ja: Ｃ}, min: 0, max: 4}
"""


def test_the_shipped_instruments_are_free_and_bilingual():
    found = outcomes.catalogue()
    assert {"nrs-pain", "vas-pain", "pgic", "koos"} <= set(found)
    for code in ("nrs-pain", "vas-pain", "pgic"):
        d = found[code]
        assert d.licensed is False and d.items
        assert d.name["en"] != d.name["ja"]  # a real Japanese text, not the English copied
    assert (found["nrs-pain"].scale, found["vas-pain"].scale, found["pgic"].scale) == (
        (0, 10),
        (0, 100),
        (1, 7),
    )
    # KOOS is a placeholder: licensed, and not one of its questions is shipped.
    assert found["koos"].licensed is True and found["koos"].items == ()


def test_scoring_by_the_instruments_rule():
    nrs = outcomes.definition_of("nrs-pain")
    assert outcomes.score(nrs, {"pain": "7"}) == ({"pain": "7"}, Decimal(7))
    with pytest.raises(InputError, match="outside the scale 0 to 10") as exc:
        outcomes.score(nrs, {"pain": "11"})
    assert exc.value.where == "item_pain"
    with pytest.raises(InputError, match="steps of 1"):
        outcomes.score(nrs, {"pain": "6.5"})
    with pytest.raises(InputError, match="enter a value"):
        outcomes.score(nrs, {"pain": ""})
    (summed,) = outcomes.read_definitions(SUMMED, name="t.yaml")
    assert summed.scale == (0, 12)  # three items of 0-4: 0 to 12
    # Hand-computed: 1 + 2 + 4 = 7.
    assert outcomes.score(summed, {"a": "1", "b": "2", "c": "4"})[1] == Decimal(7)
    mean = outcomes.read_definitions(SUMMED.replace("score_rule: sum", "score_rule: mean"), name="t.yaml")[0]
    # Hand-computed: (1 + 2 + 4) / 3 = 2.333 (three decimals).
    assert outcomes.score(mean, {"a": "1", "b": "2", "c": "4"})[1] == Decimal("2.333")


def test_a_malformed_file_is_refused_naming_it():
    with pytest.raises(InputError) as exc:
        outcomes.read_definitions(SUMMED.replace("higher_better", "up"), name="site.yaml")
    assert "site.yaml: three-items" in exc.value.where
    with pytest.raises(InputError, match="min < max"):
        outcomes.read_definitions(SUMMED.replace("max: 4}", "max: 0}", 1), name="site.yaml")


def test_enable_an_instrument_for_a_product(world):
    _op, doc, lot, _aliquots, _p = world
    use = services.enable_instrument(
        actor=doc, product=lot.product, instrument="nrs-pain", follow_up_months="1, 3, 6, 12", window_days=14
    )
    assert use.follow_up_months == [1, 3, 6, 12] and use.instrument.version == 1
    assert AuditEvent.objects.filter(action="instrument_use.enable", object_id=str(use.pk)).exists()
    with pytest.raises(RuleViolation, match="already uses nrs-pain"):
        services.enable_instrument(actor=doc, product=lot.product, instrument="nrs-pain")
    # For another indication it is a second use, with the same stored definition.
    other = services.enable_instrument(
        actor=doc, product=lot.product, instrument="nrs-pain", indication_code="oa"
    )
    assert other.instrument_id == use.instrument_id and OutcomeInstrument.objects.count() == 1
    with pytest.raises(InputError, match="increase from 1 to 120") as exc:
        services.enable_instrument(actor=doc, product=lot.product, instrument="pgic", follow_up_months="3 1")
    assert exc.value.where == "follow_up_months"
    with pytest.raises(InputError, match="unknown outcome instrument"):
        services.enable_instrument(actor=doc, product=lot.product, instrument="sf-36")


def test_a_licensed_instrument_needs_the_sites_licence_and_definition(world, settings, tmp_path):
    _op, doc, lot, _aliquots, _p = world
    with pytest.raises(InputError, match="licensed") as exc:
        services.enable_instrument(actor=doc, product=lot.product, instrument="koos")
    assert exc.value.where == "licence_reference"
    with pytest.raises(RuleViolation, match="items are not shipped"):
        services.enable_instrument(actor=doc, product=lot.product, instrument="koos", licence_reference="L-1")
    assert not InstrumentUse.objects.exists()
    # The site supplies its licensed definition (here a stand-in with two items) in EVQMS_HOME.
    settings.EVQMS_HOME = tmp_path
    (tmp_path / "instruments").mkdir()
    (tmp_path / "instruments" / "koos.yaml").write_text(
        SUMMED.replace("three-items", "koos").replace(
            "score_rule: sum", "score_rule: mean\n    licensed: true"
        ),
        encoding="utf-8",
    )
    use = services.enable_instrument(
        actor=doc, product=lot.product, instrument="koos", licence_reference="KOOS licence 2026-001"
    )
    assert use.instrument.licensed is True and use.licence_reference == "KOOS licence 2026-001"


def test_only_a_physician_enables_an_instrument(world, make_user):
    _op, _doc, lot, _aliquots, _p = world
    qa = make_user("cl-qa", "qa_reviewer")
    from evqms.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.enable_instrument(actor=qa, product=lot.product, instrument="nrs-pain")


def test_a_responder_threshold_belongs_to_an_instrument_without_a_baseline():
    pgic = outcomes.definition_of("pgic")
    assert pgic.baseline is False and pgic.responder_threshold == Decimal(2) and pgic.version == 2
    with pytest.raises(InputError, match="without a baseline"):
        outcomes.read_definitions(
            SUMMED.replace("    score_rule: sum", "    score_rule: sum\n    responder_threshold: 3"),
            name="t.yaml",
        )

"""The certificate of analysis prints a censored result with its sign and explains it once."""

from __future__ import annotations

import pytest

from evqms.reports.coa import build_coa

pytestmark = pytest.mark.django_db


def test_a_censored_result_is_printed_with_its_sign_and_explained(world):
    lot = world.in_qc("UCEV-C-010")
    world.test_all(lot, overrides={"endotoxin": ("<0.05", "EU/mL", "")}, verify=False)
    html = build_coa(lot, "en").html
    assert "&lt; 0.05 EU/mL" in html  # as stated, not padded to the two decimals of the limit
    assert 'id="censored-note"' in html and "limit of quantification" in html
    ja = build_coa(lot, "ja").html
    assert "&lt; 0.05 EU/mL" in ja and "定量限界" in ja


def test_no_note_without_a_censored_result(world):
    lot = world.in_qc("UCEV-C-011")
    world.test_all(lot, verify=False)
    assert 'id="censored-note"' not in build_coa(lot, "en").html

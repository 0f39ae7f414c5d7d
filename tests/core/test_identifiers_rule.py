"""The identifier rule (evqms.core.identifiers): normalisation, patterns, case-insensitive uniqueness,
the Lower() constraints, the URL converters and the check of stored rows."""

from __future__ import annotations

import re

import pytest
from django.db import IntegrityError, transaction
from django.test import override_settings
from django.urls import NoReverseMatch, resolve, reverse

from evqms.core import identifiers
from evqms.errors import InputError
from evqms.testing import factories

# --- the rule itself (no database) ---------------------------------------------------------


def test_full_width_normalises_to_ascii():
    # U+FF35 U+FF23 U+FF25 U+FF36 U+FF0D U+FF12 U+FF14: full-width letters, hyphen-minus and digits
    assert identifiers.clean("lot", "ＵＣＥＶ－２４", field="number") == "UCEV-24"
    assert identifiers.clean("lot", "  UCEV-24-001\u3000", field="number") == "UCEV-24-001"


@pytest.mark.parametrize(
    "value",
    [
        "UCEV/24",
        "</script>",
        "UCEV-24-001🧪",
        "A B",
        "",
        "   ",
        ".hidden",
        "..",
        "-x",
        "UCEV\u200b24",
        "ロット1",
    ],
)
def test_refused_with_the_field_named(value):
    with pytest.raises(InputError) as err:
        identifiers.clean("lot", value, field="number")
    assert err.value.where == "number"


def test_refusal_names_the_characters_not_allowed():
    with pytest.raises(InputError) as err:
        identifiers.clean("lot", "UCEV/24<1>", field="number")
    assert "/ < >" in err.value.message


def test_length_limit_per_kind():
    assert identifiers.clean("lot", "L" * 32, field="number") == "L" * 32
    with pytest.raises(InputError, match="32"):
        identifiers.clean("lot", "L" * 33, field="number")


def test_product_codes_fold_to_lower_case():
    assert identifiers.clean("product", "UCMSC-SEV-OA", field="code") == "ucmsc-sev-oa"
    with pytest.raises(InputError):
        identifiers.clean("product", "ucmsc.sev", field="code")


@override_settings(EVQMS_IDENTIFIERS={"lot": {"pattern": r"[A-Z]{2,4}-[0-9]{2}-[0-9]{3}", "max_length": 11}})
def test_pattern_is_configurable_in_settings():
    assert identifiers.clean("lot", "UCEV-24-001", field="number") == "UCEV-24-001"
    with pytest.raises(InputError):
        identifiers.clean("lot", "UCEV-24-0001", field="number")
    with pytest.raises(InputError):
        identifiers.clean("lot", "ucev-24-001", field="number")
    # other kinds keep their default
    assert identifiers.clean("donor", "d-0001", field="code") == "d-0001"


# --- uniqueness ignoring case ----------------------------------------------------------------


@pytest.mark.django_db
def test_lower_case_collides_with_upper_case():
    factories.lot("UCEV-24-001")
    with pytest.raises(InputError) as err:
        identifiers.require_unique("lot", "ucev-24-001", field="number")
    assert err.value.where == "number"
    assert "UCEV-24-001" in err.value.message


@pytest.mark.django_db
def test_create_lot_refuses_a_look_alike(make_user):
    from evqms.lots import services

    factories.lot("UCEV-24-001")
    operator = make_user("op1", "operator")
    prod = factories.product()
    kwargs = dict(
        actor=operator,
        product=prod,
        process=factories.process(prod),
        specification=factories.specification(prod),
        cell_bank=factories.cell_bank(),
        manufactured_on=factories.dt.date(2024, 6, 1),
    )
    for look_alike in ("ucev-24-001", "ＵＣＥＶ－２４－００１", " UCEV-24-001 "):
        with pytest.raises(InputError) as err:
            services.create_lot(number=look_alike, **kwargs)
        assert err.value.where == "number"
    for bad in ("UCEV/24/002", "</script>", "UCEV-24-002🧪"):
        with pytest.raises(InputError) as err:
            services.create_lot(number=bad, **kwargs)
        assert err.value.where == "number"
    lot = services.create_lot(number="ＵＣＥＶ－２４－００２", **kwargs)
    assert lot.number == "UCEV-24-002"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("model", "field", "make"),
    [
        ("lots.Lot", "number", lambda v: factories.lot(v)),
        ("dossier.Donor", "code", lambda v: factories.donor(v)),
        ("dossier.CellBank", "code", lambda v: factories.cell_bank(v)),
        ("dossier.MaterialLot", "lot_number", lambda v: factories.material_lot(lot_number=v)),
    ],
)
def test_database_refuses_case_variants(model, field, make):
    # The service's check cannot see a concurrent insert; the Lower() constraint can.
    make("ABC-001")
    with pytest.raises(IntegrityError), transaction.atomic():
        make("abc-001")


@pytest.mark.django_db
def test_material_lot_numbers_are_unique_per_material_only():
    factories.material_lot("Medium A", lot_number="X-1")
    factories.material_lot("Serum B", lot_number="x-1")  # another material: allowed
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.material_lot("Medium A", lot_number="x-1")


# --- URL converters ------------------------------------------------------------------------


def test_converter_accepts_exactly_the_rule():
    assert resolve("/lots/UCEV-24-001/").kwargs == {"number": "UCEV-24-001"}
    assert reverse("lots:lot-detail", args=["UCEV-24.001_a"]) == "/lots/UCEV-24.001_a/"
    for bad in ("A/B", "</script>", "UCEV🧪", "..", "L" * 33):
        with pytest.raises(NoReverseMatch):
            reverse("lots:lot-detail", args=[bad])
    assert reverse("reports:coa", args=["UCEV-24.1"]) == "/reports/coa/UCEV-24.1.pdf"
    assert resolve("/reports/coa/UCEV-24.1.pdf").kwargs == {"number": "UCEV-24.1"}


def test_no_identifier_capture_takes_any_text():
    from django.urls import get_resolver

    def walk(patterns, prefix=""):
        for p in patterns:
            route = prefix + str(p.pattern)
            if hasattr(p, "url_patterns"):
                yield from walk(p.url_patterns, route)
            else:
                yield route

    routes = [r for r in walk(get_resolver().url_patterns) if not r.startswith(("admin/", "api/"))]
    # only non-identifier captures may stay generic: a file format (the view refuses any other)
    loose = [r for r in routes if re.search(r"<(?:str|path):(?!fmt>)", r)]
    assert loose == []
    assert "compliance/<product:code>/report.<str:fmt>" in routes


# --- the check of stored rows --------------------------------------------------------------


@pytest.mark.django_db
def test_violations_lists_legacy_rows():
    factories.lot("UCEV-24-001")
    bad = factories.lot("UCEV/24/002")
    wide = factories.lot("ＵＣＥＶ－２４－００３")
    twin = factories.lot("ucev-24-001x")
    found = {v.value: v for v in identifiers.violations(["lot"])}
    assert set(found) == {"UCEV/24/002", "ＵＣＥＶ－２４－００３"}
    assert found["UCEV/24/002"].pk == bad.pk and found["UCEV/24/002"].suggestion == ""
    assert found["ＵＣＥＶ－２４－００３"].pk == wide.pk
    assert found["ＵＣＥＶ－２４－００３"].suggestion == "UCEV-24-003"
    assert twin.pk not in {v.pk for v in found.values()}


@pytest.mark.django_db
def test_identifiers_check_command(capsys):
    from evqms.cli import main

    factories.lot("UCEV-24-001")
    assert main(["identifiers", "check"]) == 0
    factories.lot("UCEV/24/009")
    assert main(["identifiers", "check", "--format", "json", "--kind", "lot"]) == 1
    out = capsys.readouterr().out
    assert '"value": "UCEV/24/009"' in out
    assert main(["identifiers", "check", "--kind", "nope"]) == 2

"""One way numbers, criteria and alert limits read, on the specification page and the lot page alike."""

from decimal import Decimal as D

import pytest

from evqms.core.display import alert_text, criterion_text, format_number
from evqms.dossier.templatetags import dossier_tags
from evqms.lots.evaluation import attribute_limits
from evqms.testing import factories


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (D("1E+10"), "1 × 10¹⁰"),
        (D("3.25E+11"), "3.25 × 10¹¹"),
        (D("0.500000"), "0.5"),
        (D("200.0000"), "200"),
    ],
)
def test_numbers_read_as_people_write_them(value, text):
    assert format_number(value) == text


@pytest.mark.django_db
def test_the_specification_page_and_the_lot_page_write_an_attribute_the_same_way():
    spec = factories.specification(factories.product())
    attribute = spec.attributes.filter(kind="quantitative").exclude(lower=None).first()
    attribute.unit, attribute.alert_lower, attribute.alert_upper = "ug/mL", None, attribute.upper
    limits = attribute_limits(attribute)
    assert dossier_tags.criterion(attribute) == criterion_text(limits)
    assert dossier_tags.alert(attribute) == alert_text(limits)
    assert dossier_tags.criterion(attribute).endswith("µg/mL")  # as printed, not as typed


@pytest.mark.parametrize(
    ("value", "figures", "text"),
    [
        # hand-computed: 2e10 particles / 58.5 kg = 341 880 341.88... per kg
        (D("2E+10") / D("58.5"), 4, "3.419 × 10⁸"),
        (D("25") / D("58.5"), 4, "0.4274"),  # µg per kg
        (D("25.000"), 4, "25"),
        (D("2E+10"), 3, "2 × 10¹⁰"),
        (3.1e10, 6, "3.1 × 10¹⁰"),
        (98.23456, 4, "98.23"),
        (D("0"), 4, "0"),
    ],
)
def test_derived_numbers_keep_their_significant_figures(value, figures, text):
    from evqms.core.display import format_significant

    assert format_significant(value, figures) == text


def test_template_filters_write_numbers_and_units_as_display_does():
    from django.template import Context, Template

    rendered = Template(
        "{% load evqms_numbers %}{{ v|number }} {{ u|unit }}; {{ c|number }} {{ t|unit }}; {{ w|number:2 }}; "
        "{{ k|significant }} /kg"
    ).render(
        Context(
            {"v": D("48.000000"), "u": "ug", "c": D("-80.0"), "t": "degC", "w": D("0.5"), "k": D("341880342")}
        )
    )
    assert rendered == "48 µg; -80 °C; 0.50; 3.419 × 10⁸ /kg"

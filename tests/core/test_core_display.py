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

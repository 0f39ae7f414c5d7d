"""The records an attestation may cite are listed by a widget of the compliance page's own, written
in Python for speed: it must write exactly what Django's CheckboxSelectMultiple writes."""

from __future__ import annotations

import pytest
from django import forms

from evqms.compliance.forms import AttestationForm
from evqms.compliance.views.product import _CheckboxList

CITABLE = [
    "lot:UCEV-24-001",
    "lot:<b>&'\"",  # escaped in the value and in the label
    "process:2",
    "risk_register:RR-1",
]


def _both(form: forms.Form) -> tuple[str, str]:
    stock = str(form["cites"])
    field = form.fields["cites"]
    field.widget = _CheckboxList(attrs=field.widget.attrs, choices=field.widget.choices)
    return stock, str(form["cites"])


@pytest.mark.parametrize(
    "make",
    [
        lambda: AttestationForm(items=["1-1"], citable=CITABLE),
        lambda: AttestationForm(items=["1-1"], citable=CITABLE, initial={"cites": CITABLE[1:3]}),
        lambda: AttestationForm(items=["1-1"], citable=[]),
        lambda: AttestationForm(items=["1-1"], citable=CITABLE, prefix="att"),
        # bound with a choice that is not offered: the field has an error (aria-invalid on each box)
        lambda: AttestationForm({"cites": ["lot:UCEV-24-001", "nope"]}, items=["1-1"], citable=CITABLE),
        lambda: AttestationForm({"cites": [CITABLE[1]]}, items=["1-1"], citable=CITABLE),
    ],
)
def test_the_cites_widget_writes_what_django_writes(make):
    form = make()
    if form.is_bound:
        form.is_valid()  # errors shown as a refused attestation shows them
    stock, ours = _both(form)
    assert ours == stock


def test_the_comparison_sees_a_checked_box():
    """Guards the test above: the checked state must appear in what is compared."""
    form = AttestationForm(items=["1-1"], citable=CITABLE, initial={"cites": ["process:2"]})
    stock, ours = _both(form)
    assert stock.count(" checked") == 1 and ours == stock


def test_the_comparison_sees_the_error_state():
    form = AttestationForm({"cites": ["nope"]}, items=["1-1"], citable=CITABLE)
    assert not form.is_valid()
    stock, ours = _both(form)
    assert 'aria-invalid="true"' in stock and ours == stock


def test_grouped_choices_fall_back_to_django():
    widget = _CheckboxList(choices=[("lots", [("lot:A", "A"), ("lot:B", "B")]), ("process:1", "process:1")])
    stock = forms.CheckboxSelectMultiple(choices=widget.choices)
    assert widget.render("cites", ["lot:B"], attrs={"id": "id_cites"}) == stock.render(
        "cites", ["lot:B"], attrs={"id": "id_cites"}
    )

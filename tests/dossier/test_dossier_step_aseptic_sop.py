"""Process steps declare aseptic and their SOP, attributes their method document: checked against the
dossier's documents, copied into the next version, signed only when declared."""

import pytest
from django.utils import timezone

from evqms.dossier import records, services
from evqms.dossier.models import Document
from evqms.errors import InputError
from evqms.testing import factories as f

pytestmark = pytest.mark.django_db


def _doc(code):
    return Document.objects.create(
        code=code,
        version=1,
        title=code,
        kind="sop",
        file=f"documents/{code}.txt",
        original_name="x.txt",
        sha256="0" * 64,
        status="approved",
        uploaded_by=f.user("author", "operator"),
        uploaded_at=timezone.now(),
    )


def test_step_sop_must_name_a_document_and_is_copied_to_the_next_version(make_user):
    op = make_user("op-a", "operator")
    proc = f.process(f.product(), status="draft")
    with pytest.raises(InputError) as exc:
        services.add_process_step(
            actor=op, process=proc, kind="fill", name="Fill", aseptic=True, sop="SOP-NONE"
        )
    assert exc.value.where == "sop"
    _doc("SOP-FILL-001")
    step = services.add_process_step(
        actor=op, process=proc, kind="fill", name="Fill", aseptic=True, sop="SOP-FILL-001"
    )
    assert records.step_record(step)["aseptic"] is True and records.step_record(step)["sop"] == "SOP-FILL-001"
    plain = proc.steps.get(order=1)
    # a step declaring nothing keeps the record versions approved before these fields were signed
    assert "aseptic" not in records.step_record(plain) and "sop" not in records.step_record(plain)
    proc.status = "approved"
    proc.save()
    new = services.create_process_version(actor=op, product=proc.product)
    copied = new.steps.get(order=step.order)
    assert copied.aseptic and copied.sop == "SOP-FILL-001"
    services.update_process_step(actor=op, step=copied, aseptic=False, sop="")
    copied.refresh_from_db()
    assert not copied.aseptic and copied.sop == ""


def test_attribute_method_document(make_user):
    analyst = make_user("qc-a", "qc_analyst")
    spec = f.specification(f.product(), status="draft")
    attribute = spec.attributes.get(code="endotoxin")
    with pytest.raises(InputError) as exc:
        services.update_spec_attribute(actor=analyst, attribute=attribute, method_sop="SOP-QC-404")
    assert exc.value.where == "method_sop"
    _doc("SOP-QC-010")
    services.update_spec_attribute(actor=analyst, attribute=attribute, method_sop="SOP-QC-010")
    attribute.refresh_from_db()
    assert (
        attribute.method_sop == "SOP-QC-010"
        and records.attribute_record(attribute)["method_sop"] == "SOP-QC-010"
    )
    assert "method_sop" not in records.attribute_record(spec.attributes.get(code="cd63"))

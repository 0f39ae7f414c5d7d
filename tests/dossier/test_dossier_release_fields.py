"""What the dossier approves for release: a process version's bill of materials and xeno-free claim, a
specification version's shelf life, a product's retention policy. Set on drafts only, audited, signed
with the version, carried into the next version; and their edit pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from evqms.audit.models import AuditEvent, Signature
from evqms.dossier import models as m
from evqms.dossier import services
from evqms.errors import InputError, PermissionDenied

pytestmark = pytest.mark.django_db


def _materials():
    return [
        m.Material.objects.create(name=n, supplier="S", catalogue_number=c, kind=k)
        for n, c, k in [
            ("Medium", "M-1", "basal_medium"),
            ("FBS", "F-1", "serum"),
            ("HPL", "H-1", "supplement"),
        ]
    ]


def test_process_bill_of_materials_signed_and_copied(people, product, rf_request):
    medium, fbs, hpl = _materials()
    v1 = services.create_process_version(actor=people.operator, product=product)
    services.add_process_step(actor=people.operator, process=v1, kind="culture", name="Culture")
    with pytest.raises(PermissionDenied):
        services.set_process_materials(actor=people.analyst, process=v1, xeno_free=False, materials=[medium])
    services.set_process_materials(
        actor=people.operator, process=v1, xeno_free=False, materials=[medium, fbs]
    )
    event = AuditEvent.objects.filter(action="process.materials").get()
    assert '"bill_of_materials":["S F-1","S M-1"]' in event.after
    v1 = services.approve_process(
        request=rf_request, actor=people.qa2, process=v1, password=people.qa2.raw_password
    )
    signed = Signature.objects.get(object_type="process", object_id=str(v1.pk))
    assert "S F-1" in signed.record and "S M-1" in signed.record
    with pytest.raises(services.ImmutableRecord):
        services.set_process_materials(actor=people.operator, process=v1, xeno_free=True, materials=[medium])
    v2 = services.create_process_version(actor=people.operator, product=product)
    assert set(v2.bill_of_materials.all()) == {medium, fbs} and v2.xeno_free is False
    services.set_process_materials(actor=people.operator, process=v2, xeno_free=True, materials=[medium, hpl])
    v2.refresh_from_db()
    assert v2.xeno_free and set(v2.bill_of_materials.all()) == {medium, hpl}


def test_a_version_signed_before_the_fields_keeps_its_record(people, product):
    """The signed record leaves out an undeclared bill and shelf life, so older signatures still apply."""
    from evqms.dossier import records

    proc = services.create_process_version(actor=people.operator, product=product)
    audited = records.process_record(proc)
    assert "bill_of_materials" not in audited and "xeno_free" not in audited
    spec = m.Specification.objects.create(product=product, version=1)
    assert "shelf_life_months" not in records.specification_record(spec)


def test_shelf_life_on_a_draft_specification(people, product, rf_request):
    spec = services.create_specification_version(actor=people.analyst, product=product)
    for bad in ("18.3", "0", "121", "x"):
        with pytest.raises(InputError) as e:
            services.set_shelf_life(actor=people.analyst, specification=spec, months=bad, basis="study")
        assert e.value.where == "shelf_life_months"
    with pytest.raises(InputError) as e:
        services.set_shelf_life(actor=people.analyst, specification=spec, months="18", basis=" ")
    assert e.value.where == "shelf_life_basis"
    spec = services.set_shelf_life(
        actor=people.analyst, specification=spec, months="18", basis="ICH Q1E 18.3"
    )
    assert (spec.shelf_life_months, spec.shelf_life_basis) == (18, "ICH Q1E 18.3")
    assert AuditEvent.objects.filter(action="specification.shelf_life").count() == 1
    spec2_prev = spec
    services.add_spec_attribute(
        actor=people.analyst, specification=spec, code="sterility", name="Sterility", method="JP",
        kind="qualitative", choices=["no growth", "growth"], acceptable=["no growth"],
    )  # fmt: skip
    spec = services.approve_specification(
        request=rf_request, actor=people.qa2, specification=spec, password=people.qa2.raw_password
    )
    assert '"shelf_life_months":18' in Signature.objects.get(object_type="specification").record.replace(
        " ", ""
    )
    v2 = services.create_specification_version(actor=people.analyst, product=product)
    assert v2.shelf_life_months == spec2_prev.shelf_life_months == 18
    cleared = services.set_shelf_life(actor=people.analyst, specification=v2, months="", basis="")
    assert cleared.shelf_life_months is None


def test_product_retention_policy(people, product):
    assert product.retention_sample_required is True  # the default: the guidance asks for retained samples
    services.update_product(actor=people.qa, product=product, retention_sample_required=False, reason="no")
    product.refresh_from_db()
    assert product.retention_sample_required is False


def _login(client, user):
    client.logout()
    response = client.post("/accounts/login/", {"username": user.username, "password": user.raw_password})
    assert response.status_code == 302
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})


def test_edit_pages(client, people, product):
    medium, fbs, _hpl = _materials()
    proc = services.create_process_version(actor=people.operator, product=product)
    spec = services.create_specification_version(actor=people.analyst, product=product)
    _login(client, people.operator)
    url = reverse("dossier:process-materials", args=[proc.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"xeno_free": "on", "materials": [medium.pk]})
    assert response.status_code == 302
    proc.refresh_from_db()
    assert proc.xeno_free and list(proc.bill_of_materials.all()) == [medium]
    page = client.get(reverse("dossier:process-detail", args=[proc.pk])).content.decode()
    assert 'id="xeno-free"' in page and "Medium" in page
    _login(client, people.analyst)
    url = reverse("dossier:specification-shelf-life", args=[spec.pk])
    response = client.post(url, {"shelf_life_months": "18.5", "shelf_life_basis": "x"})
    assert response.status_code == 400 and "whole months" in response.content.decode()
    assert client.post(url, {"shelf_life_months": "18", "shelf_life_basis": "Study S"}).status_code == 302
    page = client.get(reverse("dossier:specification-detail", args=[spec.pk])).content.decode()
    assert 'id="shelf-life-months">18<' in page
    _login(client, people.auditor)
    assert client.get(url).status_code == 403

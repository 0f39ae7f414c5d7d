"""Two people edit the same record: the one who saves second, from a stale form, is refused and
nothing of theirs is written, instead of silently undoing the first person's change."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from evqms.audit.models import AuditEvent
from evqms.core.concurrency import fingerprint
from evqms.dossier import models as m
from evqms.dossier import records, services
from evqms.errors import EditConflict

pytestmark = pytest.mark.django_db


@pytest.fixture
def bank(people):
    donor = services.create_donor(actor=people.operator, code="D-1", consent_on=dt.date(2024, 1, 10))
    return services.create_cell_bank(
        actor=people.operator, code="MCB-1", kind="MCB", donor=donor, passage=3, vials=20, location="Tank 1"
    )


def _opened(client, url) -> str:
    page = client.get(url).content.decode()
    return re.search(r'name="seen" value="([0-9a-f]{64})"', page).group(1)


def test_the_second_save_from_a_stale_form_is_refused(people, make_user, bank):
    first, second = Client(), Client()
    first.force_login(people.operator)
    second.force_login(make_user("op2", "operator"))
    for c in (first, second):
        c.post("/i18n/setlang/", {"language": "en", "next": "/"})
    url = reverse("dossier:cell-bank-edit", args=[bank.pk])
    base = {"kind": "MCB", "donor": bank.donor_id, "passage": "3", "status": "quarantine"}
    seen_first, seen_second = _opened(first, url), _opened(second, url)
    assert seen_first == seen_second == fingerprint(records.cell_bank_record(bank))

    r = first.post(url, {**base, "vials": "15", "location": "Tank 1", "seen": seen_first, "reason": "used 5"})
    assert r.status_code == 302
    r = second.post(
        url, {**base, "vials": "20", "location": "Tank 2", "seen": seen_second, "reason": "moved tank"}
    )
    assert r.status_code == 400 and "was changed by someone else" in r.content.decode()
    bank.refresh_from_db()
    assert (bank.vials, bank.location) == (15, "Tank 1")  # the first change stands, nothing of the second
    assert AuditEvent.objects.filter(action="cell_bank.update").count() == 1

    # Reloading shows the first change and gives a fresh fingerprint: now the move saves.
    seen_again = _opened(second, url)
    r = second.post(url, {**base, "vials": "15", "location": "Tank 2", "seen": seen_again, "reason": "moved"})
    assert r.status_code == 302
    bank.refresh_from_db()
    assert (bank.vials, bank.location) == (15, "Tank 2")


def test_the_conflict_message_is_japanese_on_a_japanese_page(people, make_user, bank, client):
    client.force_login(people.operator)
    url = reverse("dossier:cell-bank-edit", args=[bank.pk])
    stale = _opened(client, url)
    services.update_cell_bank(actor=people.operator, bank=bank, vials=19, reason="one vial used")
    r = client.post(
        url,
        {"kind": "MCB", "donor": bank.donor_id, "passage": "3", "status": "quarantine", "vials": "20"}
        | {"seen": stale, "reason": "x"},
    )
    assert r.status_code == 400 and "他の人によって変更されました" in r.content.decode()


def test_services_check_the_fingerprint_only_when_given(people, bank):
    stale = fingerprint(records.cell_bank_record(bank))
    services.update_cell_bank(actor=people.operator, bank=bank, vials=18, reason="2 used")
    with pytest.raises(EditConflict, match="cell bank MCB-1"):
        services.update_cell_bank(actor=people.operator, bank=bank, vials=17, seen=stale, reason="1 used")
    assert m.CellBank.objects.get(pk=bank.pk).vials == 18
    # Without a fingerprint (CLI, demo) the edit applies to the record as it is now.
    assert services.update_cell_bank(actor=people.operator, bank=bank, vials=17, reason="1 used").vials == 17


def test_an_attribute_edit_starts_from_the_stored_attribute_not_the_callers_copy(people, product):
    spec = services.create_specification_from_template(actor=people.analyst, product=product)
    copy_a = spec.attributes.get(code="endotoxin")
    copy_b = m.SpecAttribute.objects.get(pk=copy_a.pk)
    services.update_spec_attribute(actor=people.analyst, attribute=copy_a, unit="EU/mL", upper="0.25")
    services.update_spec_attribute(actor=people.analyst, attribute=copy_b, method="LAL kinetic")
    stored = m.SpecAttribute.objects.get(pk=copy_a.pk)
    assert stored.upper == pytest.approx(0.25) and stored.method == "LAL kinetic"  # b did not undo a
    last = AuditEvent.objects.filter(action="specification.attribute.update").order_by("-id").first()
    assert json.loads(last.before)["upper"] == json.loads(last.after)["upper"]


def test_step_and_parameter_edits_start_from_the_stored_record(people, product):
    proc = services.create_process_version(actor=people.operator, product=product, description="first")
    step = services.add_process_step(actor=people.operator, process=proc, kind="culture", name="Culture")
    param = services.add_process_parameter(
        actor=people.operator, step=step, name="Culture time", unit="h", low="48", high="72", critical=True
    )
    stale_step, stale_param = (
        m.ProcessStep.objects.get(pk=step.pk),
        m.ProcessParameter.objects.get(pk=param.pk),
    )
    services.update_process_step(actor=people.operator, step=step, method="T-flask")
    services.update_process_step(actor=people.operator, step=stale_step, name="Expansion")
    services.update_process_parameter(actor=people.operator, parameter=param, high="96")
    services.update_process_parameter(actor=people.operator, parameter=stale_param, low="24")
    step, param = m.ProcessStep.objects.get(pk=step.pk), m.ProcessParameter.objects.get(pk=param.pk)
    assert (step.name, step.method) == ("Expansion", "T-flask")
    assert (param.low, param.high) == (pytest.approx(24), pytest.approx(96))

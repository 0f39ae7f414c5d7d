"""The retention page names the missing samples' material or product by its name (名称), in Japanese."""

import pytest
from django.urls import reverse

from evqms.testing import factories as f

pytestmark = pytest.mark.django_db


def test_retention_page_headers_in_japanese(client, make_user):
    from evqms.lots.models import MaterialUsage

    op = make_user("inv-op", "operator")
    lot = f.lot("L-RET", status="released")
    hpl = f.material_lot("Human platelet lysate", "HPL-R", is_biological=True)
    MaterialUsage.objects.create(
        lot=lot, material_lot=hpl, quantity=1, unit="mL", recorded_by=op, recorded_at=lot.created_at
    )
    client.force_login(op)
    client.post("/i18n/setlang/", {"language": "ja", "next": "/"})
    page = client.get(reverse("inventory:retention")).content.decode()
    header = page[page.index('id="retention-missing"') :].split("</thead>")[0]
    assert "<th>名称</th>" in header and "氏名" not in header  # a thing's name, not a person's
    assert "HPL-R" in page and "Human platelet lysate" in page

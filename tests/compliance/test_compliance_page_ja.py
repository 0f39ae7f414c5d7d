"""The compliance page speaks the page's language everywhere (issue 18 item 5): evidence named in
Japanese, and section 3's two parts numbered 3-1 and 3-2 as the guidance's table of contents
(seed slide 9) and each item's own section say."""

from __future__ import annotations

import re

import pytest

from evqms.compliance import services
from evqms.guidance import ruleset
from evqms.guidance.text import evidence_label

pytestmark = pytest.mark.django_db


def test_evidence_labels_in_both_languages():
    assert evidence_label("material lot FBS-23-11", "ja") == "原材料ロット FBS-23-11"
    assert evidence_label("lot UCEV-24-001", "ja") == "ロット UCEV-24-001"
    assert evidence_label("risk register RR-ucmsc v2", "ja") == "リスク登録簿 RR-ucmsc v2"
    assert evidence_label("material lot FBS-23-11", "en") == "material lot FBS-23-11"
    assert evidence_label("something else", "ja") == "something else"


def test_every_jsrm_item_sits_in_the_part_its_section_numbers():
    """Part titles start with their number; every item's section (3-2) falls under its part's
    number (3-2), and no two parts share a number."""
    rs = ruleset.load("jsrm-2024")
    numbers = {part: title["en"].split()[0] for part, title in rs.parts.items()}
    assert sorted(numbers.values()) == ["1", "2", "3-1", "3-2"]
    for part, title in rs.parts.items():
        assert title["ja"].split()[0] == numbers[part]
    for item in rs.items:
        number = numbers[item.part]
        assert item.section == number or item.section.startswith(number + "-"), (item.id, item.section)


def test_page_shows_japanese_evidence_and_numbered_parts(client, world):
    world.released_lot()
    services.run_assessment(actor=world.qa, product=world.product)
    client.force_login(world.qa)
    client.post("/i18n/setlang/", {"language": "ja", "next": "/"})
    response = client.get(f"/compliance/{world.product.code}/")
    assert response.status_code == 200
    html = response.content.decode()
    parts = re.findall(r"<section class=\"part\">\s*<h2>([^<]+)", html)
    assert [p.split()[0] for p in parts] == ["1", "2", "3-1", "3-2"]
    evidence = " ".join(re.findall(r'<p class="small evidence">(.*?)</p>', html, re.S))
    assert "ロット " in evidence and ">lot " not in evidence

"""In a real browser, in Japanese and in English: a physician opens a product's evidence page,
finds the registry export, first types a period whose start lies after its end (refused on the
field, nothing downloaded), then downloads the zip of a valid period and finds its files. The
product is the hand-built one of tests/reports/test_reports_registry.py (its rows worked out there)."""

from __future__ import annotations

import importlib.util
import zipfile
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "registry_world", Path(__file__).parents[1] / "reports" / "test_reports_registry.py"
)
world = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(world)

TEXT = {
    "ja": {"title": "レジストリ出力", "error": "期間の開始日（from）", "readme": "抽出日時"},
    "en": {"title": "Registry export", "error": "the start of the period (from)", "readme": "Extracted at"},
}


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.django_db(transaction=True)
def test_physician_downloads_the_registry_export(page, live_server, login, make_user, shot, lang):
    text = TEXT[lang]
    hand = world.hand_registry()
    base = live_server.url
    login(page, hand["physician"])
    if lang == "en":
        with page.expect_navigation():
            page.select_option("select[name=language]", "en")

    page.goto(f"{base}/reports/evidence/reg-hand/")
    card = page.locator("#registry")
    card.scroll_into_view_if_needed()
    assert text["title"] in card.locator("h2").inner_text()
    shot(page, f"registry-01-evidence-card-{lang}")

    # a start after the end: the page again, the refusal on the start field
    page.fill("#id_registry_from", "2026-12-31")
    page.fill("#id_registry_to", "2026-01-01")
    with page.expect_navigation():
        page.locator("#registry-download").click()
    error = page.locator("#registry-error-from")
    assert text["error"] in error.inner_text()
    page.locator("#registry").scroll_into_view_if_needed()
    shot(page, f"registry-02-bad-period-{lang}")

    page.fill("#id_registry_from", "2026-06-01")
    page.fill("#id_registry_to", "2026-12-31")
    with page.expect_download() as download:
        page.locator("#registry-download").click()
    assert download.value.suggested_filename.startswith("registry-reg-hand-2026-06-01_2026-12-31-")
    archive = zipfile.ZipFile(download.value.path())
    assert sorted(archive.namelist()) == sorted(
        ["README.txt", "define.json", "DM.csv", "EX.csv", "AE.csv", "QS.csv", "SV.csv", "odm.xml"]
    )
    readme = archive.read("README.txt").decode("utf-8")
    assert text["readme"] in readme and "DM.csv: 2" in readme
    assert archive.read("DM.csv").decode().splitlines()[1].startswith("reg-hand,DM,reg-P01,2026-06-14,56,")
    # QA reads in the audit trail who exported what
    page.context.clear_cookies()
    login(page, make_user("qa-registry", "qa_reviewer"))
    if lang == "en":
        with page.expect_navigation():
            page.select_option("select[name=language]", "en")
    page.goto(f"{base}/audit/?action=registry.export")
    rows = page.locator("table tbody tr")
    assert rows.count() == 1 and hand["physician"].username in rows.first.inner_text().lower()
    shot(page, f"registry-03-audit-{lang}")

"""A QC analyst imports a lot's results in the browser, in Japanese and then in English: the
lot's template downloaded, a file with an error uploaded (the error seen on its row), the file
fixed, previewed and imported all at once."""

from __future__ import annotations

import csv
import io

import pytest


def _switch_to_english(page):
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")


def _filled(template: str, values: dict[str, tuple[str, str]], tested_at: str) -> str:
    """The downloaded CSV template with the given attribute rows filled: {code: (value, unit)}, a
    qualitative result given as its unit."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for line in template.splitlines():
        if line.startswith("#"):
            out.write(line + "\n")
            continue
        cells = next(csv.reader([line]))
        if cells[1] in values:
            value, unit = values[cells[1]]
            if unit in ("positive", "negative"):
                cells[4] = unit
            else:
                cells[2], cells[3] = value, unit
            cells[6] = tested_at
        writer.writerow(cells)
    return out.getvalue()


def _walk(page, live_server, shot, tmp_path, lot, lang: str):
    page.goto(f"{live_server.url}/lots/{lot.number}/")
    with page.expect_navigation():
        page.click("#qc-import-link")
    with page.expect_download() as download:
        page.click("#templates .template-csv")
    template = download.value.path().read_text(encoding="utf-8-sig")
    assert lot.number in template and "12:00" in template  # the date rule is in the header notes
    shot(page, f"qc-import-{lang}-1-form")

    wrong = _filled(template, {"modal_size": ("121", "kg"), "cd63": ("", "positive")}, "2024/06/01 10:30")
    path = tmp_path / f"results-{lang}.csv"
    path.write_text(wrong, encoding="utf-8")
    page.set_input_files("#id_file", str(path))
    with page.expect_navigation():
        page.click("#preview-button")
    errors = page.locator("#preview-table tr.row-errors")
    assert errors.count() == 1 and "unit" in errors.first.inner_text()
    assert page.locator("#import-all").count() == 0
    shot(page, f"qc-import-{lang}-2-error-in-place")

    path.write_text(wrong.replace("121,kg", "121,nm"), encoding="utf-8")
    page.set_input_files("#id_file", str(path))
    with page.expect_navigation():
        page.click("#preview-button")
    assert page.locator("#preview-table tr.row-errors").count() == 0
    assert "JST" in page.locator("#preview-table").inner_text()
    shot(page, f"qc-import-{lang}-3-preview")
    with page.expect_navigation():
        page.click("#import-all")
    assert page.url.endswith(f"/lots/{lot.number}/")
    assert page.locator("#attr-modal_size .result").count() == 1
    shot(page, f"qc-import-{lang}-4-imported")


@pytest.mark.django_db(transaction=True)
def test_qc_results_imported_in_the_browser(page, live_server, login, shot, world, tmp_path):
    first, second = world.in_qc("UCEV-E2E-01"), world.in_qc("UCEV-E2E-02")
    login(page, world.analyst)
    _walk(page, live_server, shot, tmp_path, first, "ja")
    _switch_to_english(page)
    _walk(page, live_server, shot, tmp_path, second, "en")
    assert first.qc_results.count() == 2 and second.qc_results.count() == 2

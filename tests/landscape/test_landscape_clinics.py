"""The clinic survey: Japanese text handling, every page rule, and figures reproduced from a
saved crawl (the fixture manifest, and a WARC built here from the same pages)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evqms.cli import main
from evqms.i18n import use_language
from evqms.landscape.clinic_survey import survey
from evqms.landscape.clinics import classify_page, clinic_names, institution_of
from evqms.landscape.crawl import read_crawl, read_manifest, read_warc
from evqms.landscape.text import PageText, decode_html, normalise, page_text

# Messages are asserted in English (the Japanese catalogue is checked on its own).
pytestmark = pytest.mark.usefixtures("english_messages")

# Counted by hand from the fixture pages: 注射, 点滴 (Shift_JIS), 注入 (EUC-JP) and ダーマペン pages confirm
# administration; inc_ryoho.html only offers "エクソソーム療法" and is not confirmed (seed section 6).
EXPECTED_SUMMARY = {"analysed": 12, "unique_urls": 10, "included": 4, "institutions_included": 4}


@pytest.fixture
def clinics_dir(fixtures_dir) -> Path:
    return fixtures_dir / "landscape" / "clinics"


def classify_file(path: Path, url="https://clinic.example.jp/p", content_type=None):
    page = page_text(decode_html(path.read_bytes(), content_type).text)
    return classify_page(url, page), page


@pytest.mark.parametrize(
    ("name", "content_type", "decision", "matched"),
    [
        ("inc_chusha.html", None, "included", ["注射"]),
        ("inc_tenteki_sjis.html", None, "included", ["点滴"]),
        ("inc_chunyu_eucjp.html", "text/html; charset=EUC-JP", "included", ["注入"]),
        ("inc_ryoho.html", None, "not_confirmed", ["療法"]),  # therapy is not a route (seed section 6)
        ("inc_dermapen.html", None, "included", ["ダーマペン"]),
        ("exc_drops.html", None, "excluded", ["点鼻", "点眼"]),
        ("exc_cosmetic.html", None, "excluded", ["美容液", "スキンケア", "配合"]),
        ("not_confirmed.html", None, "not_confirmed", []),
    ],
)
def test_page_rules(clinics_dir, name, content_type, decision, matched):
    result, _page = classify_file(clinics_dir / name, content_type=content_type)
    assert (result.decision, result.matched) == (decision, matched)


def test_portal_listing_many_clinics(clinics_dir):
    result, _page = classify_file(clinics_dir / "exc_portal.html")
    assert result.decision == "excluded" and "listing 5 clinics" in result.reason
    assert result.matched[:2] == ["銀座スキンクリニック", "新宿中央美容クリニック"]


def test_known_portal_domain():
    page = PageText("", "", "エクソソーム注射が受けられます。", "")
    assert classify_page("https://beauty.hotpepper.jp/x", page).decision == "excluded"


def test_menu_link_outside_main_text_does_not_include(clinics_dir):
    # exc_drops.html has an "エクソソーム注射" link in its <nav> and "プラセンタ注射" in another sentence
    _result, page = classify_file(clinics_dir / "exc_drops.html")
    assert "エクソソーム注射" not in page.main_text and "プラセンタ注射" in page.main_text


@pytest.mark.parametrize(
    ("text", "decision"),
    [
        ("注射不要のエクソソーム美容液です。", "excluded"),  # negated injection, cosmetic
        ("エクソソームは注射ではなく塗布します。", "excluded"),
        ("エクソソーム点鼻療法を行います。", "excluded"),  # 療法 of drops is not an injection
        ("エクソソーム点滴・点鼻をご用意しています。", "included"),
        ("細胞外小胞(エクソソーム)を静脈に点滴します。", "included"),
        ("当院ではエクソソームを扱っています。", "not_confirmed"),
        ("当院ではエクソソーム療法を行っています。", "not_confirmed"),  # 療法 alone confirms nothing
        ("エクソソーム療法(点滴)を行っています。", "included"),  # ... a route word next to it does
        ("プラセンタ注射を行っています。", "not_confirmed"),
    ],
)
def test_sentence_rules(text, decision):
    assert classify_page("https://c.example.jp/", PageText("", "", text, text)).decision == decision


@pytest.mark.parametrize(
    "word",
    [
        "エクソソーム",
        "エキソソーム",
        "エクソゾーム",
        "エキソゾーム",
        "ｴｸｿｿｰﾑ",
        "ｴｷｿｿﾞｰﾑ",
        "EXOSOME",
        "Exosomes",
        "エクソソーーム",
    ],
)
def test_exosome_spellings_normalise(word):
    assert normalise(word + "注射") == "エクソソーム注射"


def test_full_and_half_width():
    assert normalise("ﾀﾞｰﾏﾍﾟﾝ４　ＡＢＣ") == "ダーマペン4 abc"


@given(st.text(alphabet="エクソソーム注射点滴ｴｸｿｰﾑＡＢａｂ１ 　", max_size=30))
def test_normalise_is_idempotent(text):
    assert normalise(normalise(text)) == normalise(text)


@pytest.mark.parametrize("codec", ["cp932", "euc_jp", "utf-8"])
def test_decoding_without_declaration(codec):
    html = "<html><body><p>当院ではエクソソーム点滴を行っています。</p></body></html>"
    decoded = decode_html(html.encode(codec))
    assert decoded.text == html and decoded.notes == []


def test_wrong_declaration_is_noted_and_recovered():
    html = '<html><head><meta charset="utf-8"></head><body>エクソソーム注入</body></html>'
    decoded = decode_html(html.encode("euc_jp"), "text/html; charset=Shift_JIS")
    assert decoded.text == html and decoded.encoding == "euc_jp"
    assert decoded.notes[0] == "the page is not valid Shift_JIS as declared in HTTP"


def test_institution_names(clinics_dir):
    _r, page = classify_file(clinics_dir / "inc_tenteki_sjis.html")
    assert institution_of("https://www.aoba-naika.example.jp/x", page) == {
        "id": "aoba-naika.example.jp",
        "name": "あおば内科クリニック",
    }
    _r, page = classify_file(clinics_dir / "inc_dermapen.html")
    assert (
        institution_of("https://ameblo.jp/hikari-clinic/entry-1.html", page)["id"]
        == "ameblo.jp/hikari-clinic"
    )
    assert clinic_names("美容クリニックと当クリニック、当院はさくらクリニックと銀座医院") == [
        "さくらクリニック",
        "銀座医院",
    ]


def test_survey_from_manifest(clinics_dir):
    report = survey(read_manifest(clinics_dir / "manifest.jsonl"))
    assert report["summary"] == EXPECTED_SUMMARY
    assert report["problems"] == []
    by_url = {r["url"]: r for r in report["results"]}
    assert by_url["https://missing.example.jp/page"]["decision"] == "not_confirmed"
    assert by_url["https://www.sakura-biyou.example.jp/menu/exosome-injection/"]["queries"] == [
        "エクソソーム注射",
        "エクソソーム療法",
    ]
    assert [i["institution"] for i in report["institutions"]] == [
        "sakura-biyou.example.jp",
        "aoba-naika.example.jp",
        "ameblo.jp/hikari-clinic",
        "midori-hifuka.example.jp",
    ]
    assert len(report["institutions"][0]["urls"]) == 1  # its 療法 page no longer counts
    assert all(r["reason"] for r in report["results"])


def build_warc(path: Path, clinics_dir: Path, gzip: bool) -> int:
    """The fixture crawl as a WARC file, written with warcio directly."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    rows = [json.loads(line) for line in (clinics_dir / "manifest.jsonl").read_text("utf-8").splitlines()]
    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=gzip)
        for row in rows:
            http = StatusAndHeaders(
                "200 OK", [("Content-Type", row.get("content_type", "text/html"))], protocol="HTTP/1.1"
            )
            headers = {"WARC-Date": row["retrieved"], "WARC-Evqms-Query": row["query"]}
            record = writer.create_warc_record(
                row["url"],
                "response",
                http_headers=http,
                warc_headers_dict=headers,
                payload=io.BytesIO((clinics_dir / row["file"]).read_bytes()),
            )
            writer.write_record(record)
    return len(rows)


@pytest.mark.parametrize("gzip", [True, False])
def test_survey_from_warc_matches_manifest(tmp_path, clinics_dir, gzip):
    warc = tmp_path / ("crawl.warc.gz" if gzip else "crawl.warc")
    build_warc(warc, clinics_dir, gzip)
    crawl = read_crawl(warc)
    assert [r.kind for r in crawl.records[:3]] == ["search", "search", "page"]
    assert crawl.records[2].query == "エクソソーム注射"
    from_warc = survey(crawl)
    from_manifest = survey(read_manifest(clinics_dir / "manifest.jsonl"))
    assert from_warc["summary"] == EXPECTED_SUMMARY
    assert [(r["url"], r["decision"]) for r in from_warc["results"]] == [
        (r["url"], r["decision"]) for r in from_manifest["results"]
    ]


@pytest.mark.parametrize("gzip", [True, False])
def test_truncated_warc_keeps_the_good_records(tmp_path, clinics_dir, gzip):
    warc = tmp_path / ("crawl.warc.gz" if gzip else "crawl.warc")
    total = build_warc(warc, clinics_dir, gzip)
    data = warc.read_bytes()
    warc.write_bytes(data[: len(data) - 120])
    crawl = read_warc(warc)
    assert len(crawl.records) == total - 1
    (problem,) = crawl.problems
    assert problem.where.startswith(f"{warc.name}, record {total}") and "truncated" in problem.message
    report = survey(crawl)
    # the last page (not_confirmed.html) is lost: its URL is now "not in the crawl"; the others stand
    assert report["summary"] == EXPECTED_SUMMARY and report["skipped"] == 1


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "https://[ww.sakura-biyou.example.jp/menu/",
            "unreadable URL https://[ww.sakura-biyou.example.jp/menu/: Invalid IPv6 URL",
        ),
        ("ftp://sakura-biyou.example.jp/", "not an http(s) URL: ftp://sakura-biyou.example.jp/"),
        (42, '"url" is not text'),
    ],
    ids=["unbalanced-bracket", "not-http", "number"],
)
def test_manifest_line_with_an_unusable_url_is_a_problem_not_a_crash(tmp_path, clinics_dir, url, message):
    """Found by the manifest fuzz test: "https://[ww…" made urlsplit raise inside the survey."""
    rows = (clinics_dir / "manifest.jsonl").read_text("utf-8").splitlines()
    bad = json.loads(rows[2])
    bad["url"] = url
    rows[2] = json.dumps(bad)
    for row in rows:
        name = json.loads(row)["file"]
        (tmp_path / name).write_bytes((clinics_dir / name).read_bytes())
    manifest = tmp_path / "manifest.jsonl"
    manifest.write_text("\n".join(rows), "utf-8")
    with use_language("en"):
        crawl = read_manifest(manifest)
        report = survey(crawl)
    (problem,) = crawl.problems
    assert problem.where == "manifest.jsonl, line 3" and problem.message == message
    assert len(crawl.records) == len(rows) - 1 and report["results"]


def test_warc_record_with_an_unusable_url_is_a_problem(tmp_path, clinics_dir):
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    warc = tmp_path / "crawl.warc"
    total = build_warc(warc, clinics_dir, gzip=False)
    with open(warc, "ab") as fh:
        writer = WARCWriter(fh, gzip=False)
        writer.write_record(
            writer.create_warc_record(
                "https://[broken/",
                "response",
                http_headers=StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1"),
                payload=io.BytesIO(b"<p>x</p>"),
            )
        )
    with use_language("en"):
        crawl = read_warc(warc)
        survey(crawl)
    (problem,) = crawl.problems
    assert problem.where.startswith(f"crawl.warc, record {total + 1}") and "unreadable URL" in problem.message
    assert len(crawl.records) == total


def test_cli_classify_formats_and_exit_codes(tmp_path, clinics_dir, capsys, monkeypatch):
    monkeypatch.setenv("EVQMS_LANG", "en")
    manifest = clinics_dir / "manifest.jsonl"
    assert main(["landscape", "clinics", "classify", str(manifest)]) == 0
    assert json.loads(capsys.readouterr().out)["summary"] == EXPECTED_SUMMARY
    assert main(["landscape", "clinics", "classify", str(manifest), "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert (
        lines[0]
        == "url,decision,reason,matched,sentence,institution,institution_name,queries,rule_decision,review"
        and len(lines) == 11
    )
    assert main(["landscape", "clinics", "classify", str(manifest), "--format", "text"]) == 0
    text = capsys.readouterr().out
    assert "Search results analysed: 12" in text and "Institutions: 4" in text
    # a manifest with a bad line and a missing file: reported, the rest classified, exit 1
    bad = tmp_path / "bad.jsonl"
    rows = manifest.read_text("utf-8").splitlines()
    bad.write_text(
        "\n".join(rows[:3] + ["{not json", '{"url": "https://x.example.jp/", "file": "gone.html"}']), "utf-8"
    )
    for row in rows[:3]:
        name = json.loads(row)["file"]
        (tmp_path / name).write_bytes((clinics_dir / name).read_bytes())
    assert main(["landscape", "clinics", "classify", str(bad)]) == 1
    captured = capsys.readouterr()
    assert (
        "bad.jsonl, line 4: malformed JSON" in captured.err
        and "line 5: file not found: gone.html" in captured.err
    )
    # both search pages survive (12 results); of the result pages only the first one is left
    summary = json.loads(captured.out)["summary"]
    assert summary == {"analysed": 12, "unique_urls": 10, "included": 1, "institutions_included": 1}
    assert main(["landscape", "clinics", "classify", str(tmp_path / "x.txt")]) == 2


def test_every_decision_keeps_its_sentence(clinics_dir):
    included, _page = classify_file(clinics_dir / "inc_chusha.html")
    assert "注射" in included.sentence and "エクソソーム" in included.sentence
    therapy, _page = classify_file(clinics_dir / "inc_ryoho.html")
    assert therapy.decision == "not_confirmed" and "does not say how exosomes are put into the body" in (
        therapy.reason
    )
    # the longest sentence that mentions it, not the title or the heading (as normalised: EXOSOME -> エクソソーム)
    assert (
        therapy.sentence == "エクソソーム(エクソソーム)療法は、再生医療の新しい選択肢として注目されています"
    )
    report = survey(read_manifest(clinics_dir / "manifest.jsonl"))
    decided = [r for r in report["results"] if r["decision"] == "included"]
    assert len(decided) == 4 and all(r["sentence"] for r in decided)

"""The registry export as one zip: a CSV per dataset, their definition (define.json), the same data
as CDISC ODM 1.3.2 (odm.xml) and a README.txt naming the product, the period, the extraction time
(local, with its zone), the row counts and the SHA-256 of every other file."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field

from evqms.core import csvsafe
from evqms.core.timefmt import display_local, iso_local, to_local
from evqms.i18n import _, use_language
from evqms.reports.registry.columns import DATASETS, codelists
from evqms.reports.registry.odm import odm_xml
from evqms.reports.registry.period import ExportPeriod

ODM_FILE = "odm.xml"
DEFINE_FILE = "define.json"
README_FILE = "README.txt"
LANGS = ("ja", "en")


@dataclass
class RegistryPackage:
    data: bytes
    filename: str
    rows: dict[str, int]
    files: dict[str, str] = field(default_factory=dict)  # name -> sha256
    sha256: str = ""


def _csv(dataset, rows: list[dict]) -> bytes:
    out = io.StringIO(newline="")
    writer = csvsafe.writer(out, lineterminator="\r\n")
    writer.writerow([c.name for c in dataset.columns])
    for row in rows:
        writer.writerow([row.get(c.name, "") for c in dataset.columns])
    return out.getvalue().encode("utf-8")


def define_record(product, period: ExportPeriod, rows: dict[str, list[dict]], created: str) -> dict:
    """The machine-readable definition of every file and column."""
    lists = codelists()
    return {
        "format": "evqms registry export 1",
        "standard": {
            "datasets": "CDISC SDTM domain and variable names where one applies",
            "odm": "CDISC ODM 1.3.2",
        },
        "product": {"code": product.code, "name": product.name},
        "period": period.record(),
        "extracted_at": created,
        "encoding": "UTF-8, comma-separated, CRLF line ends, one header row",
        "odm_file": ODM_FILE,
        "datasets": [
            {
                "name": d.name,
                "file": d.file,
                "label": {"en": d.en, "ja": d.ja},
                "source": d.source,
                "odm_item_group_oid": d.oid,
                "rows": len(rows.get(d.name, [])),
                "keys": [c.name for c in d.columns if c.key],
                "columns": [
                    {
                        "name": c.name,
                        "label": c.label,
                        "type": c.type,
                        "unit": c.unit or None,
                        "cdisc_variable": c.cdisc,
                        "odm_item_oid": d.item_oid(c),
                        "controlled_terms": (
                            {"codelist_oid": lists[c.codelist].oid, "terms": lists[c.codelist].record()}
                            if c.codelist
                            else None
                        ),
                    }
                    for c in d.columns
                ],
            }
            for d in DATASETS
        ],
    }


def _readme(
    product, period: ExportPeriod, rows, hashes: dict[str, str], now: dt.datetime, lang: str
) -> bytes:
    with use_language(lang):
        lines = [
            _("evqms registry export (pseudonymised)"),
            "",
            _("Product: {code} ({name})").format(code=product.code, name=product.name),
            _("Period (administrations): {period}").format(period=period.text()),
            _("Extracted at: {time}").format(time=display_local(now, seconds=True)),
            "",
            _("Rows per dataset:"),
            *(f"  {d.file}: {len(rows.get(d.name, []))}" for d in DATASETS),
            "",
            _("SHA-256 of each file:"),
            *(f"  {digest}  {name}" for name, digest in hashes.items()),
            "",
            _(
                "Patients appear only by their pseudonym code, with sex and age in whole years; no name, "
                "birth date or birth year, clinic identifier or its keyed hash is in these files. "
                "define.json describes every column; odm.xml holds the same data as CDISC ODM 1.3.2."
            ),
        ]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def build_package(
    product, period: ExportPeriod, rows: dict[str, list[dict]], *, now: dt.datetime, lang: str
) -> RegistryPackage:
    if lang not in LANGS:
        lang = "ja"
    created = iso_local(now)
    local = to_local(now)
    contents: dict[str, bytes] = {}
    for dataset in DATASETS:
        contents[dataset.file] = _csv(dataset, rows.get(dataset.name, []))
    contents[DEFINE_FILE] = (
        json.dumps(define_record(product, period, rows, created), ensure_ascii=False, indent=2) + "\n"
    ).encode("utf-8")
    description = f"evqms registry export of {product.code}, administrations {period.text() if period.first or period.last else 'all'}"
    contents[ODM_FILE] = odm_xml(
        rows,
        product=product,
        created=created,
        file_oid=f"evqms.registry.{product.code}.{local:%Y%m%dT%H%M%S}",
        description=description,
    )
    hashes = {name: hashlib.sha256(data).hexdigest() for name, data in contents.items()}
    contents = {README_FILE: _readme(product, period, rows, hashes, now, lang), **contents}
    buffer = io.BytesIO()
    stamp = local.timetuple()[:6]
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in contents.items():
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    data = buffer.getvalue()
    return RegistryPackage(
        data=data,
        filename=f"registry-{product.code}-{period.slug()}-{local:%Y%m%d-%H%M%S}.zip",
        rows={d.name: len(rows.get(d.name, [])) for d in DATASETS},
        files=hashes,
        sha256=hashlib.sha256(data).hexdigest(),
    )

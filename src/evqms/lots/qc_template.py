"""The QC import's templates: a specification's attributes, units and methods as rows ready to fill,
in CSV (explained by "#" comment lines above the header) or Excel (explained on a second sheet),
in the reader's language. For a lot the lot number is filled in.

The headers are the import's own column names in English and the accepted Japanese headers in
Japanese (`qc_columns.ALIASES`), so a filled template imports without a column mapping. Two columns
only inform (the attribute's name and its acceptance criterion): the import ignores them.
"""

from __future__ import annotations

import io

from evqms.core import csvsafe
from evqms.core.display import criterion_text
from evqms.i18n import _
from evqms.lots import evaluation
from evqms.lots.qc_columns import COLUMNS, help_lines

HEADERS = {
    "en": {column: column for column in COLUMNS},
    "ja": {
        "lot": "ロット番号",
        "attribute": "試験項目",
        "value": "結果",
        "unit": "単位",
        "text_value": "定性結果",
        "method": "試験方法",
        "tested_at": "試験日時",
        "analyst": "試験者",
        "instrument": "機器",
        "positive_control": "陽性対照",
        "negative_control": "陰性対照",
        "positive_recovery": "添加回収率",
    },
}
INFO_HEADERS = {"en": ("name", "specification"), "ja": ("項目名", "規格")}


def _general_notes() -> list[str]:
    return [
        _(
            "Fill one row per result; rows left without a value, a qualitative result and a test time are skipped."
        ),
        _("The import is all or nothing: a preview shows every row as it will be stored and every error."),
        _("The name and specification columns are for reading only; the import ignores them."),
    ]


def template_rows(specification, lot_number: str = "") -> list[list[str]]:
    """One row per attribute of the specification, in its order, the import's columns then the
    informative ones."""
    rows = []
    for attribute in specification.attributes.order_by("order", "code"):
        quantitative = attribute.kind != "qualitative"
        cells = {
            "lot": lot_number,
            "attribute": attribute.code,
            "unit": attribute.unit if quantitative else "",
            "method": attribute.method,
        }
        info = [attribute.name, criterion_text(evaluation.attribute_limits(attribute))]
        rows.append([cells.get(column, "") for column in COLUMNS] + info)
    return rows


def _header(lang: str) -> list[str]:
    names = HEADERS[lang]
    return [names[column] for column in COLUMNS] + list(INFO_HEADERS[lang])


def _title(specification, lot_number: str) -> str:
    if lot_number:
        return _("QC results of lot {lot}, specification v{version}").format(
            lot=lot_number, version=specification.version
        )
    return _("QC results, specification v{version} of {product}").format(
        version=specification.version, product=specification.product.code
    )


def template_csv(specification, *, lang: str, lot_number: str = "") -> bytes:
    """UTF-8 with a byte-order mark, so that Excel opens the Japanese text as such."""
    out = io.StringIO()
    out.write(f"# {_title(specification, lot_number)}\n")
    for column, text in help_lines():
        out.write(f"# {HEADERS[lang][column]}: {text}\n")
    for note in _general_notes():
        out.write(f"# {note}\n")
    writer = csvsafe.writer(out, lineterminator="\n")
    writer.writerow(_header(lang))
    writer.writerows(template_rows(specification, lot_number))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def template_xlsx(specification, *, lang: str, lot_number: str = "") -> bytes:
    """The rows on the first sheet (the import reads it), the explanation on a second."""
    import openpyxl
    from openpyxl.styles import Font

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = _("Results")[:31]
    sheet.append(_header(lang))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in template_rows(specification, lot_number):
        sheet.append([csvsafe.neutralise(cell) for cell in row])
    for letter, width in zip("ABCDEFGHIJK", (14, 24, 12, 14, 14, 22, 18, 12, 14, 30, 30), strict=True):
        sheet.column_dimensions[letter].width = width
    help_sheet = workbook.create_sheet(_("How to fill")[:31])
    help_sheet.append([_title(specification, lot_number)])
    help_sheet.append([])
    help_sheet.append([_("Column"), _("What to write")])
    for column, text in help_lines():
        help_sheet.append([HEADERS[lang][column], text])
    help_sheet.append([])
    for note in _general_notes():
        help_sheet.append([note])
    help_sheet.column_dimensions["A"].width = 16
    help_sheet.column_dimensions["B"].width = 100
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()

"""The QC import's columns and the headers that name them: the one list the reader, the templates,
the saved column mappings and the command's help share.

A header is matched without regard to letter case or the spaces around it. Besides the column's
own name, the headers a Japanese laboratory writes are accepted as they are (ロット番号, 試験項目,
結果, 単位, 試験方法, 試験日, 試験者, 機器 ...), and a saved mapping (`QCColumnMapping`) names the
headers of one instrument's or template's export.
"""

from __future__ import annotations

from evqms.i18n import _

# The run controls of a sterility, endotoxin or mycoplasma result ("detected" / "not detected"; the
# endotoxin positive product control's spike recovery in %): optional columns, required on the rows
# of those tests (services/microbiology.py).
CONTROL_COLUMNS = ("positive_control", "negative_control", "positive_recovery")
COLUMNS = (
    "lot",
    "attribute",
    "value",
    "unit",
    "text_value",
    "method",
    "tested_at",
    "analyst",
    "instrument",
    *CONTROL_COLUMNS,
)
REQUIRED = ("lot", "attribute", "tested_at")

# Other headers accepted for each column, as written in the file (compared in lower case).
ALIASES = {
    "lot_number": "lot",
    "attribute_code": "attribute",
    "code": "attribute",
    "text": "text_value",
    "result": "text_value",
    "date": "tested_at",
    "tested_on": "tested_at",
    "instrument_id": "instrument",
    "equipment": "instrument",
    # Japanese headers, as Japanese laboratories and their Excel sheets write them.
    "ロット番号": "lot",
    "ロット": "lot",
    "ロットno": "lot",
    "ロットno.": "lot",
    "試験項目": "attribute",
    "項目": "attribute",
    "項目コード": "attribute",
    "結果": "value",
    "値": "value",
    "測定値": "value",
    "試験結果": "value",
    "単位": "unit",
    "定性結果": "text_value",
    "判定結果": "text_value",
    "試験方法": "method",
    "方法": "method",
    "試験日": "tested_at",
    "試験日時": "tested_at",
    "測定日": "tested_at",
    "測定日時": "tested_at",
    "試験者": "analyst",
    "測定者": "analyst",
    "機器": "instrument",
    "使用機器": "instrument",
    "機器id": "instrument",
    "陽性対照": "positive_control",
    "陰性対照": "negative_control",
    "添加回収率": "positive_recovery",
    "回収率": "positive_recovery",
}


def header_key(header) -> str:
    """A header as compared: without surrounding spaces (the ideographic space too), lower case."""
    return str(header if header is not None else "").strip().strip("\u3000").strip().lower()


def column_for(header, mapping: dict[str, str] | None = None) -> str:
    """The import column a file header names: a saved mapping's choice first, then the column's own
    name or an accepted alias; otherwise the header itself (a column the import ignores)."""
    key = header_key(header)
    for written, column in (mapping or {}).items():
        if header_key(written) == key and key:
            return column
    return ALIASES.get(key, key)


def help_lines() -> list[tuple[str, str]]:
    """(column, what to write in it), in the active language: the template's explanation."""
    return [
        ("lot", _("the lot number (filled in when the template is made for a lot)")),
        ("attribute", _("the attribute's code from the specification (filled in; do not change)")),
        ("value", _("the numeric result, as reported (quantitative attributes)")),
        ("unit", _("the unit of the value; another unit of the same quantity is converted")),
        ("text_value", _("the result of a qualitative attribute (e.g. positive, no growth)")),
        ("method", _("the test method (filled in from the specification; change it if another was used)")),
        (
            "tested_at",
            _(
                "when the test was done, in the facility's local time: 2026-12-06 14:30, 2026/12/06 14:30 "
                "or an Excel date cell; a date without a time is recorded at 12:00 (noon) that day, so "
                "give the time for a test done this morning"
            ),
        ),
        ("analyst", _("the user name of the analyst who did the test (empty: you)")),
        ("instrument", _("the identifier of the instrument used, from the equipment register (optional)")),
        (
            "positive_control",
            _(
                "sterility, endotoxin and mycoplasma only: the run's positive control, detected or not detected"
            ),
        ),
        (
            "negative_control",
            _(
                "sterility, endotoxin and mycoplasma only: the run's negative control, detected or not detected"
            ),
        ),
        (
            "positive_recovery",
            _("endotoxin only: the positive product control's spike recovery in % (valid from 50 to 200)"),
        ),
    ]


def columns_help() -> str:
    """The columns explained, one a line, for the command's --help and the README."""
    width = max(len(c) for c in COLUMNS)
    lines = [_("Columns (header row; any order; required: {required}):").format(required=", ".join(REQUIRED))]
    lines += [f"  {column:<{width}}  {text}" for column, text in help_lines()]
    lines.append(
        _(
            "Japanese headers are read as they are (ロット番号, 試験項目, 結果, 単位, 定性結果, 試験方法, "
            "試験日時, 試験者, 機器); --mapping NAME reads a file's own headers through a saved column "
            "mapping. Lines above the header starting with # are comments; rows with no value, "
            "text_value and tested_at are skipped."
        )
    )
    return "\n".join(lines)

"""The QC import's columns and the headers that name them: the one list the reader, the templates,
the saved column mappings and the command's help share.

A header is matched without regard to letter case or the spaces around it. Besides the column's
own name, the headers a Japanese laboratory writes are accepted as they are (ロット番号, 試験項目,
結果, 単位, 試験方法, 試験日, 試験者, 機器 ...), and a saved mapping (`QCColumnMapping`) names the
headers of one instrument's or template's export.
"""

from __future__ import annotations

COLUMNS = ("lot", "attribute", "value", "unit", "text_value", "method", "tested_at", "analyst", "instrument")
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

"""CSV exports that a spreadsheet cannot run: formula injection neutralised in every cell.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is read by Excel,
LibreOffice and Google Sheets as a formula (`=HYPERLINK(...)`, `=cmd|' /c calc'!A1`). Every CSV
evqms writes goes through `writer()`, which puts a `'` in front of such a cell (OWASP "CSV
Injection"); the spreadsheet then shows the text as typed.

One exception, on purpose: a cell that is a plain number (`-3.2`, `+1.5e3`) is left as it is.
A recovery of -3.2 % or a negative z-score must stay a number for whoever sums the column, and a
plain number cannot call anything: a spreadsheet evaluates it to itself. Anything more than a
number (`-1+2`, `-A1`, `+cmd`) is quoted. Pure Python, no Django.
"""

from __future__ import annotations

import csv
import re
from typing import Any

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def neutralise(value: Any) -> Any:
    """The cell as written: a text starting with a formula trigger gets a leading `'`."""
    if not isinstance(value, str) or not value.startswith(TRIGGERS):
        return value
    if _PLAIN_NUMBER.fullmatch(value):
        return value
    return "'" + value


class _SafeWriter:
    def __init__(self, writer):
        self._writer = writer

    def writerow(self, row):
        return self._writer.writerow([neutralise(cell) for cell in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)

    @property
    def dialect(self):
        return self._writer.dialect


def writer(out, **kwargs) -> _SafeWriter:
    """csv.writer(out, **kwargs) whose rows are neutralised cell by cell."""
    return _SafeWriter(csv.writer(out, **kwargs))

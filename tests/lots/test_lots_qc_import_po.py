"""Every message of the QC import (reading, templates, mappings, its pages) has a Japanese
translation with its placeholders intact."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import polib

SRC = Path(__file__).resolve().parents[2] / "src" / "evqms"
FILES = [
    "lots/qc_import.py",
    "lots/qc_columns.py",
    "lots/qc_template.py",
    "lots/services/qc_mappings.py",
    "lots/views/qc_import.py",
    "lots/forms.py",
    "lots/templates/lots/qc_import.html",
    "lots/templates/lots/qc_mappings.html",
]
PLACEHOLDER = re.compile(r"{\w+}|%\(\w+\)s")


def used_msgids() -> set[str]:
    ids: set[str] = set()
    for name in FILES:
        path = SRC / name
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".py":
            for node in ast.walk(ast.parse(text)):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id == "_"
                    and node.args
                    and isinstance(node.args[0], ast.Constant)
                ):
                    ids.add(node.args[0].value)
        else:
            ids.update(re.findall(r'{%\s*translate\s+"([^"]+)"', text))
            for body in re.findall(r"{%\s*blocktranslate[^%]*%}(.*?){%\s*endblocktranslate\s*%}", text, re.S):
                singular = re.split(r"{%\s*plural\s*%}", body)[0]
                ids.add(re.sub(r"{{\s*(\w+)\s*}}", r"%(\1)s", singular))
    return ids


def test_every_qc_import_message_has_a_japanese_translation():
    translated = {}
    for po in sorted((SRC / "locale" / "ja").glob("*.po")):
        for entry in polib.pofile(str(po)):
            if entry.msgstr or entry.msgstr_plural:
                translated[entry.msgid] = entry.msgstr or entry.msgstr_plural[0]
    ids = used_msgids()
    assert len(ids) > 60
    assert sorted(i for i in ids if i not in translated) == []
    for msgid in ids:
        assert set(PLACEHOLDER.findall(msgid)) == set(PLACEHOLDER.findall(translated[msgid])), msgid

"""Every message of the deviation and CAPA pages and services has a Japanese translation."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import polib

SRC = Path(__file__).resolve().parents[2] / "src" / "evqms"
PATHS = (
    SRC / "capa",
    SRC / "lots" / "services" / "deviations.py",
    SRC / "lots" / "deviation_rules.py",
    SRC / "lots" / "selectors" / "release.py",
)


def used_msgids() -> set[str]:
    ids: set[str] = set()
    files = [p for base in PATHS for p in ([base] if base.is_file() else base.rglob("*"))]
    for path in files:
        if "migrations" in path.parts:
            continue
        if path.suffix == ".py":
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id in ("_", "_both")
                    and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)
                ):
                    ids.add(node.args[0].value)
        elif path.suffix == ".html":
            text = path.read_text(encoding="utf-8")
            ids.update(re.findall(r'{%\s*translate\s+"([^"]+)"', text))
            for body in re.findall(r"{%\s*blocktranslate[^%]*%}(.*?){%\s*endblocktranslate\s*%}", text, re.S):
                ids.add(re.sub(r"{{\s*(\w+)\s*}}", r"%(\1)s", body))
    return ids


def test_every_message_has_a_japanese_translation():
    translated = {}
    for po in sorted((SRC / "locale" / "ja").glob("*.po")):
        for entry in polib.pofile(str(po)):
            if entry.msgstr:
                translated[entry.msgid] = entry.msgstr
    ids = used_msgids()
    assert len(ids) > 100
    assert sorted(i for i in ids if i not in translated) == []
    for msgid in ids:
        assert set(re.findall(r"{\w+}", msgid)) == set(re.findall(r"{\w+}", translated[msgid])), msgid

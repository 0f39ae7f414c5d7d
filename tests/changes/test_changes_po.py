"""Every message of change control (its app, the dossier's change-request page and the JSRM-2-R2
check) has a Japanese translation, with the same placeholders."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import polib

SRC = Path(__file__).resolve().parents[2] / "src" / "evqms"
FILES = [
    *(SRC / "changes").rglob("*.py"),
    *(SRC / "changes").rglob("*.html"),
    SRC / "dossier" / "views" / "change_requests.py",
    SRC / "dossier" / "templates" / "dossier" / "_change_request.html",
    SRC / "dossier" / "services" / "_versions.py",
]
BILINGUAL = re.compile(r'\bbi\(\s*"([^"]+)"')


def used_msgids() -> set[str]:
    ids: set[str] = set()
    for path in FILES:
        if "migrations" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".py":
            for node in ast.walk(ast.parse(text)):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id in ("_", "gettext_lazy")
                    and node.args
                    and isinstance(node.args[0], ast.Constant)
                ):
                    ids.add(node.args[0].value)
        else:
            ids.update(re.findall(r'{%\s*translate\s+"([^"]+)"', text))
    source = (SRC / "guidance" / "checks" / "process.py").read_text(encoding="utf-8")
    start = source.index('@check("versions_under_change_control")')
    ids.update(BILINGUAL.findall(source[start:]))
    return ids


def test_every_message_has_a_japanese_translation():
    translated = {}
    for po in sorted((SRC / "locale" / "ja").glob("*.po")):
        for entry in polib.pofile(str(po)):
            if entry.msgstr:
                translated[entry.msgid] = entry.msgstr
    ids = used_msgids()
    assert len(ids) > 80
    assert sorted(i for i in ids if i not in translated) == []
    for msgid in ids:
        assert set(re.findall(r"{\w+}", msgid)) == set(re.findall(r"{\w+}", translated[msgid])), msgid

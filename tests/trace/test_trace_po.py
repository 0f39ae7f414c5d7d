"""Every message the inventory, clinical and trace areas show has a Japanese translation in their .po files."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import polib

SRC = Path(__file__).resolve().parents[2] / "src" / "evqms"
APPS = ("inventory", "clinical", "trace")


def used_msgids() -> set[str]:
    ids: set[str] = set()
    for app in APPS:
        for path in (SRC / app).rglob("*"):
            if "migrations" in path.parts:
                continue
            if path.suffix == ".py":
                for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                    if (
                        isinstance(node, ast.Call)
                        and isinstance(node.func, ast.Name)
                        and node.func.id == "_"
                        and node.args
                        and isinstance(node.args[0], ast.Constant)
                    ):
                        ids.add(node.args[0].value)
            elif path.suffix == ".html":
                text = path.read_text(encoding="utf-8")
                ids.update(re.findall(r'{%\s*translate\s+"([^"]+)"', text))
                ids.update(re.findall(r"{%\s*translate\s+'([^']+)'", text))
                for body in re.findall(
                    r"{%\s*blocktranslate[^%]*%}(.*?){%\s*endblocktranslate\s*%}", text, re.S
                ):
                    ids.add(re.sub(r"{{\s*(\w+)\s*}}", r"%(\1)s", body))
    return ids


def test_every_message_has_a_japanese_translation():
    # The compiled catalogue merges every area's .po file: a message these areas share with another
    # area (e.g. the patient key's, translated in backup.po) may be translated there.
    translated = {}
    for po in sorted((SRC / "locale" / "ja").glob("*.po")):
        for entry in polib.pofile(str(po)):
            if entry.msgstr:
                translated[entry.msgid] = entry.msgstr
    ids = used_msgids()
    assert len(ids) > 250
    missing = sorted(i for i in ids if i not in translated)
    assert missing == []
    # placeholders survive translation
    for msgid, msgstr in translated.items():
        assert set(re.findall(r"{\w+}", msgid)) == set(re.findall(r"{\w+}", msgstr)), msgid

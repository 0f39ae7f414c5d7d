"""Every message the training area shows has a Japanese translation, placeholders intact."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import polib

SRC = Path(__file__).resolve().parents[2] / "src" / "evqms"


def used_msgids() -> set[str]:
    ids: set[str] = set()
    for path in (SRC / "training").rglob("*"):
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
            for body in re.findall(r"{%\s*blocktranslate[^%]*%}(.*?){%\s*endblocktranslate\s*%}", text, re.S):
                ids.add(re.sub(r"{{\s*(\w+)\s*}}", r"%(\1)s", body))
    return ids


def test_every_training_message_has_a_japanese_translation():
    translated = {}
    for po in sorted((SRC / "locale" / "ja").glob("*.po")):
        for entry in polib.pofile(str(po)):
            if entry.msgstr:
                translated[entry.msgid] = entry.msgstr
    ids = used_msgids()
    assert len(ids) > 100
    assert sorted(i for i in ids if i not in translated) == []
    for entry in polib.pofile(str(SRC / "locale" / "ja" / "training.po")):
        assert set(re.findall(r"{\w+}|%\(\w+\)s", entry.msgid)) == set(
            re.findall(r"{\w+}|%\(\w+\)s", entry.msgstr)
        ), entry.msgid

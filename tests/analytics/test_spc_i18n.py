"""Every message the spc and stability modules wrap in _() has a Japanese translation."""

from __future__ import annotations

import ast
from pathlib import Path

import polib
import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "evqms"
# modules that show users messages (spc_charts and spc_capability are numbers only)
MODULES = ["spc.py", "spc_rules.py", "cli/spc.py", "stability.py", "cli/stability.py"]


def wrapped_messages(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "_" and node.args
        and isinstance(node.args[0], ast.Constant)
    ]  # fmt: skip


@pytest.mark.parametrize("module", MODULES)
def test_every_message_is_translated(module):
    # the package merges every locale/ja/*.po (shared messages such as input limits live in limits.po)
    catalogue = {
        e.msgid: e.msgstr for po in (SRC / "locale" / "ja").glob("*.po") for e in polib.pofile(str(po))
    }
    messages = wrapped_messages(SRC / "analytics" / module)
    assert messages, module
    missing = [m for m in messages if not catalogue.get(m)]
    assert missing == []


def test_placeholders_survive_translation():
    import re

    for entry in polib.pofile(str(SRC / "locale" / "ja" / "analytics_spc.po")):
        assert set(re.findall(r"\{[^}]*\}", entry.msgid)) == set(re.findall(r"\{[^}]*\}", entry.msgstr)), (
            entry.msgid
        )

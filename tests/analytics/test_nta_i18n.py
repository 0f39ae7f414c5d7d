"""Every message of the NTA modules has its Japanese translation in analytics_nta.po."""

from __future__ import annotations

import ast
from pathlib import Path

import polib

import evqms

SRC = Path(evqms.__file__).resolve().parent
MODULES = ["nta.py", "nta_stats.py", "nta_nanosight.py", "nta_zetaview.py", "cli/nta.py"]


def _msgids() -> set[str]:
    ids = set()
    for name in MODULES:
        tree = ast.parse((SRC / "analytics" / name).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "_":
                assert node.args and isinstance(node.args[0], ast.Constant), f"{name}: _() of a non-literal"
                ids.add(node.args[0].value)
    return ids


def test_every_message_is_translated():
    po = polib.pofile(str(SRC / "locale" / "ja" / "analytics_nta.po"))
    assert po.metadata["Content-Type"] == "text/plain; charset=UTF-8"
    translated = {e.msgid: e.msgstr for e in po if e.msgstr and not e.obsolete}
    ids = _msgids()
    assert len(ids) > 30
    assert sorted(ids - set(translated)) == []
    # Placeholders survive translation.
    for msgid in ids:
        for part in msgid.split("{")[1:]:
            assert "{" + part.split("}")[0] + "}" in translated[msgid], msgid


def test_bilingual_labels_have_both_languages():
    from evqms.analytics import nta_nanosight
    from evqms.analytics.cli import nta as cli_nta

    for table in (cli_nta.LABELS, nta_nanosight._WORDS):
        for key, text in table.items():
            assert text.get("en") and text.get("ja"), key

"""Every message the landscape package wraps has a Japanese translation with the same placeholders."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import polib
import pytest

import evqms.landscape

# Messages are asserted in English (the Japanese catalogue is checked on its own).
pytestmark = pytest.mark.usefixtures("english_messages")

PACKAGE = Path(evqms.landscape.__file__).parent
PO = PACKAGE.parent / "locale" / "ja" / "landscape.po"


def wrapped_messages() -> set[str]:
    found = set()
    for path in [*PACKAGE.glob("*.py"), *PACKAGE.glob("cli/*.py")]:
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "_":
                assert isinstance(node.args[0], ast.Constant), f"{path.name}: _() of a non-literal"
                found.add(node.args[0].value)
    return found


def test_every_message_translated():
    catalogue = {e.msgid: e.msgstr for e in polib.pofile(str(PO))}
    assert PO.read_text("utf-8").count('"Content-Type: text/plain; charset=UTF-8\\n"') == 1
    messages = wrapped_messages()
    assert len(messages) > 100
    missing = sorted(m for m in messages if not catalogue.get(m))
    assert missing == []
    for message in messages:
        assert set(re.findall(r"\{\w+\}", message)) == set(re.findall(r"\{\w+\}", catalogue[message])), (
            message
        )


def test_catalogue_compiles_and_translates(tmp_path):
    import gettext

    mo = tmp_path / "landscape.mo"
    polib.pofile(str(PO)).save_as_mofile(str(mo))
    with open(mo, "rb") as fh:
        ja = gettext.GNUTranslations(fh)
    assert ja.gettext("the page does not mention exosomes") == "ページにエクソソームの記載がない"
    assert ja.gettext("included") == "対象"

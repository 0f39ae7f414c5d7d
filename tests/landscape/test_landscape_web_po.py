"""Every message of the landscape web app (gettext calls, templates) has a Japanese translation,
and landscape_web.po agrees with the other catalogues on shared msgids."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import polib

import evqms.landscape

PACKAGE = Path(evqms.landscape.__file__).parent
LOCALE = PACKAGE.parent / "locale" / "ja"
PO = LOCALE / "landscape_web.po"
WEB_MODULES = (
    "api.py",
    "apps.py",
    "models.py",
    "services.py",
    "db_store.py",
    "selectors.py",
    "views.py",
    "demo.py",
    "cli/__init__.py",
    "cli/trials.py",
    "cli/pubmed.py",
    "cli/clinics.py",
)


def messages() -> set[str]:
    found = set()
    for name in WEB_MODULES:
        for node in ast.walk(ast.parse((PACKAGE / name).read_text("utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("gettext", "gettext_lazy")
            ):
                found.add(node.args[0].value)
    for template in (PACKAGE / "templates").rglob("*.html"):
        text = template.read_text("utf-8")
        found |= set(re.findall(r'{%\s*translate\s+"([^"]+)"', text))
        found |= set(re.findall(r"{%\s*translate\s+'([^']+)'", text))
        for block in re.findall(r"{%\s*blocktranslate[^%]*%}(.*?){%\s*endblocktranslate\s*%}", text, re.S):
            found.add(re.sub(r"{{\s*(\w+)\s*}}", r"%(\1)s", block))
    return found


def catalogue() -> dict[str, str]:
    merged = {}
    for po in sorted(LOCALE.glob("*.po")):
        for entry in polib.pofile(str(po)):
            if entry.msgstr and not entry.obsolete:
                merged.setdefault(entry.msgid, entry.msgstr)
    return merged


def test_every_web_message_has_japanese():
    known = catalogue()
    found = messages()
    assert len(found) > 80
    assert sorted(m for m in found if not known.get(m)) == []
    for message in found:
        assert set(re.findall(r"\{\w+\}|%\(\w+\)s", message)) == set(
            re.findall(r"\{\w+\}|%\(\w+\)s", known[message])
        )


def test_no_msgid_translated_differently():
    ours = {e.msgid: e.msgstr for e in polib.pofile(str(PO))}
    assert PO.read_text("utf-8").count('"Content-Type: text/plain; charset=UTF-8\\n"') == 1
    for po in LOCALE.glob("*.po"):
        if po == PO:
            continue
        for entry in polib.pofile(str(po)):
            if entry.msgid in ours and entry.msgstr:
                assert ours[entry.msgid] == entry.msgstr, (po.name, entry.msgid)

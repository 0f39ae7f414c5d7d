"""Compile the Japanese catalogue: merge every `locale/ja/*.po` into `LC_MESSAGES/django.mo`.

Each package keeps its own `.po` file (`locale/ja/<package>.po`) so that work on one package
never collides with another; polib compiles them, so no GNU gettext is needed on the machine.
Run as `python -m evqms.localebuild`; `make` does it at install.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polib

LOCALE_DIR = Path(__file__).resolve().parent / "locale"


def merged_catalogue(lang: str = "ja") -> polib.POFile:
    merged = polib.POFile()
    merged.metadata = {
        "Content-Type": "text/plain; charset=UTF-8",
        "Language": lang,
        "Plural-Forms": "nplurals=1; plural=0;",
    }
    seen: dict[str, tuple[str, str]] = {}
    for po_path in sorted((LOCALE_DIR / lang).glob("*.po")):
        for entry in polib.pofile(str(po_path)):
            if not entry.msgstr or entry.obsolete:
                continue
            key = (entry.msgctxt or "") + "\x04" + entry.msgid
            if key in seen and seen[key][1] != entry.msgstr:
                raise SystemExit(
                    f"{po_path.name}: msgid {entry.msgid!r} is translated differently in {seen[key][0]}"
                )
            if key not in seen:
                seen[key] = (po_path.name, entry.msgstr)
                merged.append(entry)
    return merged


def build(lang: str = "ja") -> Path:
    out_dir = LOCALE_DIR / lang / "LC_MESSAGES"
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / "django.mo"
    merged_catalogue(lang).save_as_mofile(str(out))
    return out


if __name__ == "__main__":
    path = build(sys.argv[1] if len(sys.argv) > 1 else "ja")
    print(f"compiled {path}")

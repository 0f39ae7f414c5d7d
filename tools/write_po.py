"""Write or update a locale/ja/<area>.po from a {msgid: msgstr} JSON/YAML mapping (developer tool)."""

import json
import sys
from pathlib import Path

import polib


def write(area: str, mapping: dict[str, str]) -> Path:
    path = Path(__file__).resolve().parents[1] / "src" / "evqms" / "locale" / "ja" / f"{area}.po"
    po = polib.pofile(str(path)) if path.exists() else polib.POFile()
    po.metadata = {
        "Content-Type": "text/plain; charset=UTF-8",
        "Language": "ja",
        "Project-Id-Version": f"evqms {area}",
        "MIME-Version": "1.0",
        "Content-Transfer-Encoding": "8bit",
    }
    existing = {e.msgid: e for e in po}
    for msgid, msgstr in mapping.items():
        if msgid in existing:
            existing[msgid].msgstr = msgstr
        else:
            po.append(polib.POEntry(msgid=msgid, msgstr=msgstr))
    path.parent.mkdir(parents=True, exist_ok=True)
    po.save(str(path))
    return path


if __name__ == "__main__":
    area, source = sys.argv[1], sys.argv[2]
    print(write(area, json.loads(Path(source).read_text(encoding="utf-8"))))

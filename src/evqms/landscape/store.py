"""File-based snapshot store of the landscape monitor, under $EVQMS_HOME/landscape/.

Each ingest is a folder `trials/ingests/<id>/` holding the raw inputs unchanged (`raw/`), the
normalised records (`records.jsonl`) and `ingest.json` (date, source, query, sha256 of every raw
input, problems). The folder is built under a temporary name and renamed into place, so an
ingest is either wholly there or not at all. A report "as of" a date reads the ingests dated on
or before it, the latest record of each trial winning. The Django app can later implement the
same small interface (`add_ingest`, `ingests`, `records_as_of`, overrides) on the database.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evqms.cliutil import atomic_write
from evqms.errors import InputError, location
from evqms.i18n import _

_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def landscape_home() -> Path:
    """$EVQMS_HOME/landscape, default ./var/landscape."""
    return Path(os.environ.get("EVQMS_HOME") or "var") / "landscape"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def parse_date(text: str, where: str = "--as-of") -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except (TypeError, ValueError):
        raise InputError(_("not a date (YYYY-MM-DD): {value}").format(value=text), where=where) from None


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class RawInput:
    name: str  # the file name or URL it came from
    data: bytes


class TrialStore:
    """Ingests of normalised trial records, each dated; read back as of a date."""

    def __init__(self, root: str | os.PathLike | None = None):
        self.root = Path(root) if root else landscape_home() / "trials"
        self.ingest_dir = self.root / "ingests"

    def add_ingest(
        self,
        *,
        as_of: dt.date,
        source: str,
        query: str | None,
        raw_inputs: list[RawInput],
        trials: list[dict[str, Any]],
        problems: list[str],
    ) -> dict[str, Any]:
        now = utc_now()
        digest = sha256(b"".join(sha256(r.data).encode() for r in raw_inputs))
        ingest_id = f"{as_of.isoformat()}_{now:%Y%m%dT%H%M%S%f}_{digest[:8]}"
        self.ingest_dir.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=self.ingest_dir))
        try:
            (tmp / "raw").mkdir()
            inputs = []
            for n, raw in enumerate(raw_inputs, start=1):
                stored = f"{n:04d}_{_SAFE.sub('_', Path(raw.name).name or 'input')[-80:]}"
                (tmp / "raw" / stored).write_bytes(raw.data)
                inputs.append(
                    {
                        "name": raw.name,
                        "stored": f"raw/{stored}",
                        "sha256": sha256(raw.data),
                        "bytes": len(raw.data),
                    }
                )
            with open(tmp / "records.jsonl", "w", encoding="utf-8") as fh:
                for trial in trials:
                    fh.write(json.dumps(trial, ensure_ascii=False, sort_keys=True) + "\n")
            manifest = {
                "id": ingest_id,
                "as_of": as_of.isoformat(),
                "ingested_at": now.isoformat(timespec="seconds"),
                "source": source,
                "query": query,
                "inputs": inputs,
                "records": len(trials),
                "problems": problems,
            }
            (tmp / "ingest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), "utf-8")
            os.replace(tmp, self.ingest_dir / ingest_id)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return manifest

    def ingests(self) -> list[dict[str, Any]]:
        """Every complete ingest, oldest first (by date, then by when it was made)."""
        found = []
        if self.ingest_dir.is_dir():
            for folder in self.ingest_dir.iterdir():
                path = folder / "ingest.json"
                if folder.name.startswith(".") or not path.is_file():
                    continue
                try:
                    found.append(json.loads(path.read_text("utf-8")))
                except json.JSONDecodeError as exc:
                    raise InputError(
                        _("damaged ingest record: {reason}").format(reason=exc.msg),
                        where=location(file=str(path), line=exc.lineno),
                    ) from None
        return sorted(found, key=lambda m: (m["as_of"], m["ingested_at"], m["id"]))

    def records(self, ingest: dict[str, Any]) -> list[dict[str, Any]]:
        path = self.ingest_dir / ingest["id"] / "records.jsonl"
        with open(path, encoding="utf-8") as fh:
            return [json.loads(line) for line in fh if line.strip()]

    def records_as_of(self, date: dt.date) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """(trials as they were on `date`, the ingests they come from)."""
        latest: dict[str, dict[str, Any]] = {}
        used: dict[str, dict[str, Any]] = {}
        for ingest in self.ingests():
            if ingest["as_of"] > date.isoformat():
                continue
            for trial in self.records(ingest):
                latest[trial["nct_id"]] = trial
                used[trial["nct_id"]] = ingest
        sources = {i["id"]: i for i in used.values()}
        return [latest[k] for k in sorted(latest)], sorted(sources.values(), key=lambda m: m["id"])

    # Manual classification overrides: an append-only log; the latest one per trial dated on or
    # before the report date applies.
    @property
    def overrides_path(self) -> Path:
        return self.root / "overrides.jsonl"

    def overrides(self) -> list[dict[str, Any]]:
        path = self.overrides_path
        if not path.is_file():
            return []
        rows = []
        for n, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise InputError(
                    _("malformed JSON: {reason}").format(reason=exc.msg),
                    where=location(file=str(path), line=n),
                ) from None
        return rows

    def add_override(self, override: dict[str, Any]) -> None:
        existing = self.overrides_path.read_text("utf-8") if self.overrides_path.is_file() else ""
        line = json.dumps(override, ensure_ascii=False, sort_keys=True) + "\n"
        atomic_write(self.overrides_path, existing + line)

    def overrides_as_of(self, date: dt.date) -> dict[str, dict[str, Any]]:
        chosen: dict[str, dict[str, Any]] = {}
        for row in self.overrides():
            if row["when"][:10] <= date.isoformat():
                chosen[row["nct_id"]] = row
        return chosen

"""What the compliance page needs of a stored assessment, small enough to read on every view, and
written with it (models.AssessmentOverview):

- `shown`: the findings with each item's reasons, evidence references and next steps cut to the
  first REASONS_SHOWN, and their full lengths. The findings are 7 MB at 1,000 lots.
- `record_fingerprints`: a short hash of each evidence record of the snapshot, per section. Two
  assessments' records that changed are found from these, without reading either snapshot (13 MB
  each at 1,000 lots, 130 MB at 10,000).

Pure: no database, no Django.
"""

from __future__ import annotations

import hashlib
import json

from evqms.guidance.report import REASONS_SHOWN

LISTED = ("reasons", "evidence", "next_steps")
_KEYS = ("id", "version")  # what names a record in a section's list


def shown(findings: dict) -> dict:
    """Every item with its first REASONS_SHOWN reasons, evidence references and next steps (and
    `reasons_total`, `evidence_total`, `next_steps_total`), the summary and the rule set."""
    items = []
    for item in findings.get("items", []):
        kept = {k: v for k, v in item.items() if k not in LISTED}
        for k in LISTED:
            entries = item.get(k) or []
            kept[k] = entries[:REASONS_SHOWN]
            kept[f"{k}_total"] = len(entries)
        items.append(kept)
    return {"items": items, "summary": findings.get("summary", {}), "ruleset": findings.get("ruleset", {})}


def records(section) -> dict[str, object]:
    """A snapshot section's records by key: a list's rows by id (or version, or position), a dict of
    lists by "list name/key", anything else as one record."""
    if isinstance(section, list):
        out = {}
        for i, row in enumerate(section):
            key = next((str(row[k]) for k in _KEYS if isinstance(row, dict) and k in row), str(i))
            out[key] = row
        return out
    if isinstance(section, dict) and section and all(isinstance(v, list) for v in section.values()):
        out = {}
        for name, rows in section.items():  # studies: {potency_assays: [...], ...}
            out.update({f"{name}/{k}": v for k, v in records(rows).items()})
        return out
    if section is None:
        return {}
    return {"": section}


def records_by_section(snapshot: dict) -> dict[str, dict[str, object]]:
    """Every section's records by key; the snapshot's date is not a record."""
    return {section: records(rows) for section, rows in snapshot.items() if section != "as_of"}


def changed_between(old_snapshot: dict, new_snapshot: dict) -> tuple[tuple[str, str, str], ...]:
    """`changed` of two whole snapshots, record by record."""
    return changed(records_by_section(old_snapshot), records_by_section(new_snapshot))


def record_fingerprints(snapshot: dict) -> dict[str, dict[str, str]]:
    """Each record as a 64-bit hash of its JSON with sorted keys: equal records hash alike."""
    return {
        section: {key: _fingerprint(row) for key, row in rows.items()}
        for section, rows in records_by_section(snapshot).items()
    }


def _fingerprint(row) -> str:
    text = json.dumps(row, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def changed(old: dict[str, dict], new: dict[str, dict]) -> tuple[tuple[str, str, str], ...]:
    """(section, record, added/removed/changed) between two snapshots' records by section, in
    section then record order; the records may be the rows themselves or their fingerprints."""
    out = []
    for section in sorted(set(old) | set(new)):
        a, b = old.get(section, {}), new.get(section, {})
        for key in sorted(set(a) | set(b)):
            if key not in a:
                out.append((section, key, "added"))
            elif key not in b:
                out.append((section, key, "removed"))
            elif a[key] != b[key]:
                out.append((section, key, "changed"))
    return tuple(out)

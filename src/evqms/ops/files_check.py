"""Check the kept originals on disk against the SHA-256 recorded when they were stored.

Every imported or uploaded file is kept unchanged under MEDIA_ROOT with its hash in the row that
owns it. Nothing else notices when such a file is later edited or deleted on disk, or when a file
saved inside a transaction that rolled back stays behind referenced by no row; this module does.

ORIGINALS lists every place an original is recorded, one line each. A new FileField in an evqms
model must be added there or to UNHASHED with the reason (a test enforces it). Reads only: one
query per registry line, files hashed in chunks so memory stays flat for big files.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import string
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from evqms.errors import InputError
from evqms.i18n import _

CHUNK = 1 << 20  # 1 MiB per read

# (stored path, recorded sha256) pairs of one row.
Expand = Callable[[object, object], list[tuple[str, str]]]


def _one_file(path, digest) -> list[tuple[str, str]]:
    """A file field (or a path column) and its hash column: one original, or none when both blank."""
    path, digest = str(path or ""), str(digest or "")
    return [(path, digest)] if path or digest else []


def _ingest_inputs(raw_path, inputs) -> list[tuple[str, str]]:
    """A landscape ingest keeps each raw input in its folder: inputs = [{stored, sha256, ...}]."""
    if not isinstance(inputs, list):
        return [(str(raw_path or ""), "")]
    return [
        (posixpath.join(str(raw_path or ""), str(item.get("stored") or "")), str(item.get("sha256") or ""))
        for item in inputs
        if isinstance(item, dict)
    ]


def _qc_import_original(after, _same) -> list[tuple[str, str]]:
    """A QC-results import keeps its file as imports/...; only its audit event records it."""
    try:
        data = json.loads(after or "{}")
    except ValueError:
        return []
    if not isinstance(data, dict) or not data.get("stored_as"):
        return []
    return [(str(data["stored_as"]), str(data.get("sha256") or ""))]


@dataclass(frozen=True)
class Original:
    """One place an original is recorded: `path` (a FileField or a path column relative to
    MEDIA_ROOT) and `sha256` (its recorded hash) on `model`; `code` formats the record's natural
    code from its columns (relations allowed: "{lot__number}"); `label` is English, shown via _()."""

    model: str
    path: str
    sha256: str
    label: str
    code: str = "{pk}"
    filter: dict = field(default_factory=dict)
    expand: Expand = _one_file

    def code_fields(self) -> list[str]:
        return [name for _t, name, _f, _c in string.Formatter().parse(self.code) if name and name != "pk"]


ORIGINALS: tuple[Original, ...] = (
    Original("lots.QCResult", "raw_file", "raw_file_sha256", "QC result", "{lot__number} {attribute__code}"),
    Original("lots.MethodSuitability", "report", "report_sha256", "method suitability report", "{number}"),
    Original("dossier.Document", "file", "sha256", "document", "{code} v{version}"),
    Original(
        "equipment.CalibrationRecord",
        "certificate",
        "certificate_sha256",
        "calibration certificate",
        "{instrument__identifier} {performed_on}",
    ),
    Original(
        "training.TrainingRecord",
        "evidence",
        "evidence_sha256",
        "training evidence",
        "{person__username} {document__code} v{document__version}",
    ),
    Original("studies.NTAImport", "file", "sha256", "NTA import", "{lot__number} {original_name}"),
    Original("studies.PotencyRun", "plate_file", "sha256", "potency run", "{test_lot__number} {assay__name}"),
    Original("landscape.Ingest", "raw_path", "inputs", "trial ingest", "{key}", expand=_ingest_inputs),
    Original(
        "landscape.ClinicSurveyRun", "raw_path", "sha256", "clinic survey", "{surveyed_on} {input_name}"
    ),
    Original(
        "audit.AuditEvent",
        "after",
        "after",
        "QC results import",
        "#{seq} {action}",
        filter={"object_type": "qc_import"},
        expand=_qc_import_original,
    ),
)

# FileFields of evqms models deliberately not checked: ("app.Model", "field") -> why.
UNHASHED: dict[tuple[str, str], str] = {}


def labels() -> dict[str, str]:
    """The registry's record names in the user's language (literal msgids, so the .po test sees them)."""
    return {
        "QC result": _("QC result"),
        "method suitability report": _("method suitability report"),
        "document": _("document"),
        "calibration certificate": _("calibration certificate"),
        "training evidence": _("training evidence"),
        "NTA import": _("NTA import"),
        "potency run": _("potency run"),
        "trial ingest": _("trial ingest"),
        "clinic survey": _("clinic survey"),
        "QC results import": _("QC results import"),
    }


@dataclass
class StoredFile:
    model: str
    label: str
    pk: object
    code: str
    path: str
    expected: str
    actual: str | None = None  # None: the file is not there

    @property
    def status(self) -> str:
        if self.actual is None:
            return "missing"
        return "ok" if self.actual == self.expected else "altered"

    def as_dict(self) -> dict:
        data = {
            "model": self.model,
            "record": self.label,
            "id": self.pk,
            "code": self.code,
            "path": self.path,
            "expected_sha256": self.expected,
        }
        if self.actual is not None:
            data["actual_sha256"] = self.actual
        return data


@dataclass
class Orphan:
    path: str
    bytes: int

    def as_dict(self) -> dict:
        return {"path": self.path, "bytes": self.bytes}


@dataclass
class Verification:
    media_root: str
    files: list[StoredFile]
    orphans: list[Orphan] | None  # None: not looked for

    def of(self, status: str) -> list[StoredFile]:
        return [f for f in self.files if f.status == status]

    @property
    def ok(self) -> bool:
        return not self.of("altered") and not self.of("missing") and not self.orphans

    def as_dict(self) -> dict:
        return {
            "checked": len(self.files),
            "ok": len(self.of("ok")),
            "altered": [f.as_dict() for f in self.of("altered")],
            "missing": [f.as_dict() for f in self.of("missing")],
            "orphans": [o.as_dict() for o in self.orphans or []],
        }


def _model(label: str):
    from django.apps import apps

    return apps.get_model(label)


def select(models: Iterable[str] | None = None) -> tuple[Original, ...]:
    """The registry lines for the given model labels (all when none); an unknown label is bad input."""
    if not models:
        return ORIGINALS
    known = {o.model.lower(): o.model for o in ORIGINALS}
    wanted = set()
    for name in models:
        if name.lower() not in known:
            raise InputError(
                _("no kept originals are recorded on {model}; choose from {known}").format(
                    model=name, known=", ".join(o.model for o in ORIGINALS)
                ),
                where="--model",
            )
        wanted.add(known[name.lower()])
    return tuple(o for o in ORIGINALS if o.model in wanted)


def references(originals: Iterable[Original] = ORIGINALS) -> Iterator[StoredFile]:
    """Every (record, stored file, recorded hash), one query per registry line."""
    names = labels()
    for original in originals:
        fields = original.code_fields()
        columns = ["pk", original.path, original.sha256, *fields]
        rows = (
            _model(original.model)
            .objects.filter(**original.filter)
            .order_by("pk")
            .values_list(*columns)
            .iterator(chunk_size=2000)
        )
        for pk, path, digest, *values in rows:
            code = original.code.format(
                pk=pk, **{f: "" if v is None else v for f, v in zip(fields, values, strict=True)}
            )
            for stored, expected in original.expand(path, digest):
                yield StoredFile(
                    model=original.model,
                    label=names.get(original.label, original.label),
                    pk=pk,
                    code=code.strip(),
                    path=stored,
                    expected=expected.lower(),
                )


def file_sha256(storage, name: str) -> str | None:
    """The file's SHA-256, read in chunks; None when it is not there (or not a file in storage)."""
    from django.core.exceptions import SuspiciousFileOperation

    if not name:
        return None
    digest = hashlib.sha256()
    try:
        with storage.open(name, "rb") as fh:
            for chunk in iter(lambda: fh.read(CHUNK), b""):
                digest.update(chunk)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError, SuspiciousFileOperation):
        return None
    return digest.hexdigest()


def _key(name: str) -> str:
    return posixpath.normpath(name.replace("\\", "/")).lstrip("/")


def orphans(media_root: Path, referenced: set[str]) -> list[Orphan]:
    """Files under MEDIA_ROOT that no row refers to."""
    found = []
    for folder, _dirs, files in os.walk(media_root):
        for name in files:
            full = Path(folder) / name
            relative = full.relative_to(media_root).as_posix()
            if relative not in referenced:
                found.append(Orphan(relative, full.stat().st_size))
    return sorted(found, key=lambda o: o.path)


def verify_files(*, with_orphans: bool = False, models: Iterable[str] | None = None) -> Verification:
    """Recompute each kept original's SHA-256 (each distinct file read once) and, if asked, list
    the files under MEDIA_ROOT that no row refers to (always against every registry line)."""
    from django.conf import settings
    from django.core.files.storage import default_storage

    chosen = select(models)
    files = list(references(chosen))
    digests: dict[str, str | None] = {}
    for f in files:
        key = _key(f.path)
        if key not in digests:
            digests[key] = file_sha256(default_storage, f.path)
        f.actual = digests[key]
    found = None
    if with_orphans:
        all_files = files if chosen == ORIGINALS else list(references(ORIGINALS))
        found = orphans(Path(settings.MEDIA_ROOT), {_key(f.path) for f in all_files})
    return Verification(media_root=str(settings.MEDIA_ROOT), files=files, orphans=found)


@dataclass
class Removal:
    removed: list[Orphan]
    kept_recent: list[Orphan]  # younger than the grace period: maybe an upload not yet committed
    event_seq: int | None

    def as_dict(self) -> dict:
        return {
            "removed": [o.as_dict() for o in self.removed],
            "kept_recent": [o.as_dict() for o in self.kept_recent],
            "audit_event": self.event_seq,
        }


def remove_orphans(found: list[Orphan], *, grace_minutes: int = 60, operator: str = "") -> Removal:
    """Delete orphan files older than `grace_minutes` (a younger one may belong to an upload whose
    transaction has not committed yet), then folders left empty, with one audit event listing each
    file (path, size, SHA-256). The event is written first, in the transaction that deletes: a
    deletion that fails rolls the event back."""
    import time

    from django.conf import settings
    from django.db import transaction

    from evqms.audit.services import record_event

    root = Path(settings.MEDIA_ROOT)
    cutoff = time.time() - grace_minutes * 60
    old, recent = [], []
    for orphan in found:
        full = root / orphan.path
        try:
            (old if full.stat().st_mtime <= cutoff else recent).append(orphan)
        except FileNotFoundError:
            continue
    if not old:
        return Removal([], recent, None)
    listed = []
    for orphan in old:
        digest = hashlib.sha256()
        with open(root / orphan.path, "rb") as fh:
            for chunk in iter(lambda: fh.read(CHUNK), b""):
                digest.update(chunk)
        listed.append({"path": orphan.path, "bytes": orphan.bytes, "sha256": digest.hexdigest()})
    with transaction.atomic():
        event = record_event(
            actor=None,
            action="files.orphans_removed",
            object_type="media_root",
            object_id="orphans",
            before={"files": listed},
            after={"removed": len(listed)},
            reason=f"evqms files verify --orphans --remove (by {operator or 'unknown'})",
        )
        folders = set()
        for orphan in old:
            full = root / orphan.path
            full.unlink(missing_ok=True)
            folders.update(p for p in full.parents if root in p.parents)
        for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
            try:
                folder.rmdir()  # only when empty
            except OSError:
                pass
    return Removal(old, recent, event.seq)

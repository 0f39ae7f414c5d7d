"""Kept originals written by a service, removed again when the service fails.

A FileField's `save()` writes the file at once, outside the database transaction: when the
service then refuses (a 409, a bad figure) the rows roll back and the file stayed behind, an
orphan no row refers to. A service that keeps a file decorates itself with `@removed_on_error`
(outside `@transaction.atomic`) and saves through `save()`: when the service raises, every file
it saved (and any service it called saved) is deleted. Nested services hand their files to the
outer one, so a later failure of the outer service removes them too.

What this cannot see (a caller rolling back after the service returned, a killed process) is
found by `evqms files verify --orphans` and removed, audited, with `--remove`.
"""

from __future__ import annotations

import functools
import re
import threading
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from evqms.core import limits
from evqms.core.canonical import sha256_hex
from evqms.errors import InputError
from evqms.i18n import _

_local = threading.local()


def _frames() -> list[list]:
    if not hasattr(_local, "frames"):
        _local.frames = []
    return _local.frames


def save(field_file, name: str, data: bytes) -> str:
    """Save `data` into `field_file` (no model save); its size is checked against
    EVQMS_UPLOAD_LIMIT_MB; the enclosing `@removed_on_error` service deletes it if it fails."""
    limits.check_size(len(data), name=name)
    field_file.save(name, ContentFile(data), save=False)
    frames = _frames()
    if frames:
        frames[-1].append((field_file.storage, field_file.name))
    return field_file.name


@dataclass(frozen=True)
class Kept:
    """An original kept unchanged: where it is stored, the name it came with, its hash and size."""

    name: str
    original_name: str
    sha256: str
    size: int


_UNSAFE = re.compile(r"[^\w.\-]+")


def original_name(filename: str, default: str = "original") -> str:
    """The file's own name without any folder a browser or a path put in front of it."""
    return filename.replace("\\", "/").rsplit("/", 1)[-1].strip() or default


def keep(field_file, filename: str, data: bytes, *, stored_as: str | None = None) -> Kept:
    """The one way a service keeps an original on a record's FileField: the size checked, the
    sha256 taken of exactly these bytes, the file written through `save()` (so a refused service
    leaves none). `stored_as` names the stored file (made safe); else the original name."""
    own = original_name(filename)
    safe = _UNSAFE.sub("_", stored_as or own)[:150]
    name = save(field_file, safe, data)
    return Kept(name=name, original_name=own, sha256=sha256_hex(data), size=len(data))


def keep_attached(field_file, attachment: tuple[str, bytes] | None, *, where: str) -> Kept | None:
    """An optional file a person attaches to a record (a training's evidence, a suitability report):
    None when none was given, an empty one refused on the form field `where`, else kept as `keep`
    keeps it."""
    if attachment is None:
        return None
    name, data = attachment
    if not data:
        raise InputError(_("the file is empty"), where=where)
    return keep(field_file, name, data)


def keep_import(filename: str, data: bytes, folder: str = "imports") -> Kept:
    """Keep an imported file that belongs to no single record (a QC results sheet) as
    <folder>/<sha256 prefix>-<name>, kept also when the import is refused (the refusal is audited
    with its hash); the same bytes imported twice are stored once."""
    limits.check_size(len(data), name=filename)
    digest = sha256_hex(data)
    own = original_name(filename, "import")
    name = f"{folder}/{digest[:16]}-{_UNSAFE.sub('_', own)[:120]}"
    if default_storage.exists(name):
        with default_storage.open(name, "rb") as fh:
            if sha256_hex(fh.read()) == digest:
                return Kept(name=name, original_name=own, sha256=digest, size=len(data))
    stored = default_storage.save(name, ContentFile(data))
    return Kept(name=stored, original_name=own, sha256=digest, size=len(data))


def removed_on_error(func):
    """Decorator: the files `save()` wrote during the call are deleted when it raises."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        frames = _frames()
        frames.append([])
        try:
            result = func(*args, **kwargs)
        except BaseException:
            for storage, name in frames.pop():
                try:
                    storage.delete(name)
                except OSError:  # already gone, or unreadable: files verify --orphans reports it
                    pass
            raise
        written = frames.pop()
        if frames:  # an outer service: its failure must remove these too
            frames[-1].extend(written)
        return result

    return wrapper

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
import threading

from django.core.files.base import ContentFile

from evqms.core import limits

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

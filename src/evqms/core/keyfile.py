"""Key files in EVQMS_HOME (the local secret key, the patient pseudonym key, the audit checkpoint
key): made once, mode 600, never overwritten, and never seen half-written.

A new key is written whole to a temporary file and then linked to its name; the link fails when
the name exists, so two processes making the key at the same moment both end up using the one
that was linked first, and a process reading at that moment finds no file or the whole key,
never an empty one it would take for a key. Pure Python: settings.py uses it.
"""

from __future__ import annotations

import errno
import os
import secrets
import tempfile
from collections.abc import Callable
from pathlib import Path

from evqms.errors import RuleViolation
from evqms.i18n import _


class DamagedKey(RuleViolation):
    """The key file exists but holds no key (an interrupted write, an emptied file)."""


def new_hex_key() -> str:
    return secrets.token_hex(32)


def read(path: Path) -> str | None:
    """The key's text, or None when there is no key file; DamagedKey when it is empty."""
    try:
        text = Path(path).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    if not text:
        raise DamagedKey(
            _(
                "the key file {path} is empty: it is not used as a key. Restore it from the backup "
                "(evqms restore); remove it only if nothing was ever made with it."
            ).format(path=path)
        )
    return text


def read_or_create(
    path: Path, *, make: Callable[[], str] = new_hex_key, before_create: Callable[[Path], None] | None = None
) -> str:
    """The key's text, made on first use. `before_create(path)` runs before a new key is made and
    may refuse (a lost key must not be replaced silently where records depend on it)."""
    path = Path(path)
    text = read(path)
    if text is not None:
        return text
    if before_create is not None:
        before_create(path)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")  # mode 600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(make() + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process linked its key first: use theirs
        except OSError as exc:  # a file system without hard links
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP):
                raise
            _create_exclusive(path, Path(tmp).read_text(encoding="utf-8"))
    finally:
        os.unlink(tmp)
    return read(path)


def _create_exclusive(path: Path, text: str) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())

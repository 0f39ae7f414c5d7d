"""Helpers every `evqms` sub-command uses: output, atomic files, JSON (no Django imports)."""

from __future__ import annotations

import json
import math
import os
import sys
import tempfile
from pathlib import Path
from typing import Any


def _clean(value: Any) -> Any:
    """JSON has no NaN or infinity: a number that is not finite is written as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return _clean(value.item())
    return value


def to_json(value: Any, *, indent: int | None = 2) -> str:
    return json.dumps(_clean(value), ensure_ascii=False, indent=indent, default=str)


def atomic_write(path: str | os.PathLike, data: str | bytes) -> None:
    """Write the whole file or nothing: a temporary file in the same folder, then a rename."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    mode = "wb" if isinstance(data, bytes) else "w"
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, mode, **({} if isinstance(data, bytes) else {"encoding": "utf-8"})) as fh:
            fh.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def emit(data: str | bytes, output: str | None = None) -> None:
    """Print to stdout, or write atomically to `output` when given."""
    if output:
        atomic_write(output, data)
        return
    if isinstance(data, bytes):
        sys.stdout.buffer.write(data)
    else:
        sys.stdout.write(data if data.endswith("\n") else data + "\n")


def read_bytes(path: str | os.PathLike) -> bytes:
    """Read an input file: 'not found', 'is a folder' and 'larger than EVQMS_UPLOAD_LIMIT_MB'
    are InputErrors naming it (evqms.core.limits)."""
    from evqms.core.limits import read_file

    return read_file(path)

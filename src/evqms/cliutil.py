"""Helpers every `evqms` sub-command uses: output, atomic files, JSON (no Django imports)."""

from __future__ import annotations

import json
import math
import os
import sys
import tempfile
from collections.abc import Iterable, Iterator
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


def json_chunks(value: Any, *, indent: int | None = 2) -> Iterator[str]:
    """`to_json`'s text in pieces, for output too large to hold as one text (with `emit_chunks`)."""
    return json.JSONEncoder(ensure_ascii=False, indent=indent, default=str).iterencode(_clean(value))


def atomic_write(path: str | os.PathLike, data: str | bytes | Iterable[str]) -> None:
    """Write the whole file or nothing: a temporary file in the same folder, then a rename. `data`
    may be a text in pieces (an iterable of str), written as they come."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    mode = "wb" if isinstance(data, bytes) else "w"
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, mode, **({} if isinstance(data, bytes) else {"encoding": "utf-8"})) as fh:
            if isinstance(data, (str, bytes)):
                fh.write(data)
            else:
                fh.writelines(data)
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


def emit_chunks(chunks: Iterable[str], output: str | None = None) -> None:
    """`emit` of a text given in pieces, never held whole: to standard output as they come, or
    to `output` through a temporary file renamed at the end (the whole file or nothing)."""
    if not output:
        last = ""
        for last in chunks:
            sys.stdout.write(last)
        if not last.endswith("\n"):
            sys.stdout.write("\n")
        return
    atomic_write(output, chunks)


def read_bytes(path: str | os.PathLike) -> bytes:
    """Read an input file: 'not found', 'is a folder' and 'larger than EVQMS_UPLOAD_LIMIT_MB'
    are InputErrors naming it (evqms.core.limits)."""
    from evqms.core.limits import read_file

    return read_file(path)

"""Fuzzing the importers: hostile variants of a real file, a hypothesis strategy that mutates it,
and the contract every `evqms` importer keeps on any input.

The contract (docs/DEVELOPING: errors): exit code 0, 1 or 2; never a traceback (an exception
escaping `main`); on 2, exactly one line on stderr, `evqms: error: FILE...: reason`; and never a
hang: each run is stopped by an alarm after `seconds`.
"""

from __future__ import annotations

import codecs
import contextlib
import signal

from hypothesis import strategies as st

KB = 1024


def hostile_blocks(kind: str) -> list[bytes]:
    """Shapes that broke parsers before they were bounded, kept small enough for the test suite."""
    blocks = [
        b"\x00",
        b"\x00" * 64,
        b"\r",
        b"\xff\xfe",
        b"\xfe\xff",
        b'"',
        b"9" * 5000,
        b"1e999",
        b"NaN",
        b"-Infinity",
        "療法\u202e".encode(),
        b"\xe9\xe8",
    ]
    if kind == "csv":
        blocks += [b'"' + b"x" * (1100 * KB) + b'"', b",,,,,,,,,,", b"=cmd|' /C calc'!A0", b"\n" * 50]
    if kind == "yaml":
        blocks += [
            b"\nx: &x [1, 2]\ny: [*x, *x]\n",
            b"\nz: " + b"[" * 3000 + b"]" * 3000 + b"\n",
            b"\n!!python/object/apply:os.system ['true']\n",
            b"\n" + b"".join(b"  " * i + b"k:\n" for i in range(200)),
            b"\n---\n",
        ]
    if kind == "json":
        blocks += [b"[" * 5000, b"]" * 5000, b'{"a":' * 3000, b"}" * 3000, b'"\\ud800"', b",]"]
    return blocks


def encodings(raw: bytes) -> list[bytes]:
    """The same file as another encoding would save it."""
    text = raw.decode("utf-8", "replace")
    return [
        text.encode("utf-16"),
        text.encode("utf-16-be"),
        text.encode("utf-16-le"),
        codecs.BOM_UTF8 + raw,
        text.encode("cp932", "replace"),
    ]


@st.composite
def mutated(draw, seed: bytes, kind: str = "csv"):
    """A variant of `seed`: re-encoded, cut, spliced with hostile blocks, bytes flipped or lines
    shuffled; a few operations in a row."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["encode", "cut", "insert", "flip", "lines", "replace"]))
        if op == "encode":
            data = bytearray(draw(st.sampled_from(encodings(bytes(data) or b"x"))))
        elif op == "cut" and data:
            i = draw(st.integers(0, len(data)))
            j = draw(st.integers(i, len(data)))
            del data[i:j]
        elif op == "insert":
            i = draw(st.integers(0, len(data)))
            data[i:i] = draw(st.sampled_from(hostile_blocks(kind)))
        elif op == "flip" and data:
            for _ in range(draw(st.integers(1, 8))):
                data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
        elif op == "lines":
            lines = bytes(data).splitlines(keepends=True)
            data = bytearray(b"".join(draw(st.permutations(lines)))) if len(lines) < 200 else data
        else:
            data = bytearray(draw(st.binary(max_size=256)))
    return bytes(data)


class Hang(Exception):
    pass


@contextlib.contextmanager
def alarm(seconds: float):
    """Raise Hang in this (main) thread when the block runs longer than `seconds`."""

    def ring(signum, frame):
        raise Hang(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def check_cli(argv: list[str], capsys, *, name: str, seconds: float = 30.0) -> tuple[int, str]:
    """Run `evqms argv` in-process and assert the importer contract; (exit code, stderr)."""
    from evqms.cli import main

    capsys.readouterr()
    with alarm(seconds):
        code = main(argv)  # an exception here is the traceback a user would have seen
    out, err = capsys.readouterr()
    assert code in (0, 1, 2), (code, err[-500:])
    assert "Traceback" not in err
    if code == 2:
        lines = err.splitlines()
        assert len(lines) == 1, err[-1000:]
        assert lines[0].startswith(("evqms: error: ", "evqms: refused: ")), lines[0][:300]
        assert name in lines[0] or "--" in lines[0], lines[0][:300]  # names the file (or the option)
    return code, err

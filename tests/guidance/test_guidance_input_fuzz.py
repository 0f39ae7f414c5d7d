"""`evqms assess` on hostile and mutated dossiers (YAML and JSON): exit 0, 1 or 2, never a
traceback or a hang, one line naming the file on 2. Mutations of the project's own examples."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings

from evqms.i18n import use_language
from evqms.testing.inputfuzz import check_cli, mutated

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
MINIMAL = (EXAMPLES / "minimal.yaml").read_bytes()
MINIMAL_JSON = json.dumps(yaml.safe_load(MINIMAL), ensure_ascii=False, indent=1).encode()
FUZZ = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(autouse=True)
def _english(monkeypatch):
    monkeypatch.setenv("EVQMS_LANG", "en")
    with use_language("en"):
        yield


def _assess(capsys, data: bytes, suffix: str) -> tuple[int, str]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"dossier{suffix}"
        path.write_bytes(data)
        return check_cli(["assess", str(path)], capsys, name=path.name)


LAUGHS = b"product: &a [x, x, x, x, x, x, x, x, x]\n" + b"".join(
    b"l%d: &l%d [%s]\n" % (i, i, b", ".join([b"*a" if i == 0 else b"*l%d" % (i - 1)] * 9)) for i in range(9)
)


@pytest.mark.parametrize(
    ("data", "suffix", "reason"),
    [
        (LAUGHS, ".yaml", "YAML aliases (*a) are not accepted"),
        (b"product: " + b"[" * 50_000 + b"]" * 50_000, ".yaml", "nested more than 64 levels deep"),
        (MINIMAL + b"\nx: " + b"9" * 100_000 + b"\n", ".yaml", "a number with 100000 digits"),
        (MINIMAL[:40] + b"\x00" + MINIMAL[40:], ".yaml", "contains a NUL byte"),
        (b"[" * 100_000 + b"]" * 100_000, ".json", "nested more than 64 levels deep"),
        (b'{"product": NaN}', ".json", "NaN is not a number JSON allows"),
    ],
    ids=["billion-laughs", "deep-yaml", "long-number", "nul", "deep-json", "nan-json"],
)
def test_hostile_dossier_refused_on_one_line(capsys, data, suffix, reason):
    code, err = _assess(capsys, data, suffix)
    assert code == 2
    assert err.startswith(f"evqms: error: {Path(tempfile.gettempdir())}") and f"dossier{suffix}" in err
    assert reason in err


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-16-le"])
def test_utf16_dossier_is_read(capsys, encoding):
    """A dossier saved as UTF-16 (with or without BOM) reads as the UTF-8 one does."""
    code, _ = _assess(capsys, MINIMAL.decode().encode(encoding), ".yaml")
    reference, _ = _assess(capsys, MINIMAL, ".yaml")
    assert code == reference == 1  # the minimal dossier leaves items unmet


@FUZZ
@given(data=mutated(MINIMAL, "yaml"))
def test_mutated_yaml_dossier_keeps_the_contract(capsys, data):
    _assess(capsys, data, ".yaml")


@FUZZ
@given(data=mutated(MINIMAL_JSON, "json"))
def test_mutated_json_dossier_keeps_the_contract(capsys, data):
    _assess(capsys, data, ".json")

"""`evqms analyze nta|potency|spc|stability` on hostile and mutated exports: exit 0, 1 or 2, never
a traceback or a hang, one line naming the file on 2. Mutations of the real fixtures."""

from __future__ import annotations

import importlib.util
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from evqms.i18n import use_language
from evqms.testing.inputfuzz import check_cli, mutated

FIX = Path(__file__).resolve().parents[1] / "fixtures"
FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _synth():
    spec = importlib.util.spec_from_file_location("nta_synth_fuzz", FIX / "nta" / "nta_synth.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SYNTH = _synth()
NANOSIGHT = SYNTH.nanosight_csv([[0.0] * 99 + [1e8, 2e8, 1e8] + [0.0] * 898], dilution=1e4)
ZETAVIEW = SYNTH.zetaview_txt([0, 0, 0, 1, 2, 1])
PLATE = (FIX / "potency" / "plate_two_lots.csv").read_bytes()
FILL = (FIX / "spc" / "fill_weight.csv").read_bytes()
STABLE = (FIX / "stability" / "potency_stable.csv").read_bytes()

COMMANDS = {
    "nta": (".csv", lambda p: ["analyze", "nta", p]),
    "zetaview": (".txt", lambda p: ["analyze", "nta", p]),
    "potency": (
        ".csv",
        lambda p: ["analyze", "potency", p, "--dose", "conc_ng_ml", "--response", "signal", "--curve", "lot"],
    ),
    "spc": (
        ".csv",
        lambda p: ["analyze", "spc", p, "--chart", "xbar", "--value", "weight_mg", "--subgroup", "lot"],
    ),
    "stability": (
        ".csv",
        lambda p: [
            "analyze",
            "stability",
            p,
            "--time",
            "month",
            "--value",
            "potency_pct",
            "--batch",
            "lot",
            "--lower",
            "90",
        ],
    ),
}


@pytest.fixture(autouse=True)
def _english(monkeypatch):
    monkeypatch.setenv("EVQMS_LANG", "en")
    with use_language("en"):
        yield


def _run(capsys, command: str, data: bytes) -> tuple[int, str]:
    suffix, argv = COMMANDS[command]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"input{suffix}"
        path.write_bytes(data)
        return check_cli(argv(str(path)), capsys, name=path.name)


@pytest.mark.parametrize("command", ["potency", "spc", "stability"])
@pytest.mark.parametrize(
    ("shape", "reason"),
    [
        ("cr", None),
        ("field", "a field is longer than 1024 KB"),
        ("nul", "contains a NUL byte"),
        ("utf16be", None),
    ],
)
def test_hostile_tables(capsys, command, shape, reason):
    seed = {"potency": PLATE, "spc": FILL, "stability": STABLE}[command]
    data = {
        "cr": seed.replace(b"\n", b"\r"),  # classic Mac line ends: read as lines, not a csv.Error
        "field": seed + b'"' + b"9" * (10 * 1024 * 1024) + b'",1,1\n',
        "nul": seed[:20] + b"\x00" + seed[20:],
        "utf16be": seed.decode().encode("utf-16-be"),  # no BOM: recognised and read
    }[shape]
    code, err = _run(capsys, command, data)
    if reason:
        assert code == 2 and reason in err
    else:
        reference, _ = _run(capsys, command, seed)
        assert code == reference  # the same analysis as the UTF-8, LF file


def test_potency_plate_row_bound(capsys):
    head, *rows = PLATE.decode().splitlines()
    data = (head + "\n" + "\n".join(rows * (10_001 // len(rows) + 1)) + "\n").encode()
    code, err = _run(capsys, "potency", data)
    assert code == 2 and "more than 10000 data rows" in err


@FUZZ
@given(data=mutated(NANOSIGHT, "csv"))
def test_mutated_nanosight_keeps_the_contract(capsys, data):
    _run(capsys, "nta", data)


@FUZZ
@given(data=mutated(ZETAVIEW, "csv"))
def test_mutated_zetaview_keeps_the_contract(capsys, data):
    _run(capsys, "zetaview", data)


@FUZZ
@given(data=mutated(PLATE, "csv"))
def test_mutated_potency_plate_keeps_the_contract(capsys, data):
    _run(capsys, "potency", data)


@FUZZ
@given(data=mutated(FILL, "csv"))
def test_mutated_spc_table_keeps_the_contract(capsys, data):
    _run(capsys, "spc", data)


@FUZZ
@given(data=mutated(STABLE, "csv"))
def test_mutated_stability_table_keeps_the_contract(capsys, data):
    _run(capsys, "stability", data)

"""Numeric settings from the environment have one reader (evqms.core.limits.positive_int_env): a
value that is not a whole number of 1 or more stops the start, naming the variable, in English or
Japanese."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

VARIABLES = (
    "EVQMS_AUDIT_CHECKPOINT_EVERY",
    "EVQMS_TOKEN_DAYS",
    "EVQMS_SESSION_IDLE_MINUTES",
    "EVQMS_UPLOAD_LIMIT_MB",
    "EVQMS_DECOMPRESSED_LIMIT_MB",
)


def _start(tmp_path, lang: str, **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "EVQMS_"))}
    clean.update(EVQMS_HOME=str(tmp_path), EVQMS_LANG=lang, **env)
    return subprocess.run(
        [sys.executable, "-m", "evqms.cli", "identifiers", "check"], env=clean, capture_output=True, text=True
    )


@pytest.mark.parametrize("variable", VARIABLES)
def test_a_mistyped_value_stops_the_start_naming_the_variable(tmp_path, variable):
    run = _start(tmp_path, "en", **{variable: "ten"})
    assert run.returncode == 2
    assert run.stderr.startswith(f"evqms: configuration error: {variable} must be a whole number")
    assert "'ten'" in run.stderr


@pytest.mark.parametrize("variable", ["EVQMS_TOKEN_DAYS", "EVQMS_UPLOAD_LIMIT_MB"])
def test_the_refusal_speaks_japanese_too(tmp_path, variable):
    run = _start(tmp_path, "ja", **{variable: "0"})
    assert run.returncode == 2
    assert f"{variable} は 1 以上の整数" in run.stderr, run.stderr


def test_the_one_reader_takes_a_whole_number_and_the_default(monkeypatch):
    from evqms.core.limits import LimitSettingError, positive_int_env

    monkeypatch.setenv("EVQMS_TOKEN_DAYS", " 7 ")
    assert positive_int_env("EVQMS_TOKEN_DAYS", 30) == 7
    monkeypatch.setenv("EVQMS_TOKEN_DAYS", "")
    assert positive_int_env("EVQMS_TOKEN_DAYS", 30) == 30
    for bad in ("-1", "0", "1.5", "x"):
        monkeypatch.setenv("EVQMS_TOKEN_DAYS", bad)
        with pytest.raises(LimitSettingError, match=r"^EVQMS_TOKEN_DAYS must be a whole number, 1 or more"):
            positive_int_env("EVQMS_TOKEN_DAYS", 30)

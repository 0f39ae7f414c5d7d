"""`--lang` applies to one command: an in-process caller keeps its own language afterwards."""

import os

from evqms.cli import main


def test_lang_option_does_not_leak_into_the_caller(monkeypatch, capsys):
    monkeypatch.setenv("EVQMS_LANG", "en")
    from django.utils import translation

    translation.activate("en")
    assert main(["guidance", "list", "--lang", "ja"]) == 0
    assert "推奨" in capsys.readouterr().out  # the command itself spoke Japanese
    assert os.environ["EVQMS_LANG"] == "en"
    assert translation.get_language() == "en"


def test_lang_option_leaves_no_variable_behind(monkeypatch, capsys):
    monkeypatch.delenv("EVQMS_LANG", raising=False)
    assert main(["guidance", "list", "--lang=ja"]) == 0
    capsys.readouterr()
    assert "EVQMS_LANG" not in os.environ
